# The scalar autograd engine: one Var per number, recorded on a tape; backward is one C loop.

cimport cython
from libc.stdint cimport uint32_t, uint64_t
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
    CONST_LEFT      # 10.0 / x: x is input 0, 10.0 is kept in d1
    CONST_RIGHT     # x * 2.0:  x is input 0, 2.0 is kept in d1


# One recorded op: what backward reads, and nothing else, so the loop streams 32 bytes an op.
# A leaf that takes part in recorded ops has a slot entry too, so every gradient lands in
# the tape and leaves are written once, at the end, after backward has succeeded.
ctypedef struct Entry:
    double grad         # gradient gathered so far; 0.0 outside backward
    double d0           # d(this)/d(input 0), computed in forward
    double d1           # d(this)/d(input 1); with a number operand, the number (input 1 is a sink)
    uint32_t in0        # tape index of input 0
    uint32_t in1        # tape index of input 1, or a sink


# What drawing and Var handles read about an entry; backward never touches it.
ctypedef struct Node:
    double val              # the value, to rebuild a handle for `inputs`
    PyObject* obj           # op entry: its live Var handle (borrowed), or NULL; leaf slot: the leaf (owned)
    unsigned char op        # an OpCode
    unsigned char const_side    # a ConstSide


# A leaf holds its value and gradient. Any other Var is a handle to its tape entry, valid
# while the tape's generation is the one it was made in (the tape is reset when no live
# handle can reach anything on it).
@cython.final
cdef class Var:
    cdef double val             # the value
    cdef double grad            # leaves: accumulated gradient; handles: 0.0 (gradients stay on the tape)
    cdef Py_ssize_t index       # handle: its entry; leaf: its slot entry, when slot_generation is current
    cdef uint64_t generation    # the tape generation that `index` refers to (0: none)
    cdef unsigned char op       # an OpCode
    cdef unsigned char requires_grad    # gradients flow to this Var; results get it from their inputs
    cdef unsigned char const_side       # a ConstSide, for op_args
    cdef double number          # the number operand, for op_args
