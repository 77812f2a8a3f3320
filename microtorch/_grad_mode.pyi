# Type stub of the compiled grad mode (csrc/microtorch/_grad_mode.pyx), for editors and type checkers.
from types import TracebackType
from typing import Any, Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_Self = TypeVar("_Self", bound=_GradModeContext)

def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward in this thread."""

class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    def __enter__(self: _Self) -> _Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool: ...
    def __call__(self, func: _F) -> _F: ...

class _ModeSwitch(_GradModeContext):
    """The context a grad-mode decorator enters on each call."""

    def __init__(self, mode: bool) -> None: ...

class no_grad(_GradModeContext):
    """Context manager and decorator that disables graph recording in this thread."""

    def __init__(self) -> None: ...

class enable_grad(_GradModeContext):
    """Context manager and decorator that enables graph recording in this thread."""

    def __init__(self) -> None: ...

class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode): sets grad mode now; as a context manager, restores it on exit."""

    def __init__(self, mode: bool) -> None: ...
