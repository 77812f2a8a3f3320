"""The built-in ops: each a Function with a numpy forward and its backward, side by side.

One file per family; an op's gradient is in the file of its family:

    arithmetic     + - * / ** neg, exp, log, sqrt, abs, clamp, maximum, minimum, where
    linalg         matmul
    reduce         sum, mean, max, var, std
    shape          reshape, permute, transpose, expand, cat, stack, padding
    index          x[index], x[index] = v, gather, index_select, tril/triu
    copy           clone, cast to another dtype
    activation     sigmoid, tanh, relu, gelu, leaky_relu, elu, softplus, silu, softmax, log_softmax
    dropout        dropout
    conv           conv2d (conv1d is a conv2d of height 1)
    pooling        max_pool2d, max_unpool2d, avg_pool2d
    normalization  the normalisation behind batch_norm and layer_norm
    sparse         embedding
    loss           mse, cross-entropy, nll, binary cross-entropy (with logits), huber

Conventions (see microtorch.autograd.Function):
- forward(ctx, ...) receives numpy arrays for tensor inputs, returns one array;
- backward(ctx, grad) returns one gradient per forward input (None where not needed);
- gradients may keep the broadcast shape: the engine sums them back to each input.
"""
from microtorch.autograd.function import Function
from microtorch.ops.activation import ELU, GELU, SiLU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from microtorch.ops.arithmetic import Abs, Add, Clamp, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, Sqrt, Sub, Where
from microtorch.ops.conv import Conv2d
from microtorch.ops.copy import _Cast, _Clone
from microtorch.ops.dropout import Dropout
from microtorch.ops.index import Gather, GetItem, IndexSelect, SetItem, Triangle
from microtorch.ops.linalg import MatMul
from microtorch.ops.loss import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, HuberLoss, MSELoss,
                                 NLLLoss)
from microtorch.ops.normalization import Normalize
from microtorch.ops.pooling import AvgPool2d, MaxPool2d, MaxUnpool2d
from microtorch.ops.reduce import Max, Mean, Std, Sum, Var
from microtorch.ops.shape import Cat, ConstantPad, Expand, IndexPad, Permute, Reshape, Stack, Transpose
from microtorch.ops.sparse import Embedding
