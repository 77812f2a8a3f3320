"""The compiled half of microtorch's tensor autograd.

Forward: `apply(fn, *args)` runs an op's numpy forward and records one Context
node per result that needs a gradient. Backward: `run_backward(root, grad)`
walks those nodes iteratively, as PyTorch's engine does: count how many
consumers each node has, then run a node once all of them have sent their
gradient. The arithmetic itself lives in the ops (microtorch/ops/, one file per family).

Threads and reentrance (ARCHITECTURE.md): backward may run in several threads at once and be
called from a hook or a Function's backward; each pass keeps its own bookkeeping, leaf gradients
accumulate under a lock, and grad mode is per thread.
"""
cimport cython
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM, PyTuple_GET_SIZE, PyTuple_GET_ITEM
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_XDECREF
from cpython.sequence cimport PySequence_Fast_ITEMS
from cpython.object cimport PyTypeObject
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_acquire_lock,
                               PyThread_release_lock, NOWAIT_LOCK, WAIT_LOCK)

cdef extern from "Python.h":
    object PyObject_Call(object callable, object args, PyObject *kwargs)
    object PyObject_Vectorcall(object callable, PyObject **args, size_t nargsf, PyObject *kwnames)
    PyObject **_PyObject_GetDictPtr(PyObject *obj)
    object PyObject_GenericGetDict(object obj, void *context)
    void Py_CLEAR(PyObject *obj)
    int PyObject_GC_IsTracked(object obj)
    void PyObject_GC_UnTrack(object obj)
    void PyObject_GC_Track(object obj)

import traceback
import warnings
import weakref
import numpy as np
cimport numpy as cnp

cnp.import_array()

from microtorch._grad_mode cimport grad_enabled, set_grad_enabled_flag

cdef inline tuple untrack(tuple items):
    # A tuple of ints, arrays or version counters cannot be part of a reference cycle: hiding it
    # from the cycle collector keeps big graphs from making every collection slower.
    if PyObject_GC_IsTracked(items):
        PyObject_GC_UnTrack(items)
    return items


cdef object ndarray = np.ndarray
cdef object asarray = np.asarray
cdef object ones_like = np.ones_like
cdef object np_add = np.add
cdef object np_dtype = np.dtype
cdef object _float32 = np.dtype(np.float32)
cdef object _float64 = np.dtype(np.float64)
cdef object _tensor_class = None      # microtorch.Tensor, registered at import
cdef PyTypeObject *_tensor_type = NULL  # the same, as a C type object
cdef tuple _no_args = ()
cdef unsigned long long _backward_pass = 0   # numbers the passes that keep their bookkeeping on the nodes
cdef Py_ssize_t _passes_running = 0          # backward passes in progress, in every thread (see run_backward)
cdef bint _detect_anomaly = False      # check every forward result and gradient for nan/inf


def set_detect_anomaly(bint mode):
    """Turn anomaly detection on or off (for all threads, as in PyTorch)."""
    global _detect_anomaly
    _detect_anomaly = mode


def is_anomaly_enabled():
    """Return True when anomaly detection (see detect_anomaly) is on."""
    return _detect_anomaly


def register_tensor_class(cls):
    """Tell the engine which Python class (a TensorBase subclass) to create for results."""
    global _tensor_class, _tensor_type
    if not isinstance(cls, type) or not issubclass(cls, TensorBase):
        raise TypeError(f"register_tensor_class: {cls!r} is not a TensorBase subclass")
    _tensor_class = cls
    _tensor_type = <PyTypeObject*>cls


@cython.freelist(64)
# ==================================================================================================
# Version counters
# Shared by a tensor and the nodes that saved its array; every in-place change bumps it.
# ==================================================================================================

cdef class VersionCounter:
    """Counts in-place modifications of a tensor's data (see bump_version)."""


cdef VersionCounter counter_of(TensorBase t):
    if t._version_counter is None:
        t._version_counter = VersionCounter.__new__(VersionCounter)
    return t._version_counter


def bump_version(TensorBase t):
    """Record that t's data was modified in place, so nodes that saved it refuse to run backward.

    The counter is made here if no node or view asked for it yet: _version counts every in-place
    change since the tensor was made, as in PyTorch, while tensors never changed in place (nearly
    all of them) never pay for a counter.
    """
    cdef VersionCounter counter = counter_of(t)
    counter.value += 1


@cython.trashcan(True)
# ==================================================================================================
# Node (Context)
# One recorded op application: what backward visits. Fields and invariants: _engine.pxd.
# ==================================================================================================

@cython.freelist(64)
cdef class Context:
    """What an op's forward leaves for its backward: `ctx` in `forward(ctx, ...)`."""

    # `ctx.dim = dim` in forward stores a value for backward, as in PyTorch: in the node's
    # instance dict, which is made on first use (see _give_context_a_lazy_dict below).

    def __dealloc__(self):
        Py_XDECREF(self.stash)

    @property
    def __dict__(self):
        """The values forward stored on ctx (ctx.dim = ...)."""
        return PyObject_GenericGetDict(self, NULL)

    def save_for_backward(self, *arrays):
        self.saved = arrays
        for array in arrays:
            if type(array) is not ndarray:
                return
        untrack(arrays)

    @property
    def saved_tensors(self):
        if self.released:
            raise RuntimeError(
                f"{self.op_name}: the arrays saved for backward were freed by an earlier backward. "
                "Call backward(retain_graph=True) the first time to backward through the graph again.")
        if self.graph_saved is not None:   # a create_graph backward: the same values, as graph tensors
            return self.graph_saved
        return () if self.saved is None else self.saved

    @property
    def op_name(self):
        """The op's name, as microtorch's messages and drawings show it: "Mul"."""
        return getattr(self.fn, "__name__", "Function")

    def name(self):
        """torch's name of this node: "MulBackward0" (see _TORCH_NODE_NAMES)."""
        op = self.op_name
        if not getattr(self.fn, "__module__", "").startswith("microtorch."):
            return op + "Backward"   # a user's Function, named as torch names a custom Function's node
        return _TORCH_NODE_NAMES.get(op, op) + "Backward0"

    @property
    def next_functions(self):
        """One (node, 0) pair per tensor input, as torch's: the parent node, an AccumulateGrad for a
        leaf that requires grad, None for a tensor that does not. Empty once backward freed the node.
        Python numbers among the inputs are not listed (torch lists (None, 0) for `x + 1`'s 1)."""
        cdef Py_ssize_t i
        pairs = []
        for i in range(self.n_inputs):
            edge = edge_of(self, i)
            if type(edge) is Context:
                pairs.append((edge, 0))
            elif isinstance(edge, TensorBase):
                pairs.append((AccumulateGrad(edge), 0))
            elif type(edge) is ndarray:   # a tensor that needs no gradient (its array is the edge)
                pairs.append((None, 0))
        return tuple(pairs)

    @property
    def inputs(self):
        """One entry per forward input: the parent Context, the leaf Tensor, or the constant value."""
        cdef Py_ssize_t i
        return tuple([edge_of(self, i) for i in range(self.n_inputs)])

    @property
    def output_shape(self):
        return self.out_shape

    @property
    def output_dtype(self):
        return self.out_dtype

    @property
    def is_released(self):
        return self.released

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    cdef void release(self):
        # Free everything forward saved and the links to the inputs.
        self.saved = None
        self.version0 = self.version1 = None
        self.more_versions = None
        self.n_inputs = 0
        self.edge0 = self.edge1 = self.more_edges = None
        self.released = True
        self.forward_stack = None
        Py_CLEAR(self.stash)


