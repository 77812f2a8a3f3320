"""The built-in ops: each a Function with a numpy forward and its backward, side by side.

One file per family; an op's gradient is in the file of its family:

    arithmetic     + - * / ** neg, exp, log, sqrt, abs, clamp, maximum, minimum, where, trig and hyperbolic,
                   exp/log variants, rounding, erf, atan2, hypot, fmod, remainder, logaddexp, xlogy, lerp
    linalg         matmul, linear (x @ W.T + b), einsum, nuclear norm, inverse, det, solve
    reduce         sum, mean, max, var, std, prod, logsumexp, vector norms, cumsum, cumprod
    shape          reshape, permute, transpose, expand, cat, stack, padding, tile, roll, flip, diagonals
    index          x[index], x[index] = v, gather, scatter, index_select, tril/triu
    copy           clone, cast to another dtype
    activation     sigmoid, tanh, relu, gelu, leaky_relu, elu, softplus, silu, softmax, log_softmax
    dropout        dropout
    attention      scaled dot-product attention (softmax(q k^T) v in one op)
    conv           conv2d, conv_transpose2d (the 1-d ones are 2-d of height 1)
    pooling        max_pool2d, max_unpool2d, avg_pool2d, adaptive_max_pool2d; adaptive_avg_pool2d and
                   interpolate, both a matrix per spatial dim (Resample2d)
    normalization  the normalisation behind batch, layer, group, instance and RMS norm; layer norm in one op
    sparse         embedding
    rnn            the RNN, LSTM and GRU time loops (one op per layer direction)
    loss           mse, cross-entropy, nll, binary cross-entropy (with logits), huber

Conventions (see microtorch.autograd.Function):
- forward(ctx, ...) receives numpy arrays for tensor inputs, returns one array;
- backward(ctx, grad) returns one gradient per forward input (None where not needed);
- gradients may keep the broadcast shape: the engine sums them back to each input.
"""
from microtorch.autograd.function import Function
from microtorch.ops.activation import ELU, GELU, SiLU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from microtorch.ops.attention import ScaledDotProductAttention
from microtorch.ops.arithmetic import (Abs, Acos, Acosh, Add, Asin, Asinh, Atan, Atan2, Atanh, Ceil, Clamp, Cos, Cosh,
                                       Div, Erf, Erfc, Exp, Exp2, Expm1, Floor, Fmod, Frac, Hypot, Lerp, Log, Log1p,
                                       Log2, Log10, LogAddExp, Maximum, Minimum, Mul, NanToNum, Neg, Pow, Reciprocal,
                                       Remainder, Round, Rsqrt, Sign, Sin, Sinh, Sqrt, Square, Sub, Tan, Trunc, Where,
                                       Xlogy)
from microtorch.ops.conv import Conv2d, ConvTranspose2d
from microtorch.ops.copy import _Cast, _Clone
from microtorch.ops.dropout import Dropout
from microtorch.ops.index import Gather, GetItem, IndexSelect, Scatter, SetItem, Triangle
from microtorch.ops.linalg import Det, Einsum, Inverse, Linear, MatMul, NuclearNorm, Solve
from microtorch.ops.loss import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, HuberLoss, MSELoss,
                                 NLLLoss)
from microtorch.ops.normalization import LayerNorm, Normalize
from microtorch.ops.pooling import AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d, Resample2d
from microtorch.ops.rnn import GRUSequence, LSTMSequence, RNNSequence
from microtorch.ops.reduce import CumProd, CumSum, LogSumExp, Max, Mean, Prod, Std, Sum, Var, VectorNorm
from microtorch.ops.shape import (Cat, ConstantPad, DiagEmbed, Diagonal, Expand, Flip, IndexPad, Permute, Reshape, Roll,
                                  Stack, Tile, Transpose)
from microtorch.ops.sparse import Embedding
