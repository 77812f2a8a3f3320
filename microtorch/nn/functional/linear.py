"""linear: x @ weight.T + bias."""
from microtorch import ops
from microtorch._checks import _input
from microtorch._engine import apply as _apply

__all__ = ["linear"]


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight shaped (out_features, in_features) as in PyTorch."""
    x, weight = _input("linear", x), _input("linear", weight)
    if (x.ndim >= 2 and weight.ndim == 2 and x.shape[-1] == weight.shape[1] and x.dtype == weight.dtype
            and (bias is None or (bias.shape == weight.shape[:1] and bias.dtype == x.dtype))):
        return _apply(ops.Linear, x, weight, bias)   # the usual case, as one op
    out = x @ weight.T   # other shapes and mixed dtypes: matmul's broadcasting, promotion and errors
    return out if bias is None else out + bias
