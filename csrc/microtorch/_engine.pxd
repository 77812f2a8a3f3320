from cpython.ref cimport PyObject

# The tensor autograd engine: graph nodes, op application and the backward traversal.

cdef class VersionCounter:
    # How many in-place modifications a tensor's data has seen; shared with the nodes that saved it.
    cdef public unsigned long long value


cdef class Context:
    # One recorded op application: the node that backward visits.
    # Fields are laid out in the order backward reads them: the edges, counts and gradient buffer
    # that both passes touch come first, so a node costs as few cache lines as possible.
    # An edge is the parent Context, a leaf TensorBase needing grad, or the constant value.
    cdef Py_ssize_t n_inputs            # forward inputs, one edge each (0 once released)
    cdef object edge0                   # edge of the first input
    cdef object edge1                   # edge of the second input (None for one-input ops)
    cdef tuple more_edges               # edges of the third input on, or None: most ops need no tuple
    cdef unsigned long long visit_mark  # backward pass that last counted this node
    cdef Py_ssize_t dependencies        # consumers that have not yet sent their gradient
    cdef object grad_buffer             # sum of the gradients arriving for the output during backward
    cdef bint grad_owned                # grad_buffer is a fresh array we may add into in place
    cdef bint released                  # saved arrays were freed by a backward without retain_graph
    cdef object backward                # fn.backward, looked up once
    cdef object out_shape               # shape of the output, for broadcast undo
    cdef object out_dtype               # dtype of the output; gradients are cast to it
    cdef public list hooks              # gradient hooks registered on the (non-leaf) output tensor
    cdef object retained                # weakref to the output tensor when retain_grad() was asked
    cdef VersionCounter version0        # counters of the tensors whose arrays forward saved: the first
    cdef VersionCounter version1        # two inline (most ops save one or two tensors),
    cdef list more_versions             # the rest in a list, or None
    cdef unsigned long long saved_version_sum  # their sum at forward time; any in-place change raises it
    cdef public tuple saved             # arrays saved by forward for backward (ctx.save_for_backward)
    cdef public tuple needs_input_grad  # per input: does it need a gradient?
    cdef public object fn               # the Function class whose forward/backward this node runs
    cdef PyObject *stash                # ctx.__dict__ (ctx.dim = ...): NULL until forward stores a value

    cdef void release(self)


cdef class TensorBase:
    # The data half of a Tensor; the Python class Tensor adds the methods.
    cdef object _data                   # the numpy ndarray
    cdef object _grad                   # accumulated gradient (ndarray) or None
    cdef bint _grad_owned               # _grad is ours to add into in place
    cdef bint _requires_grad            # does this tensor take part in autograd?
    cdef public Context grad_fn         # the node that produced this tensor; None for leaves
    cdef public list _hooks             # gradient hooks of a leaf tensor
    cdef VersionCounter _version_counter  # created when a node first saves this tensor's data
    cdef object __weakref__

    cdef _set_requires_grad(self, value)
