"""Build the compiled engine: every csrc/microtorch/*.pyx becomes microtorch.<name>."""
import os
import pathlib
import sys

import numpy
from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # pip installs the build requirements itself; `python setup.py ...` does not
    sys.exit("Building microtorch from source needs Cython: pip install \"Cython>=3.0,<4\" "
             "(or let pip build it: pip install . / pip install -e .)")

LIBRARIES = [] if sys.platform == "win32" else ["m"]  # libm for C math; MSVC links it implicitly

# For development, MICROTORCH_EXTENSIONS=_scalar,_grad_mode builds only the named modules.
ONLY = {name for name in os.environ.get("MICROTORCH_EXTENSIONS", "").split(",") if name}

extensions = [
    Extension(f"microtorch.{pyx.stem}", [str(pyx)], libraries=LIBRARIES,
              include_dirs=[numpy.get_include()],  # _engine reads array shapes through numpy's C API
              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")])
    for pyx in sorted(pathlib.Path("csrc/microtorch").glob("*.pyx"))
    if not ONLY or pyx.stem in ONLY
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["csrc"],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "embedsignature": True,
        },
    ),
)
