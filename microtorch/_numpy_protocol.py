"""numpy's dispatch protocols for Tensor: `np.exp(t)`, `np.where(c, t, 0)`, `np.sum(t, axis=0)`.

Why: every op's backward formula is written once, with numpy's operators and functions. A plain
backward runs it on arrays. `backward(create_graph=True)` runs the same formula on Tensors, and
these two hooks (numpy's `__array_ufunc__` and `__array_function__` protocols) send each numpy call
to the recorded Tensor op, so the gradient is itself a graph that can be differentiated again.

The rule: when an argument is a Tensor that requires grad and grad mode is on, a numpy call is
recorded as the matching Tensor op; one with no match raises a TypeError naming it, unless it only
inspects (np.shape) or is piecewise constant (np.sign). Otherwise numpy computes on the arrays and
returns an array, as it always did. (`array + tensor` always goes to the Tensor's operator, as it
did before Tensor took part in numpy's protocols.)
"""
import importlib

import numpy as np

from microtorch import _engine
from microtorch._grad_mode import is_grad_enabled

_Base = _engine.TensorBase


def _records(args):
    """Does this numpy call take a Tensor that requires grad, with grad mode on?"""
    return is_grad_enabled() and any(isinstance(a, _Base) and a.requires_grad for a in _flat(args))


def _flat(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _flat(a)
        else:
            yield a


def _arrays(value):
    """value with every Tensor replaced by its array (lists and tuples looked into)."""
    if isinstance(value, _Base):
        return value._array
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(v) for v in value)
    return value


def _tensor(value):
    """A Tensor for an array operand (numbers stay numbers, so they do not change the dtype)."""
    if isinstance(value, (_Base, int, float, bool)):
        return value
    return _engine.make_tensor(np.asarray(value))


def _method(name):
    return lambda x, *args, **kwargs: getattr(_tensor(x), name)(*args, **kwargs)


# ufuncs behind Python's operators -> (the Tensor dunder, its reflected form). `array + tensor` calls
# np.add(array, tensor); like before Tensor took part in numpy's protocol, it goes to Tensor.__radd__.
OPERATORS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"), np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"), np.floor_divide: ("__floordiv__", "__rfloordiv__"),
    np.remainder: ("__mod__", "__rmod__"), np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
    np.bitwise_and: ("__and__", "__rand__"), np.bitwise_or: ("__or__", "__ror__"), np.bitwise_xor: ("__xor__", "__rxor__"),
    np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"), np.greater: ("__gt__", "__lt__"),
    np.greater_equal: ("__ge__", "__le__"), np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
}


def _operator(ufunc, a, b):
    forward, reflected = OPERATORS[ufunc]
    if isinstance(a, _Base):
        method = getattr(type(a), forward, None)
        return NotImplemented if method is None else method(a, b)
    method = getattr(type(b), reflected, None)
    return NotImplemented if method is None else method(b, a)


# other ufuncs -> how to apply them to Tensor operands, when that is recorded
UFUNCS = {
    np.negative: lambda a: -_tensor(a),
    np.positive: lambda a: _tensor(a),
    np.maximum: lambda a, b: _functional().maximum(*_pair(a, b)),
    np.minimum: lambda a, b: _functional().minimum(*_pair(a, b)),
}
for _ufunc, _name in [(np.exp, "exp"), (np.log, "log"), (np.sqrt, "sqrt"), (np.tanh, "tanh"), (np.abs, "abs"),
                      (np.sin, "sin"), (np.cos, "cos"), (np.tan, "tan"), (np.arcsin, "asin"),
                      (np.arccos, "acos"), (np.arctan, "atan"), (np.sinh, "sinh"), (np.cosh, "cosh"),
                      (np.arcsinh, "asinh"), (np.arccosh, "acosh"), (np.arctanh, "atanh"), (np.expm1, "expm1"),
                      (np.log1p, "log1p"), (np.log2, "log2"), (np.log10, "log10"), (np.exp2, "exp2"),
                      (np.square, "square"), (np.reciprocal, "reciprocal")]:
    UFUNCS[_ufunc] = _method(_name)

# Piecewise-constant ufuncs: their derivative is 0 wherever it exists, so their value on the arrays
# is the right constant for the graph.
# Arrays made from another's shape only: constants to the graph (a piecewise-constant op's zero derivative).
CONSTANT_FUNCTIONS = {np.zeros_like, np.ones_like, np.full_like}

CONSTANT_UFUNCS = {np.sign, np.floor, np.ceil, np.trunc, np.rint, np.isnan, np.isinf, np.isfinite, np.signbit,
                   np.logical_not, np.logical_and, np.logical_or, np.logical_xor}


