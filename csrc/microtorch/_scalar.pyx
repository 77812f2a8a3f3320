# cython: embedsignature.format=clinic
"""The scalar autograd engine: Var, one float64 number that records how it was computed.

    a = Var(-4.0, requires_grad=True)     # `req_grad=True` is the original spelling
    b = Var(2.0, requires_grad=True)
    g = (a * b + b ** 3).tanh()
    g.backward()                          # a.grad, b.grad now hold dg/da, dg/db

Every recorded op appends one entry to a tape (a Wengert list): its local
derivatives d(out)/d(input), computed in C during forward, and the tape
indices of its inputs. Inputs always come before the ops that use them, so
backward is one C loop down the tape from the root, multiplying and adding;
entries the root does not depend on hold a zero gradient and are skipped.
A Var that is not a leaf is a small handle to its entry, so intermediate
results Python drops cost nothing more than a dropped float.

The tape is reset (emptied for reuse) when no live handle can reach it: when
every live handle belongs to a graph that backward() has released, or there are
none. Handles from before a reset keep their value and op, and behave as part
of a released graph. A leaf used in a recorded op gets a slot entry on the tape;
its gradient is added to the leaf once backward has succeeded.

Semantics, chosen to match PyTorch where they differ from micrograd:

- Only ops on a Var that requires grad are recorded, and only while grad mode is
  on (`microtorch._grad_mode.no_grad()` turns it off for this thread). Other
  results are leaves that do not require grad and keep no inputs.
- Gradients accumulate into leaves across backward calls: zero them yourself
  (`p.grad = 0`). Intermediate gradients are not kept: a non-leaf Var's `.grad`
  reads 0.0.
- backward() releases the graph it ran through. Pass `retain_graph=True` to
  backward through the same graph again, or to draw it afterwards; a backward
  that reaches a released op raises RuntimeError and changes no gradient.
- A gradient that is exactly zero is not sent on, so 0 * inf local derivatives
  give 0 where PyTorch gives nan.
- Values follow Python's `math` module: `log(0.0)` and `sqrt(-1.0)` raise
  ValueError ("math domain error: ..." naming the op and value), division by zero
  and 0.0 ** negative raise ZeroDivisionError, exp and ** overflow raise
  OverflowError. Derivatives at the edge of a domain follow PyTorch and IEEE
  instead, since the forward value there is fine: d sqrt(x)/dx at 0 is inf, and
  d(a ** b)/db is nan for a < 0 and 0 for a == 0.
- Numbers are int, float, bool (as Python treats it) and any numbers.Real, such as
  numpy scalars and Fraction. Anything else is a TypeError naming its type.
- `==` and the other comparisons compare values, like float; `__hash__` is by
  identity, like a PyTorch tensor, so Vars work as set members and dict keys
  while two equal Vars remain distinct keys.
- One tape serves all threads; the GIL keeps each op and each backward whole.
"""
cimport cython
from cpython.object cimport PyObject
from libc.math cimport exp, log, sqrt, sin, cos, tanh, pow, fabs, floor, isinf, isfinite
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport malloc, realloc, free

from microtorch._grad_mode cimport grad_enabled

import numbers

cdef extern from "Python.h":
    void incref "Py_INCREF"(PyObject* obj)
    void decref "Py_DECREF"(PyObject* obj)
    double PyFloat_AS_DOUBLE(object obj)
    double PyLong_AsDouble(object obj) except? -1.0

# Printed names, indexed by OpCode.
_OP_NAMES = ("", "+", "-", "*", "/", "**", "neg", "exp", "log", "sqrt", "sin", "cos",
             "tanh", "relu", "sigmoid", "abs")

_SECOND_BACKWARD = (
    "backward(): trying to backward through the graph a second time; it was released "
    "by an earlier backward(). Pass backward(retain_graph=True) the first time to keep it."
)


# ---- numbers ---------------------------------------------------------------------------

cdef inline bint _as_double(object x, double* out) except -1:
    """Store x in out and return True if x is a real number; return False if it is not."""
    if type(x) is float:
        out[0] = PyFloat_AS_DOUBLE(x)
        return True
    if type(x) is int:
        out[0] = PyLong_AsDouble(x)     # OverflowError past 1.8e308, like float(x)
        return True
    if isinstance(x, (float, int, numbers.Real)):   # bool, numpy scalars, Fraction
        out[0] = float(x)
        return True
    return False


