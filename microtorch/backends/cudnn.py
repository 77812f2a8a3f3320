"""cuDNN flags: scripts set `deterministic` and `benchmark`; there is no cuDNN, so they change nothing."""

enabled = False
deterministic = False
benchmark = False


def is_available():
    """False: microtorch runs on the CPU only."""
    return False
