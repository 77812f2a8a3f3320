"""dropout."""
from microtorch import ops
from microtorch._engine import apply as _apply
from microtorch.random import generator

__all__ = ["dropout"]


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training.
    inplace is accepted and computed out of place."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return _apply(ops.Dropout, x, p, generator())