cdef double _number(object x, str where) except? -1.0:
    cdef double value
    if not _as_double(x, &value):
        hint = " (use v.item() for a Var's value)" if type(x) is Var else ""
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__}{hint}")
    return value


# ---- forward: value and local derivatives -----------------------------------------------

cdef double _pow(double x, double y) except? -1.0:
    # Python's float ** rules, except that a negative base to a fractional power is an error, not complex.
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to a negative power ({y!r})")
    if x < 0.0 and isfinite(y) and floor(y) != y:
        raise ValueError(f"math domain error: pow of negative base {x!r} to non-integer exponent {y!r}")
    cdef double out = pow(x, y)
    if isinf(out) and isfinite(x) and isfinite(y):
        raise OverflowError(f"math range error: pow({x!r}, {y!r}) overflows")
    return out


@cython.cdivision(True)     # IEEE division: infinite derivatives are inf, not an exception
cdef int _eval_binary(int op, double x, double y, double* out, double* dx, double* dy,
                      bint want_dx, bint want_dy) except -1:
    """out = x op y; when asked, dx = d(out)/dx and dy = d(out)/dy."""
    if op == ADD:
        out[0] = x + y
        dx[0] = 1.0
        dy[0] = 1.0
    elif op == SUB:
        out[0] = x - y
        dx[0] = 1.0
        dy[0] = -1.0
    elif op == MUL:
        out[0] = x * y
        dx[0] = y
        dy[0] = x
    elif op == DIV:
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
        out[0] = x / y
        dx[0] = 1.0 / y
        dy[0] = -out[0] / y
    elif op == POW:
        out[0] = _pow(x, y)
        # PyTorch masks both partials where the textbook formula gives 0 * inf.
        if want_dx:
            dx[0] = 0.0 if y == 0.0 else y * pow(x, y - 1.0)
        if want_dy:
            dy[0] = 0.0 if (x == 0.0 and y >= 0.0) else out[0] * log(x)
    return 0


@cython.cdivision(True)
cdef int _eval_unary(int op, double x, double* out, double* dx) except -1:
    """out = op(x), dx = d(out)/dx."""
    cdef double e
    if op == NEG:
        out[0] = -x
        dx[0] = -1.0
    elif op == EXP:
        out[0] = exp(x)
        if isinf(out[0]) and isfinite(x):
            raise OverflowError(f"math range error: exp({x!r}) overflows")
        dx[0] = out[0]
    elif op == LOG:
        if x <= 0.0:
            raise ValueError(f"math domain error: log of non-positive value {x!r}")
        out[0] = log(x)
        dx[0] = 1.0 / x
    elif op == SQRT:
        if x < 0.0:
            raise ValueError(f"math domain error: sqrt of negative value {x!r}")
        out[0] = sqrt(x)
        dx[0] = 0.5 / out[0]
    elif op == SIN or op == COS:
        if isinf(x):
            raise ValueError(f"math domain error: {_OP_NAMES[op]} of infinite value {x!r}")
        out[0] = sin(x) if op == SIN else cos(x)
        dx[0] = cos(x) if op == SIN else -sin(x)
    elif op == TANH:
        out[0] = tanh(x)
        dx[0] = 1.0 - out[0] * out[0]
    elif op == RELU:
        out[0] = x if x > 0.0 else 0.0
        dx[0] = 1.0 if x > 0.0 else 0.0
    elif op == SIGMOID:
        # Two forms so exp never overflows for large |x|.
        if x >= 0.0:
            out[0] = 1.0 / (1.0 + exp(-x))
        else:
            e = exp(x)
            out[0] = e / (1.0 + e)
        dx[0] = out[0] * (1.0 - out[0])
    elif op == ABS:
        out[0] = fabs(x)
        dx[0] = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)   # PyTorch: 0 at 0
    return 0


# ---- the tape ----------------------------------------------------------------------------