include "_lazy_dict.pxi"


# torch's node names where they differ from microtorch's op names (MatMul -> MmBackward0)
cdef dict _TORCH_NODE_NAMES = {"MatMul": "Mm", "ReLU": "Relu", "Reshape": "View", "GetItem": "Index",
                               "SetItem": "CopySlices", "_Cast": "ToCopy", "_Clone": "Clone", "MSELoss": "MseLoss",
                               "GELU": "Gelu", "SiLU": "Silu", "ELU": "Elu", "LeakyReLU": "LeakyRelu"}


class AccumulateGrad:
    """The node that adds a leaf's gradient into its .grad, as torch's (next_functions names it)."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable   # the leaf tensor

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


cdef inline object edge_of(Context node, Py_ssize_t i):
    # The edge of input i < node.n_inputs: two are stored inline, the rest in a tuple.
    if i == 0:
        return node.edge0
    if i == 1:
        return node.edge1
    return <object>PyTuple_GET_ITEM(node.more_edges, i - 2)


# ==================================================================================================
# Tensor storage (TensorBase)
# The typed half of a Tensor: its array, gradient, grad_fn and hooks.
# ==================================================================================================

@cython.freelist(64)
cdef class TensorBase:
    """Typed fields of a Tensor. The Python class microtorch.Tensor subclasses it."""

    @property
    def data(self):
        """A new tensor sharing this one's storage, outside the graph, with its own version counter.

        As in PyTorch: `p.data.add_(u)` changes p without being recorded, and (unlike detach())
        the change is not seen by the version check of nodes that saved p.
        """
        return wrap(self._data)

    @data.setter
    def data(self, value):
        # p.data = t: p takes t's storage (shape and dtype too) and keeps its grad_fn and counter.
        if isinstance(value, TensorBase):
            value = (<TensorBase>value)._data
        elif not isinstance(value, ndarray):   # an ndarray is accepted too: the original microtorch's .data was one
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and (<cnp.ndarray>value).dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._data = value

    @property
    def _array(self):
        """The underlying numpy ndarray, for the library's own code (users read .numpy())."""
        return self._data

    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded so that backward can reach it.

        Settable on leaves only, and only for floating-point tensors, as in PyTorch.
        """
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value)

    cdef _set_requires_grad(self, value):
        cdef bint flag = bool(value)
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "requires_grad: you can only change requires_grad of leaf tensors. "
                "Use detach() to get a tensor that does not require grad.")
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, got dtype {self._data.dtype}")
        self._requires_grad = flag

    @property
    def _version(self):
        """How many times this tensor's data was modified in place since it was made."""
        return 0 if self._version_counter is None else self._version_counter.value

    @property
    def is_leaf(self):
        """True for tensors that no recorded op produced (user tensors, parameters)."""
        return self.grad_fn is None

    @property
    def _grad_array(self):
        return self._grad

    @_grad_array.setter
    def _grad_array(self, value):
        if value is not None and not isinstance(value, ndarray):
            raise TypeError(f"grad must be a numpy ndarray, Tensor or None, got {type(value).__name__}")
        self._grad = value
        self._grad_owned = False
        self._grad_tensor = None


cdef inline TensorBase wrap(object array):
    # A new Tensor (the registered Python class) around array, outside the graph. Its type's
    # tp_new slot is called directly: `TensorBase.__new__(cls)` would look up and call the
    # Python-level __new__ wrapper, which checks its arguments on every call.
    if _tensor_type == NULL:
        raise RuntimeError("microtorch._engine: no Tensor class registered (import microtorch first)")
    cdef TensorBase t = <TensorBase>_tensor_type.tp_new(_tensor_class, <PyObject*>_no_args, NULL)
    t._data = array
    return t


def own_grad(TensorBase t):
    """t's gradient array, first copied if it may be shared with another tensor or read-only.

    Backward stores gradients without copying (Add hands the same array to both inputs,
    sum() a broadcast view); a copy is made only when user code asks for .grad.
    """
    if t._grad is not None and not t._grad_owned:
        t._grad = np.array(t._grad, copy=True)
        t._grad_owned = True
    return t._grad


def grad_of(TensorBase t):
    """t.grad as a Tensor: the one a create_graph backward recorded, if it is still current."""
    if t._grad_tensor is not None and (<TensorBase>t._grad_tensor)._data is t._grad:
        return t._grad_tensor
    g = own_grad(t)
    return None if g is None else wrap(g)


def detach(TensorBase t):
    """A new leaf sharing t's data and its version counter, so in-place edits through it are seen."""
    cdef TensorBase result = wrap(t._data)
    result._version_counter = counter_of(t)
    return result


def rebind(TensorBase t, TensorBase result):
    """t becomes result in the graph: how an in-place op on a tensor that autograd records is done.

    result was computed out of place (same shape and dtype as t), so the array t held is left as it
    was. t's old counter is bumped, as for any in-place change: nodes that saved t's old values
    refuse to backpropagate, as in PyTorch; the in-place op's own node, which saved them too (as
    torch keeps a copy of the original), is told about it. t then takes result's array, node and
    version counter (carrying on t's count), so a later in-place op on t leaves the old values,
    and the nodes that saved them, alone.
    """
    cdef VersionCounter counter = counter_of(t)
    cdef VersionCounter made = counter_of(result)
    cdef Context node = result.grad_fn
    counter.value += 1
    made.value = counter.value
    if node is not None and node.version0 is not None:
        node.saved_version_sum = _saved_versions_total(node)
    t._data = result._data
    t._version_counter = made
    t.grad_fn = node
    t._requires_grad = result._requires_grad


def make_tensor(array, bint requires_grad=False):
    """A leaf Tensor around a numpy array (no copy, no other checks: callers check).

    A numpy scalar (what a ufunc returns for 0-d operands, e.g. a comparison) becomes a 0-d
    array: the engine reads a tensor's data through numpy's C API, which needs an array.
    """
    if not isinstance(array, ndarray):
        array = asarray(array)
    cdef TensorBase t = wrap(array)
    if requires_grad:
        t._set_requires_grad(True)
    return t


# ==================================================================================================
# Graph recording (apply)
# Run an op's forward on arrays; if any input needs a gradient, record a node for the result.
# ==================================================================================================

def apply(fn, *args):
    """Run fn.forward on the arrays of args and record the result in the graph.

    Tensors in args are passed to forward as their ndarrays; anything else
    (Python numbers, shapes, dims) is passed through unchanged.
    """
    return apply_args(fn, fn.forward, None, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args))


# needs_input_grad of one- and two-input ops, shared: indexed by need_0 + 2 * need_1.
cdef tuple _NEEDS_1 = ((False,), (True,))
cdef tuple _NEEDS_2 = ((False, False), (True, False), (False, True), (True, True))


