"""DLPack exchange, as torch.utils.dlpack: share tensors with numpy, torch and others without copying."""
import numpy as np

__all__ = ["from_dlpack"]


def from_dlpack(ext_tensor):
    """A Tensor sharing memory with any object that exports DLPack (a torch tensor, a numpy array).

    Parameters
    ----------
    ext_tensor : object
        An object with ``__dlpack__`` and ``__dlpack_device__`` on the CPU.

    Returns
    -------
    Tensor
        A leaf tensor viewing the same memory: writes to either show in the other.
    """
    from microtorch.creation import from_numpy
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ (a torch tensor, a numpy array), got "
                        f"{type(ext_tensor).__name__}")
    if hasattr(ext_tensor, "_array") and hasattr(ext_tensor, "grad_fn"):
        ext_tensor = ext_tensor.detach()
    return from_numpy(np.from_dlpack(ext_tensor))
