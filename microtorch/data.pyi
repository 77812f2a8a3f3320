# microtorch.data is microtorch.utils.data (the same module object, set up in microtorch/__init__.py);
# this stub tells type checkers so.
from microtorch.utils.data import *  # noqa: F403
from microtorch.utils.data import __all__ as __all__