cdef enum:
    STACK_INPUTS = 4   # forward(ctx, *inputs) with up to this many inputs is called from a C array, not a tuple


cdef object apply_args(fn, forward, backward, PyObject **args, Py_ssize_t n):
    # args[0:n] are the op's inputs (borrowed references). The forward call is forward(ctx, *arrays);
    # its arguments go into a C array (or a tuple for many inputs).
    # forward is fn.forward; backward is fn.backward when the caller has it at hand, else None.
    # Steps: (1) per input, its array for forward and its edge for the node, noting whether it
    # needs a gradient (mask) and could make the node part of a reference cycle; (2) needs_input_grad;
    # (3) call forward; (4) wrap the result (sharing a view's version counter); (5) _record_node.
    cdef Py_ssize_t i
    cdef PyObject *call_stack[STACK_INPUTS + 1]
    cdef bint record = grad_enabled()
    cdef int mask = 0
    cdef bint cyclic = False   # could this node become part of a reference cycle? (see _untrack_node)
    cdef TensorBase t, result
    cdef Context parent = None   # the first input's node, whose output shape ours often shares
    cdef Context ctx = Context.__new__(Context)
    cdef tuple call_args = PyTuple_New(n + 1) if n > STACK_INPUTS else None
    cdef tuple more_edges = PyTuple_New(n - 2) if n > 2 else None
    cdef object arg, value, edge, edge0 = None, edge1 = None
    Py_INCREF(ctx)
    if call_args is None:
        call_stack[0] = <PyObject*>ctx
    else:
        PyTuple_SET_ITEM(call_args, 0, ctx)
    for i in range(n):
        arg = <object>args[i]
        if isinstance(arg, TensorBase):
            t = <TensorBase>arg
            value = t._data
            if record and t._requires_grad:
                mask |= (1 << i) if i < 2 else 4   # bits 0 and 1 index _NEEDS_2; 4 only says "some"
                if t.grad_fn is not None:
                    edge = t.grad_fn
                    cyclic = cyclic or PyObject_GC_IsTracked(edge)
                    if parent is None:
                        parent = t.grad_fn
                else:
                    edge = t
                    cyclic = cyclic or t._hooks is not None or _has_dict(t)
            else:
                edge = value    # a constant input: kept so the graph can be drawn
        else:
            value = arg
            edge = arg
            cyclic = cyclic or not _is_atomic(arg)
        Py_INCREF(value)
        if call_args is None:
            call_stack[i + 1] = <PyObject*>value
        else:
            PyTuple_SET_ITEM(call_args, i + 1, value)
        if i == 0:
            edge0 = edge
        elif i == 1:
            edge1 = edge
        else:
            Py_INCREF(edge)
            PyTuple_SET_ITEM(more_edges, i - 2, edge)
    ctx.needs_input_grad = _needs_tuple(args, n, mask, record)
    ctx.fn = fn
    try:
        if call_args is None:
            out = PyObject_Vectorcall(forward, call_stack, n + 1, NULL)
        else:
            out = PyObject_Call(forward, call_args, NULL)
    except (ValueError, IndexError, TypeError) as error:
        raise _forward_error(fn, args, n, error) from error
    finally:
        if call_args is None:
            for i in range(n + 1):
                Py_DECREF(<object>call_stack[i])
    if type(out) is not ndarray:
        returned = out
        out = _forward_result(fn, out)
        if ctx.saved is not None and out is not returned:
            _saved_as_array(ctx, returned, out)
    dtype = dtype_of(out)
    if dtype is not _float64 and dtype is not _float32 and dtype.kind == "c":
        raise _complex_error(fn, dtype)
    result = wrap(out)
    if _detect_anomaly:
        _check_finite(fn, "forward", out)
    if cnp.PyArray_BASE(<cnp.ndarray>out) != NULL:
        _share_view_version(args, n, out, result)
    if mask:
        _record_node(ctx, result, out, fn, backward, args, n, edge0, edge1, more_edges, parent, cyclic)
        if _detect_anomaly:
            ctx.forward_stack = traceback.format_stack()
    return result


cdef inline void _record_node(Context ctx, TensorBase result, object out, object fn, object backward,
                              PyObject **args, Py_ssize_t n, object edge0, object edge1, tuple more_edges,
                              Context parent, bint cyclic) except *:
    # The last step of apply_args, for a result that needs a gradient: fill in the node and make
    # it the result's grad_fn. Integer and bool results (argmax, comparisons) carry no gradient.
    dtype = dtype_of(out)
    if dtype is not _float64 and dtype is not _float32 and dtype.kind not in "fc":
        return
    if ctx.saved is not None:
        _track_saved_versions(ctx, args, n, out, result)
    ctx.n_inputs = n
    ctx.edge0 = edge0
    ctx.edge1 = edge1
    ctx.more_edges = more_edges
    ctx.backward = backward if backward is not None else fn.backward
    if parent is not None and has_shape(out, parent.out_shape):
        ctx.out_shape = parent.out_shape   # shape tuples are immutable: share, don't build one per op
    else:
        ctx.out_shape = untrack(out.shape)
    ctx.out_dtype = dtype
    if not cyclic and _stash_is_atomic(ctx):
        _untrack_node(ctx)
    result._requires_grad = True
    result.grad_fn = ctx


# ==================================================================================================
# Keeping nodes out of the cycle collector
# ==================================================================================================

# Python's cycle collector walks every container it tracks, and a deep graph holds one
# per op: the node (and its tuple of further edges, for ops of more than two inputs).
# A node can only be part of a reference cycle through something that points back into
# the graph: a hook, an object stashed on ctx, a non-atomic constant input, a leaf with
# hooks or attributes, or a parent node that is itself in danger (nodes only point to
# their parents). Nodes with none of these are hidden from the collector; add_hook puts
# a node back. (Like PyTorch, a hook added to a node after its consumers were recorded,
# and that refers to one of them, forms a cycle the collector cannot see until backward
# frees the graph.)

cdef inline void _untrack_node(Context ctx):
    PyObject_GC_UnTrack(ctx)
    if ctx.more_edges is not None:
        untrack(ctx.more_edges)


cdef void _track_node(Context ctx):
    if not PyObject_GC_IsTracked(ctx):
        PyObject_GC_Track(ctx)
    if ctx.more_edges is not None and not PyObject_GC_IsTracked(ctx.more_edges):
        PyObject_GC_Track(ctx.more_edges)


cdef inline bint _has_dict(object obj):
    cdef PyObject **slot = _PyObject_GetDictPtr(<PyObject*>obj)
    return slot != NULL and slot[0] != NULL


cdef bint _is_atomic(object value):
    # Values that cannot refer back to a tensor: numbers, strings, arrays, dtypes, tuples of these.
    if value is None or type(value) is int or type(value) is float or type(value) is bool:
        return True
    if type(value) is ndarray or type(value) is str or isinstance(value, np_dtype):
        return True
    if type(value) is tuple:
        for item in <tuple>value:
            if not _is_atomic(item):
                return False
        return True
    return False


