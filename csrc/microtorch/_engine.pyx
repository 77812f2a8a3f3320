"""The compiled half of microtorch's tensor autograd.

Forward: `apply(fn, *args)` runs an op's numpy forward and records one Context
node per result that needs a gradient. Backward: `run_backward(root, grad)`
walks those nodes iteratively, as PyTorch's engine does: count how many
consumers each node has, then run a node once all of them have sent their
gradient. The arithmetic itself lives in the ops (microtorch/ops/, one file per family).
"""
cimport cython
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM, PyTuple_GET_SIZE, PyTuple_GET_ITEM
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_XDECREF
from cpython.sequence cimport PySequence_Fast_ITEMS
from cpython.object cimport PyTypeObject

cdef extern from "Python.h":
    object PyObject_Call(object callable, object args, PyObject *kwargs)
    object PyObject_Vectorcall(object callable, PyObject **args, size_t nargsf, PyObject *kwnames)
    PyObject **_PyObject_GetDictPtr(PyObject *obj)
    object PyObject_GenericGetDict(object obj, void *context)
    void Py_CLEAR(PyObject *obj)
    int PyObject_GC_IsTracked(object obj)
    void PyObject_GC_UnTrack(object obj)
    void PyObject_GC_Track(object obj)

import weakref
import numpy as np
cimport numpy as cnp

cnp.import_array()

from microtorch._grad_mode cimport grad_enabled

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
cdef unsigned long long _backward_pass = 0
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
        return self.saved

    @property
    def op_name(self):
        """The op's name, as microtorch's messages and drawings show it: "Mul"."""
        return getattr(self.fn, "__name__", "Function")

    def name(self):
        """torch's name of this node: "MulBackward0" (see _TORCH_NODE_NAMES)."""
        op = self.op_name
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


def detach(TensorBase t):
    """A new leaf sharing t's data and its version counter, so in-place edits through it are seen."""
    cdef TensorBase result = wrap(t._data)
    result._version_counter = counter_of(t)
    return result


def rebind(TensorBase t, TensorBase result):
    """t becomes result in the graph: how an in-place op on a tensor that autograd records is done.

    result was computed out of place (same shape and dtype as t), so the array t held is left as it
    was. t takes result's array and grad_fn and its version is bumped, as for any in-place change:
    nodes that saved t's old values refuse to backpropagate, as in PyTorch. result's node saved
    those values before the bump and is told about it; where it saved its own output, it now
    watches t's counter, which later in-place changes of t will bump.
    """
    cdef VersionCounter counter = counter_of(t)
    cdef Context node = result.grad_fn
    cdef Py_ssize_t i
    counter.value += 1
    if node is not None and node.version0 is not None:
        made = result._version_counter
        if node.version0 is made:
            node.version0 = counter
        if node.version1 is made:
            node.version1 = counter
        if node.more_versions is not None:
            for i in range(len(node.more_versions)):
                if node.more_versions[i] is made:
                    node.more_versions[i] = counter
        node.saved_version_sum = _saved_versions_total(node)
    t._data = result._data
    t.grad_fn = node
    t._requires_grad = result._requires_grad


def make_tensor(array, bint requires_grad=False):
    """A leaf Tensor around a numpy array (no copy, no checks: callers check)."""
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
        out = asarray(out)
    result = wrap(out)
    if _detect_anomaly:
        _check_finite(fn, "forward", out)
    if cnp.PyArray_BASE(<cnp.ndarray>out) != NULL:
        _share_view_version(args, n, out, result)
    if mask:
        _record_node(ctx, result, out, fn, backward, args, n, edge0, edge1, more_edges, parent, cyclic)
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


cdef void _track_saved_versions(Context ctx, PyObject **args, Py_ssize_t n, object out,
                                TensorBase result) except *:
    # Remember the version counter of every tensor whose array forward saved, and their sum, to
    # catch in-place edits later. Arrays that no tensor holds (fresh intermediates) need none.
    cdef tuple saved = ctx.saved
    cdef Py_ssize_t i, j, found = 0
    cdef VersionCounter counter
    cdef unsigned long long total = 0
    for j in range(PyTuple_GET_SIZE(saved)):
        item = <object>PyTuple_GET_ITEM(saved, j)
        counter = None
        if item is out:
            counter = counter_of(result)
        else:
            for i in range(n):
                arg = <object>args[i]
                if isinstance(arg, TensorBase) and item is (<TensorBase>arg)._data:
                    counter = counter_of(<TensorBase>arg)
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


