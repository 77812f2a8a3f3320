"""detect_anomaly: find the op whose forward or backward first made a nan or inf."""
from microtorch import _engine

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

set_detect_anomaly = _engine.set_detect_anomaly
is_anomaly_enabled = _engine.is_anomaly_enabled


class detect_anomaly:
    """Context manager (and decorator) that checks every op's forward result and backward
    gradients for nan/inf, and raises FloatingPointError naming the first op that made one.
    It slows every op down, so use it to debug, like torch.autograd.detect_anomaly."""

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