cdef bint _stash_is_atomic(Context ctx):
    if ctx.stash == NULL:
        return True
    for value in (<dict>ctx.stash).values():
        if not _is_atomic(value):
            return False
    return True


# ==================================================================================================
# Fast paths: engine-made Tensor dunders and unary methods
# ==================================================================================================

def fast_binary(fn, checked, checked_reflected):
    """Tensor's dunder pair for a binary op (self OP other, other OP self).

    checked and checked_reflected are the Python methods that check and promote the
    operands. When that could change nothing (two float tensors of one dtype, or a float
    tensor and a Python number) the op is applied directly; otherwise, and after any
    error, the checked method runs, so its clear messages are the ones users see.
    """
    forward, backward = fn.forward, fn.backward

    def method(self, other):
        cdef PyObject *operands[2]   # borrowed: self and other outlive the call
        if _plain_operands(self, other):
            try:
                operands[0] = <PyObject*>self
                operands[1] = <PyObject*>other
                return apply_args(fn, forward, backward, operands, 2)
            except RuntimeError:
                pass
        return checked(self, other)

    def reflected(self, other):
        cdef PyObject *operands[2]
        if _plain_operands(self, other):
            try:
                operands[0] = <PyObject*>other
                operands[1] = <PyObject*>self
                return apply_args(fn, forward, backward, operands, 2)
            except RuntimeError:
                pass
        return checked_reflected(self, other)

    return method, reflected


def unary_method(fn):
    """A Tensor method applying the one-input op fn (Tensor.exp is unary_method(ops.Exp)).

    It saves the Python frame of a `def exp(self): return apply(ops.Exp, self)` method.
    """
    forward, backward = fn.forward, fn.backward

    def method(TensorBase self):
        cdef PyObject *operand = <PyObject*>self
        return apply_args(fn, forward, backward, &operand, 1)

    method.__name__ = method.__qualname__ = fn.__name__.lower()
    method.__doc__ = f"Elementwise {fn.__name__.lower()}, recorded for autograd (microtorch.ops.{fn.__name__})."
    return method


cdef inline bint _plain_operands(TensorBase self, object other):
    # self is a float tensor, and other is a tensor of the same dtype or a Python number.
    dtype = dtype_of(self._data)
    if dtype is not _float32 and dtype is not _float64:
        return False
    if isinstance(other, TensorBase):
        return dtype_of((<TensorBase>other)._data) is dtype
    return type(other) is float or type(other) is int


# ==================================================================================================
# Recording helpers
# needs_input_grad, views and saved-array versions, forward errors, anomaly checks.
# ==================================================================================================

cdef inline tuple _needs_tuple(PyObject **args, Py_ssize_t n, int mask, bint record):
    # One bool per input; the common one- and two-input cases reuse shared tuples.
    cdef Py_ssize_t i
    if n == 1:
        return <tuple>PyTuple_GET_ITEM(_NEEDS_1, mask)
    if n == 2:
        return <tuple>PyTuple_GET_ITEM(_NEEDS_2, mask)
    cdef tuple needs = PyTuple_New(n)
    for i in range(n):
        arg = <object>args[i]
        need = record and isinstance(arg, TensorBase) and (<TensorBase>arg)._requires_grad
        Py_INCREF(need)
        PyTuple_SET_ITEM(needs, i, need)
    return needs


cdef void _share_view_version(PyObject **args, Py_ssize_t n, object out, TensorBase result) except *:
    # A view (reshape, transpose, basic indexing) shares its input's version counter, as in PyTorch,
    # so modifying either one in place is seen by every node that saved the other.
    cdef Py_ssize_t i
    base = out.base
    for i in range(n):
        arg = <object>args[i]
        if isinstance(arg, TensorBase):
            array = (<TensorBase>arg)._data
            if base is array or base is array.base:
                result._version_counter = counter_of(<TensorBase>arg)
                return


# Where a saved array came from, for a create_graph backward (Context.saved_sources, 4 bits per array):
cdef enum:
    SAVED_UNKNOWN = 0   # made inside forward (or not tracked): a constant to the graph
    SAVED_OUTPUT = 1    # the op's own output
    SAVED_INPUT0 = 2    # input i is SAVED_INPUT0 + i
    SAVED_INPUTS = 14   # inputs that fit in the 4 bits
    SAVED_TRACKED = 16  # saved arrays that fit in the 64 bits


cdef void _track_saved_versions(Context ctx, PyObject **args, Py_ssize_t n, object out,
                                TensorBase result) except *:
    # Remember the version counter of every tensor whose array forward saved, and their sum, to
    # catch in-place edits later. Arrays that no tensor holds (fresh intermediates) need none.
    cdef tuple saved = ctx.saved
    cdef Py_ssize_t i, j, found = 0
    cdef VersionCounter counter
    cdef unsigned long long total = 0
    cdef unsigned long long sources = 0
    for j in range(PyTuple_GET_SIZE(saved)):
        item = <object>PyTuple_GET_ITEM(saved, j)
        counter = None
        if item is out:
            counter = counter_of(result)
            if j < SAVED_TRACKED:
                sources |= (<unsigned long long>SAVED_OUTPUT) << (4 * j)
        else:
            for i in range(n):
                arg = <object>args[i]
                if isinstance(arg, TensorBase) and item is (<TensorBase>arg)._data:
                    counter = counter_of(<TensorBase>arg)
                    if j < SAVED_TRACKED and i < SAVED_INPUTS:
                        sources |= (<unsigned long long>(SAVED_INPUT0 + i)) << (4 * j)
                    break
        if counter is None:
            continue
        if found == 0:
            ctx.version0 = counter
        elif found == 1:
            ctx.version1 = counter
        elif ctx.more_versions is None:
            ctx.more_versions = [counter]
            PyObject_GC_UnTrack(ctx.more_versions)   # counters cannot form a reference cycle
        else:
            ctx.more_versions.append(counter)
        found += 1
        total += counter.value
    ctx.saved_version_sum = total
    ctx.saved_sources = sources


cdef unsigned long long _saved_versions_total(Context node):
    # The sum of the version counters of the tensors node saved (node.version0 is set).
    cdef unsigned long long total = node.version0.value
    if node.version1 is not None:
        total += node.version1.value
        if node.more_versions is not None:
            for counter in node.more_versions:
                total += (<VersionCounter>counter).value
    return total


cdef void _check_versions(Context node) except *:
    cdef unsigned long long total = _saved_versions_total(node)
    if total != node.saved_version_sum:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"a tensor saved by {node.op_name} for backward is at version {total}; expected version "
            f"{node.saved_version_sum} instead (setitem, an in-place method or an optimizer step changed it "
            "after the forward pass). Hint: run the forward pass again after the modification, or modify a "
            "clone() instead.")


cdef void _check_finite(fn, str phase, object array) except *:
    if isinstance(array, ndarray) and array.dtype.kind in "fc" and not np.isfinite(array).all():
        name = getattr(fn, "__name__", "Function")
        raise FloatingPointError(
            f"anomaly detected: {name} {phase} produced nan or inf "
            f"(shape {array.shape}, dtype {array.dtype})")