cdef object unbroadcast(object grad, object shape, object dtype):
    """Sum grad back to shape (undoing numpy broadcasting) and cast it to dtype."""
    if type(grad) is not ndarray:
        grad = asarray(grad)
    if not has_shape(grad, shape):
        grad = _sum_to_shape(grad, grad.shape, shape)
    gdtype = dtype_of(grad)
    if gdtype is not dtype and gdtype != dtype:
        grad = grad.astype(dtype)
    return grad


cdef object unbroadcast_to(object grad, object like):
    """unbroadcast to the shape and dtype of the array like (a leaf's data)."""
    if type(grad) is ndarray and same_shape(grad, like):
        dtype = dtype_of(like)
        gdtype = dtype_of(grad)
        if gdtype is dtype or gdtype == dtype:
            return grad
    return unbroadcast(grad, like.shape, like.dtype)


cdef object _sum_to_shape(object grad, tuple gshape, tuple shape):
    cdef Py_ssize_t lead = len(gshape) - len(shape), i
    if lead < 0:
        if grad.size == 1 or _broadcastable(gshape, shape):
            return np.broadcast_to(grad, shape).copy()
        raise RuntimeError(f"backward: gradient of shape {gshape} cannot be summed to input shape {shape}")
    axes = list(range(lead))
    for i in range(len(shape)):
        if shape[i] == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
        elif shape[i] != gshape[lead + i]:
            raise RuntimeError(
                f"backward: gradient of shape {gshape} does not match input shape {shape}")
    if axes:
        grad = grad.sum(axis=tuple(axes), keepdims=True)
    return grad.reshape(shape)


cdef bint _broadcastable(tuple small, tuple big):
    cdef Py_ssize_t i, lead = len(big) - len(small)
    for i in range(len(small)):
        if small[i] != 1 and small[i] != big[lead + i]:
            return False
    return True


cdef inline void accumulate_leaf(TensorBase leaf, object grad):
    # Leaf .grad accumulates across backward calls; a fresh buffer at most once.
    if leaf._grad is None:
        leaf._grad = grad
        leaf._grad_owned = False
    elif leaf._grad_owned:
        np_add(leaf._grad, grad, leaf._grad)   # out= positionally: the faster ufunc call
    else:
        leaf._grad = fresh_sum(leaf._grad, grad)
        leaf._grad_owned = True


cdef inline void accumulate_node(Context node, object grad):
    if node.grad_buffer is None:
        node.grad_buffer = grad
        node.grad_owned = False
    elif node.grad_owned:
        np_add(node.grad_buffer, grad, node.grad_buffer)
    else:
        node.grad_buffer = fresh_sum(node.grad_buffer, grad)
        node.grad_owned = True


cdef inline object fresh_sum(object a, object b):
    # a + b in a new array (numpy returns a scalar, not an array, for 0-d operands)
    total = a + b
    return total if type(total) is ndarray else asarray(total)


cdef object _released_error(Context node):
    return RuntimeError(
        f"Trying to backward through the graph a second time: the arrays saved by {node.op_name} "
        "were freed after the first backward. Call backward(retain_graph=True) the first time "
        "if you need to backward through the graph again.")


cdef void _count_dependencies(Context root) except *:
    """First pass: visit every node reachable from root once and count its consumers.

    It also empties each node's gradient buffer: a backward that failed part-way may have
    left gradients there, and they must not leak into this pass.
    """
    global _backward_pass
    _backward_pass += 1
    cdef unsigned long long mark = _backward_pass
    cdef Context node, parent
    cdef list stack = [root]
    cdef Py_ssize_t i
    root.visit_mark = mark
    root.dependencies = 0
    while stack:
        node = <Context>stack.pop()
        if node.released:
            raise _released_error(node)
        for i in range(node.n_inputs):
            edge = edge_of(node, i)
            if type(edge) is Context:
                parent = <Context>edge
                if parent.visit_mark != mark:
                    parent.visit_mark = mark
                    parent.dependencies = 0
                    parent.grad_buffer = None
                    stack.append(parent)
                parent.dependencies += 1