# Entries 0-7 are sinks, where the gradient for a missing or number operand goes (several,
# so those additions do not all wait on one another). Entry 8 stands for any op whose graph
# was released before a reset: reaching it in backward is an error.
cdef enum:
    SINKS = 8
    SINK_MASK = SINKS - 1
    NO_INPUT = -1           # passed to _append for a missing or number operand: it picks a sink
    RELEASED_OP = SINKS
    FIRST = SINKS + 1
    MIN_CAPACITY = 1 << 16
    SHRINK_ABOVE = 1 << 22      # entries kept allocated across a reset, at most
    COMPACT_MIN = 1 << 20       # a tape this long is compacted before it grows further

# Per-entry state, one uint32 beside each entry (C constants: too wide for a Cython enum).
cdef extern from *:
    """
    #define MICROTORCH_HAS_HANDLE 0x80000000u
    #define MICROTORCH_LEAF_SLOT 0x40000000u
    #define MICROTORCH_RELEASED_BY 0x3FFFFFFFu
    #define MICROTORCH_MAX_ENTRIES ((Py_ssize_t)0xFFFFFFF0u)
    """
    const uint32_t HAS_HANDLE "MICROTORCH_HAS_HANDLE"       # a live Var handle points at this entry
    const uint32_t LEAF_SLOT "MICROTORCH_LEAF_SLOT"         # a leaf's slot: backward keeps its gradient for the write-back
    const uint32_t RELEASED_BY "MICROTORCH_RELEASED_BY"     # nonzero: the id of the backward that released this op
    const Py_ssize_t MAX_ENTRIES "MICROTORCH_MAX_ENTRIES"   # indices are uint32

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define microtorch_prefetch(p) __builtin_prefetch((const void*)(p), 1, 3)
    #else
    #define microtorch_prefetch(p) ((void)0)
    #endif
    #define MICROTORCH_PREFETCH_AHEAD 256
    """
    void prefetch "microtorch_prefetch"(const void* p) noexcept nogil
    const Py_ssize_t PREFETCH_AHEAD "MICROTORCH_PREFETCH_AHEAD"

cdef Entry* _entries = NULL     # the tape: what backward reads
cdef uint32_t* _state = NULL    # HAS_HANDLE | LEAF_SLOT | RELEASED_BY bits, per entry
cdef Node* _nodes = NULL        # what handles and drawing read, per entry
cdef Py_ssize_t _length = 0     # entries in use, sink and RELEASED_OP included
cdef Py_ssize_t _capacity = 0   # entries allocated
cdef uint64_t _generation = 1   # bumped by every reset; handles from older generations are stale
cdef Py_ssize_t _handles = 0            # live handles of this generation
cdef Py_ssize_t _released_handles = 0   # ... of which point at released ops
cdef uint32_t _last_backward = 0        # id of the last releasing backward
cdef Py_ssize_t _compact_at = COMPACT_MIN   # length at which the next op first compacts the tape
cdef PyObject** _leaves = NULL  # owned: the leaves with a slot in this generation
cdef Py_ssize_t _n_leaves = 0
cdef Py_ssize_t _leaf_capacity = 0


cdef int _reserve(Py_ssize_t capacity) except -1:
    # Resize the three arrays together (realloc: indices, not pointers, refer to entries).
    cdef Entry* entries = <Entry*>realloc(_entries, capacity * sizeof(Entry))
    if entries == NULL:
        raise MemoryError(f"Var: cannot grow the tape to {capacity} entries")
    global _entries, _state, _nodes, _capacity
    _entries = entries
    cdef uint32_t* state = <uint32_t*>realloc(_state, capacity * sizeof(uint32_t))
    if state == NULL:
        raise MemoryError(f"Var: cannot grow the tape to {capacity} entries")
    _state = state
    cdef Node* nodes = <Node*>realloc(_nodes, capacity * sizeof(Node))
    if nodes == NULL:
        raise MemoryError(f"Var: cannot grow the tape to {capacity} entries")
    _nodes = nodes
    _capacity = capacity
    return 0


cdef int _grow() except -1:
    if _capacity >= MAX_ENTRIES:
        raise MemoryError(f"Var: the tape is full ({MAX_ENTRIES} ops recorded and still reachable)")
    _reserve(min(max(2 * _capacity, MIN_CAPACITY), MAX_ENTRIES))
    return 0


cdef void _set_reserved_entries() noexcept:
    cdef Py_ssize_t i
    for i in range(FIRST):
        _entries[i].grad = 0.0
        _entries[i].d0 = 0.0
        _entries[i].d1 = 0.0
        _entries[i].in0 = 0
        _entries[i].in1 = 0
        _nodes[i].obj = NULL
        _nodes[i].op = LEAF
        _state[i] = 0
    _state[RELEASED_OP] = RELEASED_BY


cdef void _shrink() noexcept:
    # Shrinking keeps the first entries in place; an array that fails to shrink stays large.
    global _entries, _state, _nodes, _capacity
    cdef Entry* entries = <Entry*>realloc(_entries, MIN_CAPACITY * sizeof(Entry))
    cdef uint32_t* state = <uint32_t*>realloc(_state, MIN_CAPACITY * sizeof(uint32_t))
    cdef Node* nodes = <Node*>realloc(_nodes, MIN_CAPACITY * sizeof(Node))
    if entries != NULL:
        _entries = entries
    if state != NULL:
        _state = state
    if nodes != NULL:
        _nodes = nodes
    _capacity = MIN_CAPACITY    # every array holds at least this many, shrunk or not


cdef void _reset() noexcept:
    """Empty the tape: every handle becomes stale, every leaf slot is dropped."""
    global _length, _generation, _handles, _released_handles, _last_backward, _n_leaves, _compact_at
    cdef PyObject** leaves = _leaves
    cdef Py_ssize_t k, n_leaves = _n_leaves
    if _capacity > SHRINK_ABOVE:    # after a huge graph, give the memory back
        _shrink()
    _length = FIRST
    _generation += 1
    _handles = 0
    _released_handles = 0
    _last_backward = 0
    _compact_at = COMPACT_MIN
    _n_leaves = 0
    for k in range(n_leaves):       # last: a leaf's dealloc must see a consistent tape
        decref(leaves[k])


cdef inline int _reset_if_unreachable() except -1:
    # Nothing on the tape can be used any more once every live handle is released.
    if _handles == _released_handles and _length > FIRST:
        _reset()
    return 0


cdef inline int _make_room() except -1:
    # Before recording: reuse the tape if nothing on it is reachable; if it has grown large
    # while some handle stayed alive (a loop that never calls backward), drop what is not.
    _reset_if_unreachable()
    if _length >= _compact_at:
        _compact()
    return 0


cdef int _compact() except -1:
    """Keep only the entries live handles can reach, in order, and renumber them.

    Handles of released ops are not kept: they go stale, which reads as released.
    """
    global _length, _generation, _handles, _released_handles, _last_backward, _n_leaves, _compact_at
    cdef Py_ssize_t n = _length, i, kept = FIRST, k, n_leaves = 0
    cdef uint32_t* new_index = <uint32_t*>malloc(n * sizeof(uint32_t))
    cdef uint32_t s
    cdef Entry* e
    cdef Var var
    if new_index == NULL:
        raise MemoryError(f"Var: cannot compact a tape of {n} entries")
    # Mark, down the tape: an unreleased op with a handle, or an input of a marked op.
    for i in range(n):
        new_index[i] = 0
    for i in range(n - 1, FIRST - 1, -1):
        s = _state[i]
        if s & RELEASED_BY:
            new_index[i] = RELEASED_OP
        elif new_index[i] or s & HAS_HANDLE:
            new_index[i] = 1    # kept; numbered below
            if not (s & LEAF_SLOT):
                new_index[_entries[i].in0] |= new_index[_entries[i].in0] == 0
                new_index[_entries[i].in1] |= new_index[_entries[i].in1] == 0
    # Move the kept entries down, renumbering their inputs; sinks keep their numbers.
    _generation += 1
    for i in range(FIRST):
        new_index[i] = i
    for i in range(FIRST, n):
        if new_index[i] != 1:
            continue
        new_index[i] = kept
        e = &_entries[i]
        e.in0 = new_index[e.in0]
        e.in1 = new_index[e.in1]
        _entries[kept] = e[0]
        _state[kept] = _state[i]
        _nodes[kept] = _nodes[i]
        if _nodes[kept].obj != NULL:
            var = <Var>_nodes[kept].obj
            var.index = kept
            var.generation = _generation
        kept += 1
    free(new_index)
    # The leaves still in reach (their slots moved) go first in the list; the rest are let go.
    cdef PyObject* leaf
    for k in range(_n_leaves):
        leaf = _leaves[k]
        if (<Var>leaf).generation == _generation:
            _leaves[k] = _leaves[n_leaves]
            _leaves[n_leaves] = leaf
            n_leaves += 1
    cdef Py_ssize_t n_all_leaves = _n_leaves
    _length = kept
    _n_leaves = n_leaves
    _handles = 0
    for i in range(FIRST, kept):
        _handles += _state[i] >> 31
    _released_handles = 0
    _last_backward = 0
    _compact_at = max(2 * kept, COMPACT_MIN)
    for k in range(n_leaves, n_all_leaves):     # last: a leaf's dealloc must see a consistent tape
        decref(_leaves[k])
    return 0


cdef Py_ssize_t _append(double val, int op, Py_ssize_t in0, Py_ssize_t in1, double d0, double d1,
                        uint32_t state) except -1:
    if _length == _capacity:
        _grow()
    cdef Py_ssize_t i = _length
    cdef Entry* e = &_entries[i]
    e.grad = 0.0
    e.d0 = d0
    e.d1 = d1
    e.in0 = <uint32_t>(i & SINK_MASK if in0 == NO_INPUT else in0)
    e.in1 = <uint32_t>(i & SINK_MASK if in1 == NO_INPUT else in1)
    _state[i] = state
    _nodes[i].val = val
    _nodes[i].op = op
    _nodes[i].obj = NULL
    global _length
    _length = i + 1
    return i


cdef Py_ssize_t _slot(Var var) except -1:
    """The tape index that gradients for var go to, giving a leaf a slot the first time."""
    global _leaves, _n_leaves, _leaf_capacity
    cdef PyObject** grown
    if var.generation == _generation:
        return var.index
    if var.op != LEAF:
        return RELEASED_OP      # a handle from before the last reset: its graph was released
    if _n_leaves == _leaf_capacity:
        grown = <PyObject**>realloc(_leaves, max(2 * _leaf_capacity, 256) * sizeof(PyObject*))
        if grown == NULL:
            raise MemoryError("Var: cannot grow the tape's leaf list")
        _leaves = grown
        _leaf_capacity = max(2 * _leaf_capacity, 256)
    cdef Py_ssize_t i = _append(var.val, LEAF, NO_INPUT, NO_INPUT, 0.0, 0.0, LEAF_SLOT)
    incref(<PyObject*>var)
    _nodes[i].obj = <PyObject*>var
    _leaves[_n_leaves] = <PyObject*>var
    _n_leaves += 1
    var.index = i
    var.generation = _generation
    return i


cdef inline Var _new(double val):
    cdef Var out = Var.__new__(Var)
    out.val = val
    return out


cdef Var _handle(Py_ssize_t i):
    """The live handle of entry i, made if there is none (so one entry, one Var, while it lives)."""
    global _handles, _released_handles
    cdef Node* node = &_nodes[i]
    if node.obj != NULL:
        return <Var>node.obj
    cdef Var out = _new(node.val)
    out.op = node.op
    out.requires_grad = True
    out.index = i
    out.generation = _generation
    out.const_side = node.const_side
    out.number = _entries[i].d1
    node.obj = <PyObject*>out
    _state[i] |= HAS_HANDLE
    _handles += 1
    if _state[i] & RELEASED_BY:
        _released_handles += 1
    return out


cdef Var _record(double val, int op, Py_ssize_t in0, Py_ssize_t in1, double d0, double d1,
                 int const_side):
    global _handles
    cdef Var out = _new(val)
    cdef Py_ssize_t i = _append(val, op, in0, in1, d0, d1, HAS_HANDLE)
    _nodes[i].const_side = const_side
    _nodes[i].obj = <PyObject*>out
    out.op = op
    out.requires_grad = True
    out.index = i
    out.generation = _generation
    out.const_side = const_side
    out.number = d1
    _handles += 1
    return out


cdef void _drop_handle(Var var) noexcept:
    # Var.__dealloc__ of a handle of this generation.
    global _handles, _released_handles
    cdef Py_ssize_t i = var.index
    _nodes[i].obj = NULL
    _state[i] &= ~HAS_HANDLE
    _handles -= 1
    if _state[i] & RELEASED_BY:
        _released_handles -= 1
    if _handles == _released_handles:
        _reset()


cdef Var _unary(int op, Var x):
    cdef double out, dx
    _eval_unary(op, x.val, &out, &dx)
    if not (x.requires_grad and grad_enabled()):
        return _new(out)
    _make_room()
    return _record(out, op, _slot(x), NO_INPUT, dx, 0.0, NO_CONST)


cdef object _binary(int op, Var var, object other, bint var_on_left):
    """`var op other` (or `other op var`); NotImplemented when other is neither a Var nor a number."""
    cdef double out, dx = 0.0, dy = 0.0, number
    cdef Var left, right
    cdef Py_ssize_t in0
    cdef bint record
    if type(other) is Var:
        left = var if var_on_left else <Var>other
        right = <Var>other if var_on_left else var
        record = (left.requires_grad or right.requires_grad) and grad_enabled()
        _eval_binary(op, left.val, right.val, &out, &dx, &dy,
                     record and left.requires_grad, record and right.requires_grad)
        if not record:
            return _new(out)
        _make_room()
        in0 = _slot(left)
        return _record(out, op, in0, _slot(right), dx, dy, NO_CONST)
    if not _as_double(other, &number):
        return NotImplemented
    record = var.requires_grad and grad_enabled()
    if var_on_left:
        _eval_binary(op, var.val, number, &out, &dx, &dy, record, False)
    else:
        _eval_binary(op, number, var.val, &out, &dy, &dx, False, record)
    if not record:
        return _new(out)
    _make_room()
    # no second input: d1 keeps the number operand, for op_args and inputs
    return _record(out, op, _slot(var), NO_INPUT, dx, number, CONST_RIGHT if var_on_left else CONST_LEFT)


# ---- backward ----------------------------------------------------------------------------

cdef int _run_backward(Var root, double seed, bint retain_graph) except -1:
    global _last_backward, _released_handles
    cdef Py_ssize_t top = root.index, i, j, k, released = 0
    cdef Entry* entries = _entries
    cdef uint32_t* state = _state
    cdef Entry* e
    cdef double g
    cdef uint32_t s, backward_id = 0
    cdef Var leaf
    if root.generation != _generation or state[top] & RELEASED_BY:
        raise RuntimeError(_SECOND_BACKWARD)
    if not retain_graph:
        backward_id = _last_backward % (RELEASED_BY - 1) + 1    # never 0, never RELEASED_BY
    entries[top].grad = seed
    # Down the tape from the root: inputs come before the ops that use them, so each entry
    # has all its gradient when the loop reaches it. Entries the root does not need hold 0.
    i = top
    while i >= RELEASED_OP:
        e = &entries[i]
        prefetch(&entries[i - PREFETCH_AHEAD if i > PREFETCH_AHEAD else 0])
        g = e.grad
        if g != 0.0:
            s = state[i]
            if s & (LEAF_SLOT | RELEASED_BY):
                if s & LEAF_SLOT:       # gathered here until the write-back below
                    i -= 1
                    continue
                break                   # a released op: undo below
            e.grad = 0.0
            entries[e.in0].grad += g * e.d0
            entries[e.in1].grad += g * e.d1
            if backward_id:
                state[i] = s | backward_id
                released += s >> 31     # HAS_HANDLE
        i -= 1
    if i >= RELEASED_OP:
        # Leave everything as it was: no leaf has been written yet.
        for j in range(top + 1):
            entries[j].grad = 0.0
            if backward_id and (state[j] & RELEASED_BY) == backward_id:
                state[j] &= ~RELEASED_BY
        raise RuntimeError(_SECOND_BACKWARD)
    for j in range(SINKS):
        entries[j].grad = 0.0
    for k in range(_n_leaves):
        leaf = <Var>_leaves[k]
        g = entries[leaf.index].grad
        if g != 0.0:
            entries[leaf.index].grad = 0.0
            if leaf.requires_grad:      # a constant Var operand has a slot too, for drawing
                leaf.grad += g
    if backward_id:
        _last_backward = backward_id
        if not (state[top] & RELEASED_BY):     # a zero seed reached nothing; still release the root
            state[top] |= backward_id
            released += state[top] >> 31
        _released_handles += released
        _reset_if_unreachable()
    return 0


def _tape_size():
    """(entries in use, entries allocated) on the tape; for tests and for curiosity."""
    return _length, _capacity


def _rebuild_leaf(double val, double grad, bint requires_grad):
    cdef Var var = _new(val)
    var.grad = grad
    var.requires_grad = requires_grad
    return var


_reserve(MIN_CAPACITY)
_length = FIRST
_set_reserved_entries()

# ---- Var ---------------------------------------------------------------------------------

@cython.final
@cython.freelist(1024)
@cython.binding(False)      # plain method descriptors: v.tanh() calls cost about half as much
cdef class Var:
    """Var(value, requires_grad=False, *, req_grad=None)