cdef object _forward_result(fn, object out):
    # A forward that returned something other than an ndarray: a number becomes a 0-d array;
    # None or several outputs are refused (PyTorch allows them; microtorch ops have one output).
    name = getattr(fn, "__name__", "Function")
    if out is None:
        raise TypeError(f"{name}.forward returned None: a Function's forward must return its output array")
    if isinstance(out, (tuple, list)):
        raise TypeError(
            f"{name}.forward returned a {type(out).__name__} of {len(out)} values: microtorch Functions have "
            "exactly one output array (PyTorch allows several). Write one Function per output, or "
            "stack the outputs into one array")
    if isinstance(out, TensorBase):
        return (<TensorBase>out)._data
    out = asarray(out)
    if out.dtype.kind not in "biufc":
        raise TypeError(f"{name}.forward returned an array of dtype {out.dtype}; expected numbers")
    return out


cdef void _saved_as_array(Context ctx, object returned, object out) except *:
    # forward returned a number (numpy gives a scalar, not an array, for 0-d operands) and saved
    # it: save the 0-d array it became instead, so that backward sees the op's own output (which
    # a create_graph backward must recognise as such, to differentiate through it).
    cdef tuple saved = ctx.saved
    if any(item is returned for item in saved):
        ctx.saved = tuple(out if item is returned else item for item in saved)


cdef object _complex_error(fn, object dtype):
    name = getattr(fn, "__name__", "Function")
    return TypeError(
        f"{name}: the result has complex dtype {dtype}, and microtorch tensors are real. (PyTorch "
        "supports complex tensors with conjugate Wirtinger gradients; microtorch refuses them "
        "rather than return a gradient of another convention.) Work on the real and imaginary "
        "parts as two real tensors")


cdef object _backward_in_anomaly_mode(Context node, object grad):
    # node's backward, with PyTorch's anomaly checks: a nan (or, stricter than PyTorch, an inf) in
    # a gradient raises, and any error is preceded by a warning that shows where forward ran.
    try:
        returned = node.backward(node, grad)
        for i, g in enumerate(returned if type(returned) is tuple else (returned,)):
            if isinstance(g, ndarray) and g.dtype.kind in "fc":
                if np.isnan(g).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
                if np.isinf(g).any():
                    raise RuntimeError(f"Function '{node.name()}' returned inf values in its {i}th output.")
    except Exception:
        stack = "".join(node.forward_stack) if node.forward_stack is not None else (
            "  (not recorded: the forward ran before anomaly detection was enabled)\n")
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                      f"the error:\n{stack}", stacklevel=2)
        raise
    return returned


cdef object _forward_error(fn, PyObject **args, Py_ssize_t n, error):
    # Name the op and the shapes of its inputs in numpy's complaint.
    name = getattr(fn, "__name__", "Function")
    inputs = [<object>args[i] for i in range(n)]
    arrays = [(<TensorBase>a)._data if isinstance(a, TensorBase) else a for a in inputs]
    described = ", ".join(
        f"{a.shape} {a.dtype}" if isinstance(a, ndarray) else repr(a) for a in arrays)
    message = f"{name}: {error} (inputs: {described})"
    if isinstance(error, IndexError):
        return IndexError(message)
    if isinstance(error, TypeError):
        return TypeError(message)
    return RuntimeError(message)


# ==================================================================================================
# Backward
# Count each node's consumers, run a node once all of them sent their gradient (no recursion).
# ==================================================================================================

cdef inline bint has_shape(object array, tuple shape):
    # array.shape == shape, read from the array's C struct without building a tuple
    cdef int i, ndim = cnp.PyArray_NDIM(<cnp.ndarray>array)
    cdef cnp.npy_intp* dims = cnp.PyArray_DIMS(<cnp.ndarray>array)
    if ndim != PyTuple_GET_SIZE(shape):
        return False
    for i in range(ndim):
        if dims[i] != <cnp.npy_intp><object>PyTuple_GET_ITEM(shape, i):
            return False
    return True


cdef inline bint same_shape(object a, object b):
    # a.shape == b.shape for two arrays, from their C structs
    cdef int i, ndim = cnp.PyArray_NDIM(<cnp.ndarray>a)
    cdef cnp.npy_intp* dims_a = cnp.PyArray_DIMS(<cnp.ndarray>a)
    cdef cnp.npy_intp* dims_b = cnp.PyArray_DIMS(<cnp.ndarray>b)
    if ndim != cnp.PyArray_NDIM(<cnp.ndarray>b):
        return False
    for i in range(ndim):
        if dims_a[i] != dims_b[i]:
            return False
    return True


cdef inline object dtype_of(object array):
    return <object>cnp.PyArray_DESCR(<cnp.ndarray>array)


cdef object unbroadcast(object grad, object shape, object dtype, Context node, Py_ssize_t i):
    """Sum grad back to shape (undoing numpy broadcasting) and cast it to dtype.

    grad is what node's backward returned for its input i. As in PyTorch, the input's shape must
    broadcast to grad's shape, and grad must be real (it is cast to the input's dtype).
    """
    if type(grad) is not ndarray:
        grad = (<TensorBase>grad)._data if isinstance(grad, TensorBase) else asarray(grad)
    if not has_shape(grad, shape):
        summed = _sum_to_shape(grad, grad.shape, shape)
        if summed is None:
            raise _invalid_gradient(node, i, f"got {list(grad.shape)} but expected shape compatible with {list(shape)}")
        grad = summed
    gdtype = dtype_of(grad)
    if gdtype is not dtype and gdtype != dtype:
        if gdtype.kind not in "biuf":
            raise _invalid_gradient(node, i, f"expected a real gradient of dtype {dtype} but got dtype {gdtype}")
        grad = grad.astype(dtype)
    return grad


cdef object unbroadcast_to(object grad, object like, Context node, Py_ssize_t i):
    """unbroadcast to the shape and dtype of the array like (a leaf's data)."""
    if type(grad) is ndarray and same_shape(grad, like):
        dtype = dtype_of(like)
        gdtype = dtype_of(grad)
        if gdtype is dtype or gdtype == dtype:
            return grad
    return unbroadcast(grad, like.shape, like.dtype, node, i)


cdef object _sum_to_shape(object grad, tuple gshape, tuple shape):
    # grad summed over the dims that broadcasting added or stretched, or None if shape does not
    # broadcast to gshape (PyTorch's is_expandable_to).
    cdef Py_ssize_t lead = len(gshape) - len(shape), i
    if lead < 0:
        return None
    axes = list(range(lead))
    for i in range(len(shape)):
        if shape[i] == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
        elif shape[i] != gshape[lead + i]:
            return None
    if axes:
        grad = grad.sum(axis=tuple(axes), keepdims=True)
    return grad.reshape(shape)


cdef object _invalid_gradient(Context node, Py_ssize_t i, str problem):
    return RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - {problem}")


# ---- accumulation: leaves under a lock, so that threads running backward into a shared leaf
# add up (the in-place numpy add releases the GIL, and a read-add-store is never atomic)

cdef PyThread_type_lock _leaf_grad_lock = PyThread_allocate_lock()