def run_backward(TensorBase root, gradient, bint retain_graph=False):
    """Backpropagate gradient (an ndarray shaped like root) through root's graph."""
    if root.grad_fn is None:
        accumulate_leaf(root, gradient)
        return
    cdef Context root_node = root.grad_fn
    _count_dependencies(root_node)
    root_node.grad_buffer = gradient
    root_node.grad_owned = False
    _backward_from(root_node, retain_graph)


cdef void _backward_from(Context root_node, bint retain_graph) except *:
    # Second pass: run each node once all its consumers have sent their gradient.
    cdef Context node, parent
    cdef TensorBase leaf
    cdef Py_ssize_t i, n, count
    cdef tuple grads
    cdef object only   # the gradient, when backward returned one array rather than a tuple
    cdef list ready = [root_node]
    cdef dict hooked_leaves = None   # leaf -> its summed gradient, for leaves whose hooks must see the sum
    while ready:
        node = <Context>ready.pop()
        grad = node.grad_buffer
        node.grad_buffer = None
        n = node.n_inputs
        if grad is not None:
            if node.hooks is not None:
                grad = _run_hooks(node.hooks, grad, node.out_shape)
            if node.retained is not None:
                _retain(node, grad)
            if node.version0 is not None:
                _check_versions(node)
            only = node.backward(node, grad)
            if node.released:   # a backward() called from its hook or its backward freed it
                raise _released_error(node)
            grads = None
            count = 1
            if type(only) is tuple:
                grads = <tuple>only
                count = PyTuple_GET_SIZE(grads)
            if _detect_anomaly:
                for g in (grads if grads is not None else (only,)):
                    _check_finite(node.fn, "backward", g)
            if count < n:
                raise RuntimeError(
                    f"{node.op_name}.backward returned {count} gradients, expected one per forward input ({n})")
        else:
            grads = only = None
        for i in range(n):
            edge = edge_of(node, i)
            g = only if grads is None else <object>PyTuple_GET_ITEM(grads, i)
            if type(edge) is Context:
                parent = <Context>edge
                if g is not None:
                    accumulate_node(parent, unbroadcast(g, parent.out_shape, parent.out_dtype))
                parent.dependencies -= 1
                if parent.dependencies == 0:
                    ready.append(parent)
            elif g is not None and isinstance(edge, TensorBase):
                leaf = <TensorBase>edge
                g = unbroadcast_to(g, leaf._data)
                if leaf._hooks is None:
                    accumulate_leaf(leaf, g)
                else:
                    if hooked_leaves is None:
                        hooked_leaves = {}
                    previous = hooked_leaves.get(leaf)
                    hooked_leaves[leaf] = g if previous is None else fresh_sum(previous, g)
        if not retain_graph:
            node.release()
    if hooked_leaves is not None:
        # As in PyTorch, a leaf's hooks run once, on the sum of everything sent to it.
        for leaf, g in hooked_leaves.items():
            accumulate_leaf(leaf, _run_hooks(leaf._hooks, g, leaf._data.shape))


# ==================================================================================================
# Hooks and retain_grad
# ==================================================================================================

cdef object _run_hooks(list hooks, object grad, object shape):
    for hook in hooks:
        replaced = hook(wrap(grad))
        if replaced is not None:
            if isinstance(replaced, TensorBase):
                replaced = (<TensorBase>replaced)._data
            replaced = asarray(replaced)
            if replaced.shape != shape:
                raise RuntimeError(
                    f"hook {hook!r} returned a gradient of shape {replaced.shape}, expected {shape}")
            grad = replaced
    return grad


cdef void _retain(Context node, object grad) except *:
    tensor = node.retained()
    if tensor is not None:
        accumulate_leaf(<TensorBase>tensor, grad)   # retained gradients accumulate, as leaf ones do


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