--

    One float64 number in an autograd graph (micrograd's Value, compiled).

    Parameters
    ----------
    value : float
    requires_grad : bool, default False
        Accumulate a gradient into ``.grad`` on backward.

    Notes
    -----
    `req_grad=` is accepted as the original spelling of `requires_grad=`.
    Ops: + - * / ** with Vars or numbers on either side (a Var exponent too),
    -v, abs(v), and the methods exp log sqrt sin cos tanh relu sigmoid abs.
    `.val` (alias `.data`) and `.grad` can be assigned, for training loops.

    Examples
    --------
    >>> from microtorch import Var
    >>> a = Var(2.0, requires_grad=True)
    >>> (a * a + a).backward()
    >>> a.grad
    5.0
    """

    __array_ufunc__ = None      # numpy scalars defer to Var's reflected ops: np.float64(2) * v is a Var

    def __init__(self, value, requires_grad=False, *, req_grad=None):
        if req_grad is not None:
            requires_grad = req_grad
        self.val = _number(value, "Var(value)")
        self.requires_grad = bool(requires_grad)

    # -- values and gradients

    @property
    def val(self):
        """The value, a float. Assignable: `p.val -= lr * p.grad` (recorded graphs keep the old value)."""
        return self.val

    @val.setter
    def val(self, value):
        self.val = _number(value, "Var.val")

    @property
    def data(self):
        """Alias of .val."""
        return self.val

    @data.setter
    def data(self, value):
        self.val = _number(value, "Var.data")

    @property
    def grad(self):
        """Accumulated gradient of a leaf. Assignable: `p.grad = 0`.

        Other Vars keep no gradient: backward gathers theirs on the tape, so this reads 0.0.
        """
        return self.grad

    @grad.setter
    def grad(self, value):
        self.grad = _number(value, "Var.grad")

    @property
    def requires_grad(self):
        """Whether gradients flow to this Var. Can be changed on leaves only."""
        return bool(self.requires_grad)

    @requires_grad.setter
    def requires_grad(self, value):
        if self.op != LEAF:
            raise RuntimeError("requires_grad can only be changed on leaves; use v.detach() for a leaf copy")
        self.requires_grad = bool(value)

    @property
    def is_leaf(self):
        """True for Vars not produced by a recorded op."""
        return self.op == LEAF

    def item(self):
        """The value, a float."""
        return self.val

    def detach(self):
        """A new leaf with the same value that does not require grad."""
        return _new(self.val)

    def __float__(self):
        return self.val

    def __bool__(self):
        return self.val != 0.0      # like float, and like a one-element tensor

    def __reduce__(self):
        # pickle and copy: a leaf's value, gradient and flag; graphs are not saved.
        if self.op != LEAF:
            raise RuntimeError("only leaf Vars can be pickled or copied, since the graph is not saved; "
                               "use v.detach() for a leaf with the same value")
        return (_rebuild_leaf, (self.val, self.grad, bool(self.requires_grad)))

    def __repr__(self):
        return f"Var(val={self.val:.4f}, grad={self.grad:.4f})"

    # -- the graph, for drawing

    @property
    def op(self):
        """The op that produced this Var: '+', '*', '**', 'tanh', ...; '' for leaves."""
        return _OP_NAMES[self.op]

    @property
    def op_args(self):
        """The op with its number operand in place, e.g. '* 2.0' or '10.0 /'; else the same as op."""
        if self.const_side == CONST_LEFT:
            return f"{self.number!r} {_OP_NAMES[self.op]}"
        if self.const_side == CONST_RIGHT:
            return f"{_OP_NAMES[self.op]} {self.number!r}"
        return _OP_NAMES[self.op]

    @property
    def inputs(self):
        """The input Vars, in operand order; a number operand appears as a new constant Var.
        Empty for leaves and once backward() has released the graph."""
        if self.op == LEAF or self.generation != _generation or _state[self.index] & RELEASED_BY:
            return ()
        cdef Entry* e = &_entries[self.index]
        if e.in0 == RELEASED_OP or e.in1 == RELEASED_OP:
            return ()       # an input's graph was released before the tape was last reset
        a = _handle(e.in0)
        if self.const_side == CONST_LEFT:
            return (_new(self.number), a)
        if self.const_side == CONST_RIGHT:
            return (a, _new(self.number))
        if self.op >= NEG:
            return (a,)
        return (a, _handle(e.in1))

    # -- backward

    def backward(self, gradient=1.0, retain_graph=False):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad that requires grad.

        Releases the graph unless retain_graph=True; a backward that reaches a released op
        raises RuntimeError and leaves every gradient as it was.
        """
        cdef double seed = _number(gradient, "backward(gradient)")
        if not self.requires_grad:
            raise RuntimeError("backward(): this Var does not require grad and has no graph; "
                               "create leaves with Var(value, requires_grad=True)")
        if self.op == LEAF:
            self.grad += seed
            return
        _run_backward(self, seed, bool(retain_graph))

    def __dealloc__(self):
        if self.op != LEAF and self.generation == _generation:
            _drop_handle(self)

    # -- ops

    def __add__(self, other):
        return _binary(ADD, self, other, True)

    def __radd__(self, other):
        return _binary(ADD, self, other, False)

    def __sub__(self, other):
        return _binary(SUB, self, other, True)

    def __rsub__(self, other):
        return _binary(SUB, self, other, False)

    def __mul__(self, other):
        return _binary(MUL, self, other, True)

    def __rmul__(self, other):
        return _binary(MUL, self, other, False)

    def __truediv__(self, other):
        return _binary(DIV, self, other, True)

    def __rtruediv__(self, other):
        return _binary(DIV, self, other, False)

    def __pow__(self, other, modulo):
        if modulo is not None:
            return NotImplemented
        return _binary(POW, self, other, True)

    def __rpow__(self, other, modulo):
        if modulo is not None:
            return NotImplemented
        return _binary(POW, self, other, False)

    def __neg__(self):
        return _unary(NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary(ABS, self)

    def abs(self):
        """Return ``|self|``; the gradient at 0 is 0, as in PyTorch."""
        return _unary(ABS, self)

    def exp(self):
        """Return ``e ** self``."""
        return _unary(EXP, self)

    def log(self):
        """Return the natural logarithm."""
        return _unary(LOG, self)

    def sqrt(self):
        """Return the square root."""
        return _unary(SQRT, self)

    def sin(self):
        """Return the sine."""
        return _unary(SIN, self)

    def cos(self):
        """Return the cosine."""
        return _unary(COS, self)

    def tanh(self):
        """Return the hyperbolic tangent."""
        return _unary(TANH, self)

    def relu(self):
        """Return ``max(self, 0)``."""
        return _unary(RELU, self)

    def sigmoid(self):
        """Return ``1 / (1 + exp(-self))``."""
        return _unary(SIGMOID, self)

    # -- comparisons by value; hashing by identity

    def __richcmp__(self, other, int op):
        cdef double y
        if type(other) is Var:
            y = (<Var>other).val
        elif not _as_double(other, &y):
            return NotImplemented
        if op == 0:
            return self.val < y
        if op == 1:
            return self.val <= y
        if op == 2:
            return self.val == y
        if op == 3:
            return self.val != y
        if op == 4:
            return self.val > y
        return self.val >= y

    def __hash__(self):
        return id(self) >> 4