cdef inline void _lock_leaf_grads():
    if not PyThread_acquire_lock(_leaf_grad_lock, NOWAIT_LOCK):
        with nogil:   # the holder may need the GIL to finish its add
            PyThread_acquire_lock(_leaf_grad_lock, WAIT_LOCK)


cdef void accumulate_leaf(TensorBase leaf, object grad, bint create_graph=False) except *:
    # Leaf .grad accumulates across backward calls; a fresh buffer at most once.
    _lock_leaf_grads()
    try:
        if create_graph or isinstance(grad, TensorBase):
            _accumulate_leaf_tensor(leaf, grad)
        elif leaf._grad is None:
            leaf._grad = grad
            leaf._grad_owned = False
        elif leaf._grad_owned:
            np_add(leaf._grad, grad, leaf._grad)   # out= positionally: the faster ufunc call
        else:
            leaf._grad = fresh_sum(leaf._grad, grad)
            leaf._grad_owned = True
    finally:
        PyThread_release_lock(_leaf_grad_lock)


cdef inline void accumulate_node(Context record, object grad, bint create_graph=False) except *:
    if record.grad_buffer is None:
        record.grad_buffer = grad
        record.grad_owned = False
    elif create_graph:
        record.grad_buffer = record.grad_buffer + grad   # recorded: a Tensor sum
    elif record.grad_owned:
        np_add(record.grad_buffer, grad, record.grad_buffer)
    else:
        record.grad_buffer = fresh_sum(record.grad_buffer, grad)
        record.grad_owned = True


cdef inline object _fit(object grad, object shape, object dtype, bint create_graph, Context node, Py_ssize_t i):
    # A gradient summed back to its input's shape (undoing broadcasting) and cast to its dtype.
    return _fit_tensor(grad, shape, dtype) if create_graph else unbroadcast(grad, shape, dtype, node, i)


cdef inline object _sum(object a, object b, bint create_graph):
    return a + b if create_graph else fresh_sum(a, b)


cdef inline object fresh_sum(object a, object b):
    # a + b in a new array (numpy returns a scalar, not an array, for 0-d operands)
    total = a + b
    return total if type(total) is ndarray else asarray(total)


cdef object _released_error(Context node):
    return RuntimeError(
        f"Trying to backward through the graph a second time: the arrays saved by {node.op_name} "
        "were freed after the first backward. Call backward(retain_graph=True) the first time "
        "if you need to backward through the graph again.")


# ---- per-pass bookkeeping: a node's dependencies and gradient buffer (its "record")
# A pass that starts while no other runs keeps them on the nodes themselves (the fast path).
# A pass that starts while another runs (backward called from a hook or a Function's backward,
# or from another thread) keeps them in its own dict, node -> a bare Context used as the record,
# so it never touches the fields the other pass is using.

cdef inline Context record_of(dict records, Context node):
    if records is None:
        return node
    return <Context>records[node]


cdef void _count_dependencies(list roots, dict records, dict stop) except *:
    """First pass: visit every node reachable from the roots once and count its consumers.

    On the nodes, it also empties each gradient buffer: a backward that failed part-way may have
    left gradients there, and they must not leak into this pass. Nodes in stop (partial
    derivatives) are counted but not looked past.
    """
    global _backward_pass
    _backward_pass += 1
    cdef unsigned long long mark = _backward_pass
    cdef Context node, parent, record
    cdef list stack = []
    cdef Py_ssize_t i
    for node in roots:
        if records is None:
            if node.visit_mark != mark:
                node.visit_mark = mark
                node.dependencies = 0
                node.grad_buffer = None
                stack.append(node)
        elif node not in records:
            records[node] = Context.__new__(Context)
            stack.append(node)
    while stack:
        node = <Context>stack.pop()
        if node.released:
            raise _released_error(node)
        if stop is not None and node in stop:
            continue
        for i in range(node.n_inputs):
            edge = edge_of(node, i)
            if type(edge) is Context:
                parent = <Context>edge
                if records is None:
                    if parent.visit_mark != mark:
                        parent.visit_mark = mark
                        parent.dependencies = 0
                        parent.grad_buffer = None
                        stack.append(parent)
                    parent.dependencies += 1
                else:
                    record = <Context>records.get(parent)
                    if record is None:
                        record = Context.__new__(Context)
                        records[parent] = record
                        stack.append(parent)
                    record.dependencies += 1


cdef class _Targets:
    # What a backward with `inputs` delivers to (autograd.grad, backward(inputs=...)): only these
    # tensors receive gradients; every other leaf is left alone.
    cdef dict position       # leaf TensorBase, or the Context of a non-leaf, -> index in inputs
    cdef tuple tensors       # the input tensors themselves
    cdef list grads          # per input: its gradient so far (None until one arrives)
    cdef bint accumulate     # add into .grad (backward(inputs=)), or only collect (autograd.grad)
    cdef bint stop           # the targets' nodes are not run nor looked past (partial derivatives)

    def __init__(self, tuple tensors, bint accumulate, bint stop=False):
        cdef TensorBase t
        self.tensors = tensors
        self.accumulate = accumulate
        self.stop = stop
        self.grads = [None] * len(tensors)
        self.position = {}
        for i, t in enumerate(tensors):
            self.position[t if t.grad_fn is None else t.grad_fn] = i

    cdef void deliver(self, Py_ssize_t i, object grad, bint create_graph) except *:
        cdef TensorBase t = <TensorBase>self.tensors[i]
        if self.accumulate:
            accumulate_leaf(t, grad, create_graph)
        else:
            previous = self.grads[i]
            self.grads[i] = grad if previous is None else previous + grad


def run_backward(roots, gradients, bint retain_graph=False, bint create_graph=False, inputs=None,
                 bint accumulate=True, bint stop_at_inputs=False):
    """Backpropagate gradients (one per root, shaped like it) through the roots' graph.

    roots is a tensor or a sequence of tensors. With create_graph, the gradients are Tensors and
    the backward pass is itself recorded (so it can be differentiated again). With inputs (a tuple
    of tensors), only those receive gradients: added to their .grad when accumulate, else returned
    as a list (None for an input no gradient reached), as autograd.grad needs; with stop_at_inputs
    the pass does not look past them (partial derivatives).
    Reentrant and thread-safe: see "per-pass bookkeeping" above and ARCHITECTURE.md.
    """
    global _passes_running
    cdef TensorBase root
    cdef Context node, record
    cdef _Targets targets = None if inputs is None else _Targets(tuple(inputs), accumulate, stop_at_inputs)
    if isinstance(roots, TensorBase):
        roots, gradients = (roots,), (gradients,)
    cdef list nodes = []
    for root, gradient in zip(roots, gradients):
        if root.grad_fn is None:   # a leaf differentiated with respect to itself
            if targets is None:
                accumulate_leaf(root, gradient, create_graph)
            elif root in targets.position:
                targets.deliver(targets.position[root], gradient, create_graph)
        else:
            nodes.append(root.grad_fn)
    if not nodes:
        return None if targets is None else targets.grads
    cdef dict records = None if _passes_running == 0 else {}   # read and counted with the GIL held
    cdef bint grad_mode = grad_enabled()
    _passes_running += 1
    # as in PyTorch, hooks and backwards run without recording, unless the pass is to be recorded
    set_grad_enabled_flag(create_graph)
    try:
        _count_dependencies(nodes, records, targets.position if targets is not None and targets.stop else None)
        for root, gradient in zip(roots, gradients):
            if root.grad_fn is not None:
                accumulate_node(record_of(records, root.grad_fn), gradient, create_graph)
        ready = [node for node in dict.fromkeys(nodes) if record_of(records, node).dependencies == 0]
        _backward_from(ready, retain_graph, create_graph, targets, records)
    finally:
        set_grad_enabled_flag(grad_mode)
        _passes_running -= 1
    return None if targets is None else targets.grads


