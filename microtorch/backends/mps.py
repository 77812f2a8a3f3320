"""Apple's Metal backend: not available in microtorch."""


def is_available():
    """False: microtorch runs on the CPU only."""
    return False


def is_built():
    """False: microtorch is not built with MPS."""
    return False
