# cython: embedsignature.format=clinic
"""Grad mode: whether new operations are recorded for backward.

The flag is a C thread-local, so each thread has its own mode (as in PyTorch)
and reading it on every op costs one memory load.
"""
import functools

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define MICROTORCH_TLS __declspec(thread)
    #else
    #define MICROTORCH_TLS __thread
    #endif
    static MICROTORCH_TLS int microtorch_grad_enabled = 1;
    """
    int microtorch_grad_enabled


cdef bint grad_enabled() noexcept nogil:
    return microtorch_grad_enabled


cdef void set_grad_enabled_flag(bint mode) noexcept nogil:
    global microtorch_grad_enabled
    microtorch_grad_enabled = mode


def is_grad_enabled():
    """True when operations are being recorded for backward in this thread."""
    return bool(microtorch_grad_enabled)


cdef class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""
    cdef bint mode          # the mode this context switches to
    cdef list previous      # stack of modes to restore, so one instance can nest

    def __enter__(self):
        self.previous.append(microtorch_grad_enabled)
        set_grad_enabled_flag(self.mode)
        return self

    def __exit__(self, exc_type, exc, tb):
        set_grad_enabled_flag(self.previous.pop())
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with _ModeSwitch(mode):
                return func(*args, **kwargs)
        return decorated


cdef class _ModeSwitch(_GradModeContext):
    def __init__(self, bint mode):
        self.mode = mode
        self.previous = []


cdef class no_grad(_GradModeContext):
    """no_grad()
--

    Context manager and decorator that disables graph recording in this thread.

    Results computed inside need no gradient, and no graph is kept (saving memory in evaluation).

    Examples
    --------
    >>> import microtorch as torch
    >>> x = torch.ones(2, requires_grad=True)
    >>> with torch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    def __init__(self):
        self.mode = False
        self.previous = []


cdef class enable_grad(_GradModeContext):
    """enable_grad()
--

    Context manager and decorator that enables graph recording in this thread (inside a no_grad block, say).
    """
    def __init__(self):
        self.mode = True
        self.previous = []


cdef class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode)
--

    Set grad mode now; as a context manager, restore the old mode on exit.

    Parameters
    ----------
    mode : bool
        True records operations for backward, False does not.

    Like torch.set_grad_enabled, calling it as a plain function switches the mode
    immediately, and `with set_grad_enabled(False):` restores the old mode afterwards.
    """
    def __init__(self, mode):
        if not isinstance(mode, (bool, int)):
            raise TypeError(f"set_grad_enabled(mode): mode must be a bool, got {type(mode).__name__}")
        self.mode = bool(mode)
        self.previous = [microtorch_grad_enabled]
        set_grad_enabled_flag(self.mode)

    def __enter__(self):
        # The mode was already switched by __init__; the restore value is already stacked.
        return self

    def __call__(self, func):
        # As a decorator, the mode is set per call, and the switch made by __init__ is undone.
        set_grad_enabled_flag(self.previous[0])
        return _GradModeContext.__call__(self, func)
