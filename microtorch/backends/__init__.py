"""microtorch.backends: the flags scripts read or set (`backends.mps.is_available()`,
`backends.cudnn.deterministic = True`). None of these backends exists here; setting a flag is
accepted and changes nothing."""
from microtorch.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