cdef tuple _gradients_of(Context node, object returned, Py_ssize_t n):
    # The slow path for a backward that did not return one array for its one input, or a tuple of
    # one gradient per input: as in PyTorch, extra trailing Nones are dropped, anything else raises.
    cdef Py_ssize_t count = 1
    if type(returned) is tuple:
        count = PyTuple_GET_SIZE(<tuple>returned)
        if count > n and all(g is None for g in (<tuple>returned)[n:]):
            return (<tuple>returned)[:n]
    raise RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected {n}, got {count})")


cdef void _backward_from(list ready, bint retain_graph, bint create_graph, _Targets targets,
                         dict records) except *:
    # Second pass: run each node once all its consumers have sent their gradient.
    cdef Context node, parent, record
    cdef TensorBase leaf
    cdef Py_ssize_t i, n
    cdef tuple grads
    cdef object only   # the gradient, when a one-input op's backward returned one array rather than a tuple
    cdef dict hooked_leaves = None   # leaf -> its summed gradient, for leaves whose hooks must see the sum
    while ready:
        node = <Context>ready.pop()
        record = record_of(records, node)
        grad = record.grad_buffer
        record.grad_buffer = None
        n = node.n_inputs
        if grad is not None:
            if node.released:   # freed by a backward() called from a hook or a backward of this pass
                raise _released_error(node)
            if node.hooks is not None:
                grad = _run_hooks(node.hooks, grad, node.out_shape)
            if node.retained is not None:
                _retain(node, grad, create_graph)
            if targets is not None and node in targets.position:
                targets.deliver(targets.position[node], grad, create_graph)
                if targets.stop:
                    continue   # a partial derivative: this input's own graph is not our business
            if node.version0 is not None:
                _check_versions(node)
            if create_graph:
                only = _graph_backward(node, grad)
            elif _detect_anomaly:
                only = _backward_in_anomaly_mode(node, grad)
            else:
                only = node.backward(node, grad)
            if node.released:   # a backward() called from its hook or its backward freed it
                raise _released_error(node)
            grads = None
            if type(only) is tuple:
                grads = <tuple>only
                if PyTuple_GET_SIZE(grads) != n:
                    grads = _gradients_of(node, grads, n)
            elif n != 1:
                grads = _gradients_of(node, only, n)
        else:
            grads = only = None
        for i in range(n):
            edge = edge_of(node, i)
            g = only if grads is None else <object>PyTuple_GET_ITEM(grads, i)
            if type(edge) is Context:
                parent = <Context>edge
                record = record_of(records, parent)
                if g is not None:
                    accumulate_node(record, _fit(g, parent.out_shape, parent.out_dtype, create_graph, node, i),
                                    create_graph)
                record.dependencies -= 1
                if record.dependencies == 0:
                    ready.append(parent)
            elif g is not None and isinstance(edge, TensorBase):
                leaf = <TensorBase>edge
                if targets is not None and leaf not in targets.position:
                    continue   # autograd.grad / backward(inputs=): other leaves get nothing
                g = _fit_tensor(g, leaf._data.shape, leaf._data.dtype) if create_graph else \
                    unbroadcast_to(g, leaf._data, node, i)
                if leaf._hooks is None:
                    _deliver_leaf(leaf, g, create_graph, targets)
                else:
                    if hooked_leaves is None:
                        hooked_leaves = {}
                    previous = hooked_leaves.get(leaf)
                    hooked_leaves[leaf] = g if previous is None else _sum(previous, g, create_graph)
        if not retain_graph:
            node.release()
    if hooked_leaves is not None:
        # As in PyTorch, a leaf's hooks run once, on the sum of everything sent to it.
        for leaf, g in hooked_leaves.items():
            _deliver_leaf(leaf, _run_hooks(leaf._hooks, g, leaf._data.shape), create_graph, targets)


cdef inline void _deliver_leaf(TensorBase leaf, object grad, bint create_graph, _Targets targets) except *:
    if targets is None:
        accumulate_leaf(leaf, grad, create_graph)
    else:
        targets.deliver(targets.position[leaf], grad, create_graph)


# ==================================================================================================
# Differentiable backward (create_graph=True)
# The same traversal with Tensors for gradients. An op's backward formula is written once, with
# numpy operators and functions; Tensor implements numpy's dispatch protocols, so on Tensors the
# same formula records graph nodes, and the gradient can be differentiated again.
# ==================================================================================================

cdef object _sum_to_size = None   # microtorch.tensor's sum_to_shape(tensor, shape, dtype), registered at import


def register_sum_to_shape(fn):
    """Tell the engine how to sum a gradient Tensor back to an input's shape (a recorded op)."""
    global _sum_to_size
    _sum_to_size = fn


cdef object _as_graph_tensor(object value):
    return value if isinstance(value, TensorBase) else wrap(asarray(value))


cdef object _fit_tensor(object grad, object shape, object dtype):
    grad = _as_graph_tensor(grad)
    array = (<TensorBase>grad)._data
    if array.shape == shape and array.dtype == dtype:
        return grad
    return _sum_to_size(grad, shape, dtype)


cdef void _accumulate_leaf_tensor(TensorBase leaf, object grad) except *:
    # .grad becomes a Tensor with a grad_fn; an earlier gradient is added by a recorded sum.
    grad = _as_graph_tensor(grad)
    if leaf._grad is not None:
        grad = grad_of(leaf) + grad
    leaf._grad = (<TensorBase>grad)._data
    leaf._grad_owned = False
    leaf._grad_tensor = grad


cdef bint _is_constant_input(Context node, object array):
    # Is array one of the node's inputs that needed no gradient (its edge is the value itself)?
    cdef Py_ssize_t i
    for i in range(node.n_inputs):
        if edge_of(node, i) is array:
            return True
    return False


