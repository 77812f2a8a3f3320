"""linear: x @ weight.T + bias."""
from microtorch._checks import _input

__all__ = ["linear"]


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with weight shaped (out_features, in_features) as in PyTorch."""
    out = _input("linear", x) @ _input("linear", weight).T
    return out if bias is None else out + bias
