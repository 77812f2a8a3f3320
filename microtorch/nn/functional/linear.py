"""linear: x @ weight.T + bias."""
from microtorch import ops
from microtorch._checks import _input
from microtorch._engine import apply as _apply

__all__ = ["linear"]


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight shaped (out_features, in_features) as in PyTorch."""
    x, weight = _input("linear", x), _input("linear", weight)
    if (x.ndim > 2 and weight.ndim == 2 and x.shape[-1] == weight.shape[1] and x.dtype == weight.dtype
            and (bias is None or (bias.shape == weight.shape[:1] and bias.dtype == x.dtype))):
        # a batch of sequences (N, T, in): one op, whose backward sums the weight's and bias's gradients
        # over every row in one product each
        return _apply(ops.Linear, x, weight, bias)
    # a matrix of rows, other shapes and mixed dtypes: the graph x @ W.T + b (MatMul, Add), with
    # matmul's broadcasting, promotion and errors
    out = x @ weight.T
    return out if bias is None else out + bias
