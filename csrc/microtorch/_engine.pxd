from cpython.ref cimport PyObject

# The tensor autograd engine: graph nodes, op application and the backward traversal.

cdef class VersionCounter:
    # How many in-place modifications a tensor's data has seen; shared with the nodes that saved it.
    cdef public unsigned long long value


cdef class Context:
    # One recorded op application: the node that backward visits.
    # Fields are laid out in the order backward reads them: the edges, counts and gradient buffer
    # that both passes touch come first, so a node costs as few cache lines as possible.
    #
    # Invariants:
    # - A node holds its parents (edges) and never its output tensor (only a weakref, for
    #   retain_grad), so a graph is freed when the last tensor that reaches it goes.
    # - The saved arrays (saved) are owned by the node: forward's arrays, not copies. release()
    #   frees them, the edges and the stash after a backward without retain_graph; a second backward
    #   through a released node raises (released is then True).
    # - grad_buffer is only set during a backward pass; grad_owned says it is a fresh array the
    #   engine made, so later gradients may be added into it in place (never into a user's array).
    # - saved_version_sum is the sum of the saved tensors' version counters at forward time;
    #   backward recomputes it and refuses to run the node if an in-place change raised it.
    #
    # ---- edges: one per forward input
    # An edge is the parent Context, a leaf TensorBase needing grad, or the constant value.
    cdef Py_ssize_t n_inputs            # forward inputs, one edge each (0 once released)
    cdef object edge0                   # edge of the first input
    cdef object edge1                   # edge of the second input (None for one-input ops)
    cdef tuple more_edges               # edges of the third input on, or None: most ops need no tuple
    # ---- backward bookkeeping
    cdef unsigned long long visit_mark  # backward pass that last counted this node
    cdef Py_ssize_t dependencies        # consumers that have not yet sent their gradient
    cdef object grad_buffer             # sum of the gradients arriving for the output during backward
    cdef bint grad_owned                # grad_buffer is a fresh array we may add into in place
    cdef bint released                  # saved arrays were freed by a backward without retain_graph
    # ---- what the op needs to run backward
    cdef object backward                # fn.backward, looked up once
    cdef object out_shape               # shape of the output, for broadcast undo
    cdef object out_dtype               # dtype of the output; gradients are cast to it
    # ---- hooks
    cdef public list hooks              # gradient hooks registered on the (non-leaf) output tensor
    cdef object retained                # weakref to the output tensor when retain_grad() was asked
    # ---- saved state, and the version counters that guard it
    cdef VersionCounter version0        # counters of the tensors whose arrays forward saved: the first
    cdef VersionCounter version1        # two inline (most ops save one or two tensors),
    cdef list more_versions             # the rest in a list, or None
    cdef unsigned long long saved_version_sum  # their sum at forward time; any in-place change raises it
    cdef public tuple saved             # arrays saved by forward for backward (ctx.save_for_backward)
    cdef public tuple needs_input_grad  # per input: does it need a gradient?
    cdef public object fn               # the Function class whose forward/backward this node runs
    cdef PyObject *stash                # ctx.__dict__ (see _lazy_dict.pxi) (ctx.dim = ...): NULL until forward stores a value

    cdef void release(self)


cdef class TensorBase:
    # The data half of a Tensor; the Python class Tensor adds the methods.
    # Invariants: _grad is None or an array of the tensor's shape; _grad_owned says the engine made
    # it, so backward may add into it in place (a user-assigned .grad is copied before that).
    # grad_fn is None for leaves. The version counter is shared with views of the same array.
    cdef object _data                   # the numpy ndarray
    cdef object _grad                   # accumulated gradient (ndarray) or None
    cdef bint _grad_owned               # _grad is ours to add into in place
    cdef bint _requires_grad            # does this tensor take part in autograd?
    cdef public Context grad_fn         # the node that produced this tensor; None for leaves
    cdef public list _hooks             # gradient hooks of a leaf tensor
    cdef VersionCounter _version_counter  # made on first need (a node saving the data, a view, detach(), an in-place change)
    cdef object __weakref__

    cdef _set_requires_grad(self, value)
