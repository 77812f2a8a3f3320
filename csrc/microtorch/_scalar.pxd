# The scalar autograd engine: one Var per number, one C loop for backward.

cimport cython
from cpython.object cimport PyObject

# What produced a Var. LEAF for Vars made by the user and for results recorded under no_grad.
cdef enum OpCode:
    LEAF
    ADD
    SUB
    MUL
    DIV
    POW
    NEG
    EXP
    LOG
    SQRT
    SIN
    COS
    TANH
    RELU
    SIGMOID
    ABS

# Where the number operand of a binary op with a Python number sat.
cdef enum ConstSide:
    NO_CONST
    CONST_LEFT      # 10.0 / x: x is in `a`, 10.0 in `db`
    CONST_RIGHT     # x * 2.0:  x is in `a`, 2.0 in `db`


# Inputs are raw owned references so that backward and __dealloc__ decide when inputs are
# freed (iteratively; Cython's own clearing would recurse once per node of a chain), and so
# the hot loops carry no reference counting Cython would add for typed fields.
@cython.final
cdef class Var:
    cdef double val             # the value
    cdef double grad            # leaves: accumulated gradient; others: scratch, 0.0 outside backward
    cdef PyObject* a            # owned: first input (the only one for unary ops and number operands), or NULL
    cdef PyObject* b            # owned: second input when both operands are Vars, or NULL
    cdef double da              # d(self)/d(a), computed in forward so backward only multiplies and adds
    cdef double db              # d(self)/d(b); with a number operand there is no b, and db holds the number
    cdef int pending            # backward scratch: consumers not yet run; 0 outside backward
    cdef unsigned char op       # an OpCode
    cdef unsigned char const_side   # a ConstSide
    cdef unsigned char requires_grad    # gradients flow to this Var; results get it from their inputs
    cdef unsigned char released         # backward freed the inputs; a second backward would be wrong