cdef tuple _saved_for_graph(Context node):
    # The node's saved arrays as tensors of the graph: its output as a tensor whose grad_fn is the
    # node itself, an input as the input's own tensor (or one with its grad_fn). Masks and indices
    # stay arrays. A float array made inside forward would be a constant here and give a wrong
    # second derivative, so it is refused.
    cdef tuple saved = node.saved
    cdef Py_ssize_t j
    cdef unsigned int code
    cdef TensorBase t
    cdef list items = []
    for j in range(PyTuple_GET_SIZE(saved)):
        item = <object>PyTuple_GET_ITEM(saved, j)
        code = ((node.saved_sources >> (4 * j)) & 15) if j < SAVED_TRACKED else SAVED_UNKNOWN
        if code == SAVED_OUTPUT:
            t = wrap(item)
            t.grad_fn = node
            t._requires_grad = True
            item = t
        elif code >= SAVED_INPUT0:
            edge = edge_of(node, code - SAVED_INPUT0)
            if type(edge) is Context:
                t = wrap(item)
                t.grad_fn = <Context>edge
                t._requires_grad = True
                item = t
            elif isinstance(edge, TensorBase) and (<TensorBase>edge)._data is item:
                item = edge
        elif isinstance(item, (ndarray, np.generic)) and (<object>item).dtype.kind in "fc" \
                and not _is_constant_input(node, item):
            raise RuntimeError(
                f"{node.op_name}: its backward uses a value computed inside forward (saved array {j}, shape "
                f"{item.shape}), so it cannot be differentiated again with create_graph=True")
        items.append(item)
    return tuple(items)


cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define MICROTORCH_GRAPH_TLS __declspec(thread)
    #else
    #define MICROTORCH_GRAPH_TLS __thread
    #endif
    static MICROTORCH_GRAPH_TLS PyObject *microtorch_graph_node = NULL;  /* borrowed */
    """
    PyObject *microtorch_graph_node   # the node whose backward a create_graph pass runs, in this thread


def graph_backward_op():
    """The name of the op whose backward a create_graph pass is running in this thread, or None.

    Tensor.__array__ reads it: turning a Tensor that requires grad into an array there would cut
    the gradient from the graph without a word, so it raises instead."""
    return None if microtorch_graph_node == NULL else (<Context>microtorch_graph_node).op_name


class _Alias:
    """Stands for an input of a fused op in the graph of the op's decomposition (an identity)."""

    @staticmethod
    def backward(ctx, grad):
        return grad


cdef TensorBase _alias(object array, Context parent):
    # A tensor holding array whose node passes its gradient on to parent unchanged. The graph of a
    # decomposition starts at aliases, so that its backward stops there without touching the outer graph.
    cdef Context ctx = Context.__new__(Context)
    ctx.n_inputs = 1
    ctx.edge0 = parent
    ctx.fn = _Alias
    ctx.backward = _Alias.backward
    ctx.needs_input_grad = (True,)
    ctx.out_shape = array.shape
    ctx.out_dtype = array.dtype
    cdef TensorBase t = wrap(array)
    t.grad_fn = ctx
    t._requires_grad = True
    return t


cdef object _saved_input(Context node, Py_ssize_t i):
    # The array forward saved for input i (an op with a decomposition saves every non-leaf input).
    cdef Py_ssize_t j
    if node.saved is not None:
        for j in range(min(PyTuple_GET_SIZE(node.saved), SAVED_TRACKED)):
            if ((node.saved_sources >> (4 * j)) & 15) == SAVED_INPUT0 + i:
                return <object>PyTuple_GET_ITEM(node.saved, j)
    raise RuntimeError(f"{node.op_name}: its decomposition needs input {i}, which forward did not save "
                       "(save every tensor input with ctx.save_for_backward)")


cdef tuple _decomposed_backward(Context node, object grad):
    # A fused op whose backward uses values made inside forward, differentiated with create_graph:
    # run its decomposition (the same function written with recorded ops) on aliases of its inputs,
    # and return the gradient of that with respect to each input, itself recorded.
    cdef Py_ssize_t i
    cdef list args = [], wrt = [], positions = []
    for i in range(node.n_inputs):
        edge = edge_of(node, i)
        if type(edge) is Context:
            arg = _alias(_saved_input(node, i), <Context>edge)
        elif isinstance(edge, TensorBase):
            arg = edge
        else:
            args.append(edge)   # a constant (an array for a tensor that needs no gradient)
            continue
        args.append(arg)
        wrt.append(arg)
        positions.append(i)
    cdef PyObject *outer = microtorch_graph_node
    global microtorch_graph_node
    microtorch_graph_node = <PyObject*>node   # np.asarray on a graph tensor in there would cut the gradient
    try:
        out = node.fn.decomposition(*args)
    finally:
        microtorch_graph_node = outer
    grads = run_backward((out,), (grad,), True, True, tuple(wrt), False, True)
    result = [None] * node.n_inputs
    for i, g in zip(positions, grads):
        result[i] = g
    return tuple(result)


cdef object _graph_backward(Context node, object grad):
    # Run node's backward on Tensors, recording it.
    if getattr(node.fn, "once_differentiable", False):
        raise RuntimeError(
            f"{node.op_name}: its backward is not differentiable, so create_graph=True cannot pass through it")
    if hasattr(node.fn, "decomposition"):
        return _decomposed_backward(node, _as_graph_tensor(grad))
    node.graph_saved = _saved_for_graph(node) if node.saved is not None else None
    cdef PyObject *outer = microtorch_graph_node   # a backward may run another backward (nested)
    global microtorch_graph_node
    microtorch_graph_node = <PyObject*>node
    try:
        return node.backward(node, _as_graph_tensor(grad))
    finally:
        microtorch_graph_node = outer
        node.graph_saved = None


# ==================================================================================================
# Hooks and retain_grad
# ==================================================================================================

cdef object _run_hooks(list hooks, object grad, object shape):
    cdef bint as_tensor = isinstance(grad, TensorBase)   # a create_graph backward: keep the graph
    for hook in tuple(hooks):   # a snapshot: a hook may remove itself (or another) while they run
        replaced = hook(grad if as_tensor else wrap(grad))
        if replaced is not None:
            if as_tensor:
                replaced = replaced if isinstance(replaced, TensorBase) else wrap(asarray(replaced))
                if (<TensorBase>replaced)._data.shape != shape:
                    raise RuntimeError(
                        f"hook {hook!r} returned a gradient of shape {(<TensorBase>replaced)._data.shape}, "
                        f"expected {shape}")
                grad = replaced
                continue
            if isinstance(replaced, TensorBase):
                replaced = (<TensorBase>replaced)._data
            replaced = asarray(replaced)
            if replaced.shape != shape:
                raise RuntimeError(
                    f"hook {hook!r} returned a gradient of shape {replaced.shape}, expected {shape}")
            grad = replaced
    return grad


cdef void _retain(Context node, object grad, bint create_graph) except *:
    tensor = node.retained()
    if tensor is not None:
        accumulate_leaf(<TensorBase>tensor, grad, create_graph)   # retained gradients accumulate, as leaf ones do


def retain_grad(TensorBase tensor):
    """Keep the gradient of a non-leaf tensor in its .grad after backward."""
    if tensor.grad_fn is not None:
        tensor.grad_fn.retained = weakref.ref(tensor)


def add_hook(TensorBase tensor, hook):
    """Register hook(grad) -> Tensor or None on the gradient flowing into tensor."""
    if tensor.grad_fn is None:
        if tensor._hooks is None:
            tensor._hooks = []
        tensor._hooks.append(hook)
        return tensor._hooks
    if tensor.grad_fn.hooks is None:
        tensor.grad_fn.hooks = []
        _track_node(tensor.grad_fn)   # a hook may refer back into the graph
    tensor.grad_fn.hooks.append(hook)
    return tensor.grad_fn.hooks
