# Context's instance dict, made on first use (included by _engine.pyx, after the Context class).
#
# Why: ops store values on ctx (`ctx.dim = dim`), so Context needs an instance dict. Cython's
# `cdef dict __dict__` would make an empty dict for every node, and most ops store nothing on ctx:
# in a graph of a million ops that is a million empty dicts made and freed.
#
# How: the dict lives in the raw `stash` slot (a PyObject*, NULL until first use). Pointing the
# type's tp_dictoffset at that slot lets Python's generic attribute code create the dict on the
# first `ctx.name = value` and find values in it, as it does for a function's __dict__. Cython
# installs dict-less tp_getattro/tp_setattro, so the generic ones are put back.
#
# What it saved (measured when it was introduced): `ctx.save_for_backward` 49 ns instead of 74 ns
# (the custom __getattribute__ it replaced built a bound method per call), and the (4,) chain
# benchmark went from 1.83x to 1.785x the numpy floor.
#
# Invariants: the slot is owned by the node. Context.__dealloc__ and Context.release() clear it;
# _context_traverse shows it to the cycle collector and _context_clear breaks cycles through it,
# each then calling Cython's own slot for the typed fields.

cdef extern from "Python.h":
    ctypedef int (*visitproc)(PyObject *, void *) noexcept
    ctypedef int (*traverseproc)(PyObject *, visitproc, void *) noexcept
    ctypedef int (*inquiry)(PyObject *) noexcept
    ctypedef PyObject *(*getattrofunc)(PyObject *, PyObject *) noexcept
    ctypedef int (*setattrofunc)(PyObject *, PyObject *, PyObject *) noexcept
    ctypedef struct TypeSlots "PyTypeObject":   # the type slots set up by _give_context_a_lazy_dict
        Py_ssize_t tp_dictoffset
        getattrofunc tp_getattro
        setattrofunc tp_setattro
        traverseproc tp_traverse
        inquiry tp_clear
    PyObject *PyObject_GenericGetAttr(PyObject *obj, PyObject *name) noexcept
    int PyObject_GenericSetAttr(PyObject *obj, PyObject *name, PyObject *value) noexcept
    void PyType_Modified(PyTypeObject *type)


cdef traverseproc _cython_context_traverse = NULL
cdef inquiry _cython_context_clear = NULL


cdef int _context_traverse(PyObject *obj, visitproc visit, void *arg) noexcept:
    cdef PyObject *stash = (<Context>obj).stash
    if stash != NULL:
        result = visit(stash, arg)
        if result:
            return result
    return _cython_context_traverse(obj, visit, arg) if _cython_context_traverse != NULL else 0


cdef int _context_clear(PyObject *obj) noexcept:
    Py_CLEAR((<Context>obj).stash)
    return _cython_context_clear(obj) if _cython_context_clear != NULL else 0


cdef void _give_context_a_lazy_dict():
    global _cython_context_traverse, _cython_context_clear
    cdef TypeSlots *context_type = <TypeSlots*>Context
    cdef Context probe = Context.__new__(Context)
    context_type.tp_dictoffset = <char*>&probe.stash - <char*><PyObject*>probe
    context_type.tp_getattro = PyObject_GenericGetAttr   # Cython installed a dict-less variant
    context_type.tp_setattro = PyObject_GenericSetAttr
    _cython_context_traverse = context_type.tp_traverse
    _cython_context_clear = context_type.tp_clear
    context_type.tp_traverse = _context_traverse
    context_type.tp_clear = _context_clear
    PyType_Modified(<PyTypeObject*>context_type)


_give_context_a_lazy_dict()
