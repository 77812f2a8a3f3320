"""The scalar autograd engine: Var, one float64 number that records how it was computed.

    a = Var(-4.0, requires_grad=True)     # `req_grad=True` is the original spelling
    b = Var(2.0, requires_grad=True)
    g = (a * b + b ** 3).tanh()
    g.backward()                          # a.grad, b.grad now hold dg/da, dg/db

Every op computes its value and its local derivatives d(out)/d(input) in C
during forward and stores them on the result, so `backward()` is one C loop
that only multiplies and adds. A number operand (`x * 2.0`) is kept as a C
double, not as a Var.

Semantics, chosen to match PyTorch where they differ from micrograd:

- Only ops on a Var that requires grad are recorded, and only while grad mode is
  on (`microtorch._grad_mode.no_grad()` turns it off for this thread). Other
  results are leaves that do not require grad and keep no inputs.
- Gradients accumulate into leaves across backward calls: zero them yourself
  (`p.grad = 0`). A non-leaf Var's `.grad` is scratch space for backward and
  reads 0.0 outside it.
- backward() releases the inputs each node holds, so memory is returned as the
  pass goes. Pass `retain_graph=True` to backward through the same graph again,
  or to draw it afterwards; a second backward through a released graph raises
  RuntimeError.
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
"""
cimport cython
from cpython.object cimport PyObject
from libc.math cimport exp, log, sqrt, sin, cos, tanh, pow, fabs, floor, isinf, isfinite
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy

from microtorch._grad_mode cimport grad_enabled

import numbers

cdef extern from "Python.h":
    Py_ssize_t Py_REFCNT(PyObject* obj)
    void incref "Py_INCREF"(PyObject* obj)
    void decref "Py_DECREF"(PyObject* obj)
    double PyFloat_AS_DOUBLE(object obj)
    double PyLong_AsDouble(object obj) except? -1.0

# Printed names, indexed by OpCode.
_OP_NAMES = ("", "+", "-", "*", "/", "**", "neg", "exp", "log", "sqrt", "sin", "cos",
             "tanh", "relu", "sigmoid", "abs")

