"""detect_anomaly: find the op whose backward (or forward) first made a nan or inf."""
from microtorch import _engine

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

set_detect_anomaly = _engine.set_detect_anomaly
is_anomaly_enabled = _engine.is_anomaly_enabled


class detect_anomaly:
    """Context manager (and decorator) that finds the op that first made a nan, as
    torch.autograd.detect_anomaly does.

    In this mode every op records the Python stack of its forward call. A backward that returns
    a nan raises RuntimeError("Function 'SqrtBackward' returned nan values in its 0th output."),
    and any error in a backward is preceded by a UserWarning showing where that op's forward ran.
    It slows every op down, so use it to debug.

    Differences from PyTorch: an inf from a backward is an error too ("returned inf values"),
    and a forward result with a nan or inf raises FloatingPointError naming the op (PyTorch
    checks backward only).
    """

    def __init__(self, mode=True):
        self.mode = mode
        self._previous = []

    def __enter__(self):
        self._previous.append(is_anomaly_enabled())
        set_detect_anomaly(self.mode)
        return self

    def __exit__(self, *exc_info):
        set_detect_anomaly(self._previous.pop())
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with detect_anomaly(self.mode):
                return func(*args, **kwargs)
        return decorated