def _sum(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return _tensor(a).sum(axis, keepdim=bool(keepdims))


def _mean(a, axis=None, dtype=None, out=None, keepdims=False, **_):
    return _tensor(a).mean(axis, keepdim=bool(keepdims))


def _functional():
    # The function layer sits above Tensor, so it is looked up at call time. (Not `import
    # microtorch.functional`: the package's `functional` attribute is nn.functional.)
    return importlib.import_module("microtorch.functional")


def _where(condition, x, y):
    return _functional().where(_arrays(condition), _tensor(x), _tensor(y))


def _pair(a, b):
    """Both operands as Tensors; a number takes the other operand's dtype, as torch's scalars do."""
    like = a if isinstance(a, _Base) else b
    def as_tensor(v):
        return v if isinstance(v, _Base) else _engine.make_tensor(np.asarray(v, dtype=like.dtype))
    return as_tensor(a), as_tensor(b)


def _expand_dims(a, axis):
    t = _tensor(a)
    for dim in sorted(axis if isinstance(axis, (tuple, list)) else (axis,)):
        t = t.unsqueeze(dim)
    return t


def _squeeze(a, axis=None):
    t = _tensor(a)
    if axis is None:
        return t.squeeze()
    for dim in sorted(axis if isinstance(axis, (tuple, list)) else (axis,), reverse=True):
        t = t.squeeze(dim)
    return t


# numpy function -> how to apply it to Tensor operands
FUNCTIONS = {
    np.sum: _sum,
    np.mean: _mean,
    np.where: _where,
    np.expand_dims: _expand_dims,
    np.squeeze: _squeeze,
    np.broadcast_to: lambda a, shape: _tensor(a).expand(*shape),
    np.reshape: lambda a, shape: _tensor(a).reshape(shape),
    np.transpose: lambda a, axes=None: _tensor(a).permute(*(axes if axes is not None else
                                                             range(np.ndim(_arrays(a)) - 1, -1, -1))),
    np.swapaxes: lambda a, axis1, axis2: _tensor(a).transpose(axis1, axis2),
    np.moveaxis: lambda a, source, destination: _moveaxis(_tensor(a), source, destination),
    np.matmul: lambda a, b: _tensor(a) @ _tensor(b),
    np.concatenate: lambda arrays, axis=0: _functional().cat([_tensor(a) for a in arrays], dim=axis),
    np.stack: lambda arrays, axis=0: _functional().stack([_tensor(a) for a in arrays], dim=axis),
    np.clip: lambda a, a_min=None, a_max=None: _tensor(a).clamp(a_min, a_max),
    np.split: lambda a, indices, axis=0: _split(_tensor(a), indices, axis),
    np.flip: lambda a, axis=None: _tensor(a).flip(tuple(range(_tensor(a).ndim)) if axis is None else axis),
    np.roll: lambda a, shift, axis=None: _tensor(a).roll(shift, axis),
    np.cumsum: lambda a, axis=None, **_: _tensor(a).reshape(-1).cumsum(0) if axis is None else _tensor(a).cumsum(axis),
    np.cumprod: lambda a, axis=None, **_: _tensor(a).reshape(-1).cumprod(0) if axis is None else _tensor(a).cumprod(axis),
    np.prod: lambda a, axis=None, keepdims=False, **_: _prod(_tensor(a), axis, keepdims),
    np.einsum: lambda subscripts, *operands, **_: _functional().einsum(subscripts, *[_tensor(o) for o in operands]),
    np.triu: lambda a, k=0: _tensor(a).triu(k),
    np.tril: lambda a, k=0: _tensor(a).tril(k),
}


def _prod(t, axis, keepdims):
    if axis is None:
        return t.prod()
    return t.prod(axis, keepdim=bool(keepdims))


def _split(t, boundaries, axis):
    """np.split at the given boundaries, as Tensor slices."""
    edges = [0, *boundaries, t.shape[axis]]
    lead = (slice(None),) * (axis % t.ndim)
    return [t[lead + (slice(start, stop),)] for start, stop in zip(edges, edges[1:])]


def _moveaxis(t, source, destination):
    order = [d for d in range(t.ndim) if d != source % t.ndim]
    order.insert(destination % t.ndim, source % t.ndim)
    return t.permute(*order)


# numpy functions that only inspect (shapes, dtypes), so they are fine on Tensors that require grad
INSPECTION = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj, np.may_share_memory,
              np.shares_memory, np.broadcast_shapes, np.can_cast, np.min_scalar_type}


def _refuse(name):
    return TypeError(f"numpy's {name} has no recorded microtorch op, so it cannot be applied to a Tensor that "
                     "requires grad (the gradient would be lost); use the matching microtorch function instead")


def array_ufunc(tensor, ufunc, method, *inputs, **kwargs):
    """Tensor.__array_ufunc__: record a ufunc call on Tensors that require grad (see the module doc)."""
    if kwargs.get("out") and any(isinstance(o, _Base) for o in kwargs["out"]):
        return NotImplemented   # numpy cannot write into a Tensor's storage through out=
    if method == "__call__" and ufunc in OPERATORS and len(inputs) == 2 and not kwargs:
        return _operator(ufunc, *inputs)
    arrays = [_arrays(a) for a in inputs]
    if _records(inputs):
        apply = UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if apply is not None:
            return apply(*inputs)
        if ufunc not in CONSTANT_UFUNCS or "out" in kwargs:
            raise _refuse(f"{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
    return getattr(ufunc, method)(*arrays, **{k: _arrays(v) for k, v in kwargs.items()})


def array_function(tensor, func, types, args, kwargs):
    """Tensor.__array_function__: record a numpy function call on Tensors that require grad."""
    if _records(args) or _records(kwargs.values()):
        apply = FUNCTIONS.get(func)
        if apply is not None:
            return apply(*args, **kwargs)
        if func not in INSPECTION and func not in CONSTANT_FUNCTIONS:
            raise _refuse(func.__name__)
    return func(*_arrays(args), **{k: _arrays(v) for k, v in kwargs.items()})
