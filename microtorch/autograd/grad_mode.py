"""inference_mode, as torch.inference_mode: no_grad for code that will never need a gradient.

microtorch has no inference tensors: inside inference_mode nothing is recorded, exactly as under
no_grad, and is_inference_mode_enabled() says the mode is on (per thread, as grad mode).
"""
import contextlib
import threading

from microtorch._grad_mode import is_grad_enabled, set_grad_enabled

__all__ = ["inference_mode", "is_inference_mode_enabled"]

_state = threading.local()


def is_inference_mode_enabled():
    """True inside `with inference_mode():` in this thread."""
    return getattr(_state, "enabled", False)


class inference_mode(contextlib.ContextDecorator):
    """Context manager and decorator: no graph recording inside (inference_mode(False) changes nothing).

    Parameters
    ----------
    mode : bool, optional
        True (the default) to turn inference mode on.

    Notes
    -----
    Tensors made inside are ordinary tensors (torch's are "inference tensors" that autograd refuses later).
    """

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._previous = []  # a stack: one instance may be entered again (a decorated recursive function)

    def __enter__(self):
        self._previous.append((is_inference_mode_enabled(), is_grad_enabled()))
        _state.enabled = self.mode
        if self.mode:
            set_grad_enabled(False)
        return self

    def __exit__(self, *exc_info):
        _state.enabled, grad_mode = self._previous.pop()
        set_grad_enabled(grad_mode)
        return False
