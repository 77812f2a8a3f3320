# Type stub of the compiled tensor engine (csrc/microtorch/_engine.pyx), for editors and type checkers.
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray

# A gradient hook: gets the incoming gradient, returns a replacement or None to keep it.
_Hook = Callable[[Any], Any]

def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off (for all threads, as in PyTorch)."""

def is_anomaly_enabled() -> bool: ...
def register_tensor_class(cls: type[TensorBase]) -> None:
    """Tell the engine which Python class (a TensorBase subclass) to create for results."""

class VersionCounter:
    """Counts in-place modifications of a tensor's data (see bump_version)."""

    value: int

def bump_version(t: TensorBase) -> None:
    """Record that t's data was modified in place, so nodes that saved it refuse to run backward."""

class AccumulateGrad:
    """The node that adds a leaf's gradient into its .grad, as torch's (next_functions names it)."""

    variable: TensorBase
    next_functions: tuple[()]
    def __init__(self, variable: TensorBase) -> None: ...
    def name(self) -> str: ...

class Context:
    """What an op's forward leaves for its backward: `ctx` in `forward(ctx, ...)`."""

    saved: tuple[Any, ...] | None
    needs_input_grad: tuple[bool, ...]
    fn: Any
    hooks: list[_Hook] | None
    def save_for_backward(self, *arrays: Any) -> None: ...
    @property
    def saved_tensors(self) -> tuple[Any, ...]: ...
    @property
    def op_name(self) -> str:
        """The op's name, as microtorch's messages and drawings show it: "Mul"."""
    def name(self) -> str:
        """torch's name of this node: "MulBackward0" (see _TORCH_NODE_NAMES)."""
    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """One (node, 0) pair per tensor input, as torch's."""
    @property
    def inputs(self) -> tuple[Any, ...]:
        """One entry per forward input: the parent Context, the leaf Tensor, or the constant value."""
    @property
    def output_shape(self) -> tuple[int, ...] | None: ...
    @property
    def output_dtype(self) -> np.dtype[Any] | None: ...
    @property
    def is_released(self) -> bool: ...
    # Ops stash free-form values on ctx (ctx.dim = dim).
    def __getattr__(self, name: str) -> Any: ...
    def __setattr__(self, name: str, value: Any) -> None: ...

class TensorBase:
    """Typed fields of a Tensor. The Python class microtorch.Tensor subclasses it."""

    grad_fn: Context | None
    _hooks: list[_Hook] | None
    @property
    def _array(self) -> NDArray[Any]: ...
    @property
    def data(self) -> Any:
        """A new tensor sharing this one's storage, outside the graph, with its own version counter."""
    @data.setter
    def data(self, value: NDArray[Any] | TensorBase) -> None: ...
    @property
    def requires_grad(self) -> bool: ...
    @requires_grad.setter
    def requires_grad(self, value: bool) -> None: ...
    @property
    def _version(self) -> int: ...
    @property
    def is_leaf(self) -> bool:
        """True for tensors that no recorded op produced (user tensors, parameters)."""
    @property
    def _grad_array(self) -> NDArray[Any] | None: ...
    @_grad_array.setter
    def _grad_array(self, value: NDArray[Any] | None) -> None: ...

def own_grad(t: TensorBase) -> NDArray[Any] | None:
    """t's gradient array, first copied if it may be shared with another tensor or read-only."""

def detach(t: TensorBase) -> Any:
    """A new leaf sharing t's data and its version counter."""

def rebind(t: TensorBase, result: TensorBase) -> None:
    """t becomes result in the graph: how an in-place op on a tensor that autograd records is done."""

def make_tensor(array: NDArray[Any], requires_grad: bool = False) -> Any:
    """A leaf Tensor around a numpy array (no copy, no checks: callers check)."""

def apply(fn: Any, *args: Any) -> Any:
    """Run fn.forward on the arrays of args and record the result (a Tensor) in the graph."""

def fast_binary(
    fn: Any, checked: Callable[[Any, Any], Any], checked_reflected: Callable[[Any, Any], Any]
) -> tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]:
    """Tensor's dunder pair for a binary op; runs the checked methods unless they could change nothing."""

def unary_method(fn: Any) -> Callable[[Any], Any]:
    """A Tensor method applying the one-input op fn (Tensor.exp is unary_method(ops.Exp))."""

def run_backward(
    roots: TensorBase | Sequence[TensorBase],
    gradients: Any,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[TensorBase] | None = None,
    accumulate: bool = True,
    stop_at_inputs: bool = False,
) -> list[Any] | None:
    """Backpropagate gradients (one per root) through the roots' graph; with inputs, deliver only to them
    (and with stop_at_inputs, do not look past them: partial derivatives)."""

def graph_backward_op() -> str | None:
    """The name of the op whose backward a create_graph pass is running in this thread, or None."""

def grad_of(t: TensorBase) -> Any:
    """t.grad as a Tensor: the one a create_graph backward recorded, if it is still current."""

def register_sum_to_shape(fn: Callable[[Any, tuple[int, ...], Any], Any]) -> None:
    """Tell the engine how to sum a gradient Tensor back to an input's shape (a recorded op)."""

def retain_grad(tensor: TensorBase) -> None:
    """Keep the gradient of a non-leaf tensor in its .grad after backward."""

def add_hook(tensor: TensorBase, hook: _Hook) -> list[_Hook]:
    """Register hook(grad) -> Tensor or None on the gradient flowing into tensor."""