_SECOND_BACKWARD = (
    "backward(): trying to backward through the graph a second time; its inputs were released "
    "by an earlier backward(). Pass backward(retain_graph=True) the first time to keep them."
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


cdef inline PyObject* _own(Var var) noexcept:
    incref(<PyObject*>var)
    return <PyObject*>var


cdef inline Var _new(double val):
    cdef Var out = Var.__new__(Var)
    out.val = val
    return out


cdef Var _unary(int op, Var x):
    cdef double out, dx
    _eval_unary(op, x.val, &out, &dx)
    cdef Var result = _new(out)
    if x.requires_grad and grad_enabled():
        result.requires_grad = True
        result.op = op
        result.a = _own(x)
        result.da = dx
    return result


cdef object _binary(int op, Var var, object other, bint var_on_left):
    """`var op other` (or `other op var`); NotImplemented when other is neither a Var nor a number."""
    cdef double out, dx = 0.0, dy = 0.0, number
    cdef Var left, right, result
    cdef bint record
    if type(other) is Var:
        left = var if var_on_left else <Var>other
        right = <Var>other if var_on_left else var
        record = (left.requires_grad or right.requires_grad) and grad_enabled()
        _eval_binary(op, left.val, right.val, &out, &dx, &dy,
                     record and left.requires_grad, record and right.requires_grad)
        result = _new(out)
        if record:
            result.requires_grad = True
            result.op = op
            result.a = _own(left)
            result.b = _own(right)
            result.da = dx
            result.db = dy
        return result
    if not _as_double(other, &number):
        return NotImplemented
    record = var.requires_grad and grad_enabled()
    if var_on_left:
        _eval_binary(op, var.val, number, &out, &dx, &dy, record, False)
    else:
        _eval_binary(op, number, var.val, &out, &dy, &dx, False, record)
    result = _new(out)
    if record:
        result.requires_grad = True
        result.op = op
        result.a = _own(var)
        result.da = dx
        result.db = number    # no b, so db keeps the number operand for op_args and inputs
        result.const_side = CONST_RIGHT if var_on_left else CONST_LEFT
    return result


# ---- backward ----------------------------------------------------------------------------

cdef int _grow(PyObject*** buffer, Py_ssize_t* capacity) except -1:
    cdef Py_ssize_t new_capacity = capacity[0] * 2
    cdef PyObject** grown = <PyObject**>realloc(buffer[0], new_capacity * sizeof(PyObject*))
    if grown == NULL:
        raise MemoryError(f"backward(): cannot grow the node list to {new_capacity} entries")
    buffer[0] = grown
    capacity[0] = new_capacity
    return 0


cdef inline int _visit(PyObject* node, PyObject*** nodes, Py_ssize_t* count, Py_ssize_t* capacity) except -1:
    # Count one more consumer of node; list it the first time it is seen.
    if node == NULL or not (<Var>node).requires_grad:
        return 0
    if (<Var>node).pending == 0:
        if count[0] == capacity[0]:
            _grow(nodes, capacity)
        nodes[0][count[0]] = node
        count[0] += 1
    (<Var>node).pending += 1
    return 0


cdef inline Py_ssize_t _send(PyObject* node, double grad, PyObject** ready, Py_ssize_t top,
                             bint owned) noexcept:
    # Accumulate one incoming gradient; once node has heard from all its consumers it is ready
    # to run. `owned`: the caller hands over its reference to node (the consumer releasing it).
    if node != NULL and (<Var>node).requires_grad:
        (<Var>node).grad += grad
        (<Var>node).pending -= 1
        if (<Var>node).pending == 0 and (<Var>node).op != LEAF:
            if not owned:
                incref(node)    # the ready stack owns a reference to every node on it
            ready[top] = node
            return top + 1
    if owned and node != NULL:
        decref(node)
    return top


cdef int _run_backward(Var root, double seed, bint retain_graph) except -1:
    cdef Py_ssize_t capacity = 256, count = 1, i = 0, top
    cdef PyObject** nodes = <PyObject**>malloc(capacity * sizeof(PyObject*))
    cdef PyObject* node
    cdef PyObject* a
    cdef PyObject* b
    cdef double grad
    if nodes == NULL:
        raise MemoryError("backward(): cannot allocate the node list")
    nodes[0] = <PyObject*>root
    # Pass 1: list every node that needs a gradient and count its consumers. An error here
    # leaves nothing changed but these counts, which are undone.
    try:
        while i < count:
            node = nodes[i]
            i += 1
            if (<Var>node).released:
                raise RuntimeError(_SECOND_BACKWARD)
            if (<Var>node).op != LEAF:
                (<Var>node).grad = 0.0
            _visit((<Var>node).a, &nodes, &count, &capacity)
            _visit((<Var>node).b, &nodes, &count, &capacity)
    except BaseException:
        for i in range(count):
            (<Var>nodes[i]).pending = 0
        free(nodes)
        raise
    # Pass 2: run each node once all its consumers have run. The list is reused as the ready
    # stack: it never holds more than the `count` nodes listed.
    (<Var>root).grad = seed
    incref(<PyObject*>root)
    nodes[0] = <PyObject*>root
    top = 1
    while top:
        top -= 1
        node = nodes[top]
        grad = (<Var>node).grad
        (<Var>node).grad = 0.0
        a, b = (<Var>node).a, (<Var>node).b
        if not retain_graph:
            (<Var>node).a = NULL
            (<Var>node).b = NULL
            (<Var>node).released = True
        top = _send(a, (<Var>node).da * grad, nodes, top, not retain_graph)
        top = _send(b, (<Var>node).db * grad, nodes, top, not retain_graph)
        decref(node)    # the stack's reference; a released node goes now, freeing nothing else
    free(nodes)
    return 0


# ---- freeing long chains ---------------------------------------------------------------

cdef inline Py_ssize_t _take_inputs(Var var, PyObject** stack, Py_ssize_t top) noexcept:
    # Move var's references to its inputs onto the stack, so that freeing var frees nothing else.
    if var.a != NULL:
        stack[top] = var.a
        top += 1
        var.a = NULL
    if var.b != NULL:
        stack[top] = var.b
        top += 1
        var.b = NULL
    return top


cdef void _dismantle(Var var) noexcept:
    # Freeing an input from inside its consumer's dealloc takes one C stack frame per node,
    # so a long chain would overflow the stack. Free sole-owned inputs in a loop instead.
    cdef PyObject* on_c_stack[32]
    cdef PyObject** stack = on_c_stack
    cdef PyObject** grown
    cdef Py_ssize_t capacity = 32, top
    cdef PyObject* item
    top = _take_inputs(var, stack, 0)
    while top:
        top -= 1
        item = stack[top]
        if Py_REFCNT(item) == 1 and ((<Var>item).a != NULL or (<Var>item).b != NULL):
            # item dies with this decref: take its inputs first
            if top + 2 > capacity:
                if stack == on_c_stack:
                    grown = <PyObject**>malloc(2 * capacity * sizeof(PyObject*))
                    if grown != NULL:
                        memcpy(grown, stack, top * sizeof(PyObject*))
                else:
                    grown = <PyObject**>realloc(stack, 2 * capacity * sizeof(PyObject*))
                if grown != NULL:
                    stack = grown
                    capacity *= 2
            if top + 2 <= capacity:     # else out of memory: let item's dealloc recurse
                top = _take_inputs(<Var>item, stack, top)
        decref(item)
    if stack != on_c_stack:
        free(stack)


def _rebuild_leaf(double val, double grad, bint requires_grad):
    cdef Var var = _new(val)
    var.grad = grad
    var.requires_grad = requires_grad
    return var


# ---- Var ---------------------------------------------------------------------------------

@cython.final
@cython.freelist(1024)
@cython.binding(False)      # plain method descriptors: v.tanh() calls cost about half as much
cdef class Var:
    """Var(value, requires_grad=False): one float64 number in an autograd graph.

    `req_grad=` is accepted as the original spelling of `requires_grad=`.
    Ops: + - * / ** with Vars or numbers on either side (a Var exponent too),
    -v, abs(v), and the methods exp log sqrt sin cos tanh relu sigmoid abs.
    `.val` (alias `.data`) and `.grad` can be assigned, for training loops.
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

        For other Vars this is backward's scratch space: it reads 0.0 outside backward.
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
            return f"{self.db!r} {_OP_NAMES[self.op]}"
        if self.const_side == CONST_RIGHT:
            return f"{_OP_NAMES[self.op]} {self.db!r}"
        return _OP_NAMES[self.op]

    @property
    def inputs(self):
        """The input Vars, in operand order; a number operand appears as a new constant Var.
        Empty for leaves and after backward() released the graph."""
        if self.a == NULL:
            return ()
        a = <Var>self.a
        if self.b != NULL:
            return (a, <Var>self.b)
        if self.const_side == CONST_LEFT:
            return (_new(self.db), a)
        if self.const_side == CONST_RIGHT:
            return (a, _new(self.db))
        return (a,)

    # -- backward

    def backward(self, gradient=1.0, retain_graph=False):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's .grad that requires grad.

        Frees the graph as it goes unless retain_graph=True; backward through a freed graph
        raises RuntimeError.
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
        if self.a != NULL or self.b != NULL:
            _dismantle(self)

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
        return _unary(ABS, self)

    def exp(self):
        return _unary(EXP, self)

    def log(self):
        return _unary(LOG, self)

    def sqrt(self):
        return _unary(SQRT, self)

    def sin(self):
        return _unary(SIN, self)

    def cos(self):
        return _unary(COS, self)

    def tanh(self):
        return _unary(TANH, self)

    def relu(self):
        return _unary(RELU, self)

    def sigmoid(self):
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
