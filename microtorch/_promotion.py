"""torch's type promotion for numpy operands, where numpy's rules give another dtype."""
import numpy as np

from microtorch._engine import TensorBase


def _kind(x):
    return x.dtype.kind if isinstance(x, (TensorBase, np.ndarray)) else "b" if isinstance(x, bool) else \
        "i" if isinstance(x, int) else "f"


def _cast_operand(x, dtype):
    if isinstance(x, TensorBase):
        return x.to(dtype)
    return x.astype(dtype) if isinstance(x, np.ndarray) else x


def _promote(name, a, b):
    """Cast operands where numpy's type promotion differs from torch's: an integer operand meeting
    a float takes the float's dtype (float32 for a Python float), int / int is float32, and a 0-d
    float tensor takes the dtype of a float tensor with dimensions."""
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a in "biu" and kind_b == "f":
        return _cast_operand(a, b.dtype if isinstance(b, (TensorBase, np.ndarray)) else np.float32), b
    if kind_b in "biu" and kind_a == "f":
        return a, _cast_operand(b, a.dtype if isinstance(a, (TensorBase, np.ndarray)) else np.float32)
    if kind_a in "biu" and kind_b in "biu" and name == "div":
        return _cast_operand(a, np.float32), _cast_operand(b, np.float32)
    if (isinstance(a, TensorBase) and isinstance(b, TensorBase) and kind_a == kind_b == "f" and a.dtype != b.dtype
            and (a.ndim == 0) != (b.ndim == 0)):
        return (a.to(b.dtype), b) if a.ndim == 0 else (a, b.to(a.dtype))
    return a, b
