"""The built-in ops: each a Function with a numpy forward and its backward, side by side.

One file per family; an op's gradient is in the file of its family:

    arithmetic     + - * / ** neg, exp, log, sqrt, abs, clamp, maximum, minimum, where, trig and hyperbolic,
                   exp/log variants, rounding, erf, atan2, hypot, fmod, remainder, logaddexp, xlogy, lerp
    linalg         matmul, einsum, nuclear norm, inverse, det, solve
    reduce         sum, mean, max, var, prod, logsumexp, vector norms, cumsum, cumprod
    shape          reshape, permute, transpose, expand, cat, stack, padding, tile, roll, flip, diagonals
    index          x[index], x[index] = v, gather, scatter, index_select, tril/triu
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
from microtorch.ops.arithmetic import (Abs, Acos, Acosh, Add, Asin, Asinh, Atan, Atan2, Atanh, Ceil, Clamp, Cos, Cosh,
                                       Div, Erf, Erfc, Exp, Exp2, Expm1, Floor, Fmod, Frac, Hypot, Lerp, Log, Log1p,
                                       Log2, Log10, LogAddExp, Maximum, Minimum, Mul, NanToNum, Neg, Pow, Reciprocal,
                                       Remainder, Round, Rsqrt, Sign, Sin, Sinh, Sqrt, Square, Sub, Tan, Trunc, Where,
                                       Xlogy)
from microtorch.ops.conv import Conv2d
from microtorch.ops.copy import _Cast, _Clone
from microtorch.ops.dropout import Dropout
from microtorch.ops.index import Gather, GetItem, IndexSelect, Scatter, SetItem, Triangle
from microtorch.ops.linalg import Det, Einsum, Inverse, MatMul, NuclearNorm, Solve
from microtorch.ops.loss import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, HuberLoss, MSELoss,
                                 NLLLoss)
from microtorch.ops.normalization import Normalize
from microtorch.ops.pooling import AvgPool2d, MaxPool2d, MaxUnpool2d
from microtorch.ops.reduce import CumProd, CumSum, LogSumExp, Max, Mean, Prod, Sum, Var, VectorNorm
from microtorch.ops.shape import (Cat, ConstantPad, DiagEmbed, Diagonal, Expand, Flip, IndexPad, Permute, Reshape, Roll,
                                  Stack, Tile, Transpose)
from microtorch.ops.sparse import Embedding
