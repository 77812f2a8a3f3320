"""device: torch's device vocabulary, and the one check every `device=` argument goes through.

microtorch computes on the CPU only. `microtorch.device("cuda")` can be made (scripts build one
before checking `cuda.is_available()`), but asking for a tensor there raises the error of
`_check_device`, the same wherever it is asked.
"""

__all__ = ["device"]


class device:
    """Where a tensor lives, as ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``, ``device('cuda:0')``.

    Parameters
    ----------
    type : str or device
        ``'cpu'``, ``'cuda'``, ``'mps'``, ... optionally with ``':index'``.
    index : int, optional
        The device index.

    Notes
    -----
    Only ``'cpu'`` can hold tensors. A device equals the string that names it
    (``device('cpu') == 'cpu'``); torch's never equals a string.
    """

    __slots__ = {"type": "str: the device type, such as 'cpu' or 'cuda' (only 'cpu' can hold tensors).",
                 "index": "int or None: the device's index, None when not given."}

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch reads a bare int as a CUDA ordinal
        elif not isinstance(type, str):
            raise TypeError(f"device(): expected a string, an int or a device, got {type!r}")
        elif ":" in type:
            type, _, number = type.partition(":")
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{type}:{number}'")
            index = int(number)
        self.type, self.index = type, index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def _check_device(requested, where):
    """The CPU device, or the one error for any other: microtorch runs on the CPU only."""
    if requested is None:
        return CPU
    chosen = requested if isinstance(requested, device) else device(requested)
    if chosen.type != "cpu":
        raise RuntimeError(f"{where}: microtorch runs on the CPU only, but device '{chosen}' was asked for. "
                           "Use device='cpu' or leave device out (microtorch.cuda.is_available() is False).")
    return CPU
