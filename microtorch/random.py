"""Random number generators: torch's `Generator`, and the default one behind rand, randn,
dropout, layer initialisation and shuffling.

Each Generator wraps a numpy `np.random.Generator` (PCG64). microtorch's streams are its own:
the same seed gives the same numbers run after run, but not the numbers torch gives.
"""
import numpy as np

from microtorch.device import _check_device


class Generator:
    """A source of random numbers, as ``torch.Generator``.

    Parameters
    ----------
    device : str, optional
        Only ``'cpu'`` is supported.

    Examples
    --------
    >>> g = microtorch.Generator().manual_seed(0)
    >>> microtorch.rand(2, generator=g)  # doctest: +SKIP
    """

    def __init__(self, device="cpu"):
        self.device = _check_device(device, "Generator")
        self.seed()

    def manual_seed(self, seed):
        """Reseed this generator; returns it, as torch does."""
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1  # torch accepts negative seeds as their two's complement
        self._initial_seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self):
        """The generator's state, as a uint8 Tensor, to give back to `set_state` later.

        Returns
        -------
        Tensor
            48 bytes, little-endian: the PCG64 state (16) and increment (16), the buffered 32-bit
            half (4: flag, 4: value), and the initial seed (8). Not interchangeable with torch's.
        """
        from microtorch._engine import make_tensor
        state = self._rng.bit_generator.state
        fields = [(state["state"]["state"], 16), (state["state"]["inc"], 16), (state["has_uint32"], 4),
                  (state["uinteger"], 4), (self._initial_seed, 8)]
        raw = b"".join(int(value).to_bytes(size, "little") for value, size in fields)
        return make_tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from `get_state`: the numbers drawn next are the ones drawn after it was taken.

        Parameters
        ----------
        new_state : Tensor or numpy.ndarray
            The 48 uint8 values `get_state` returned.

        Returns
        -------
        Generator
            self.
        """
        array = getattr(new_state, "_array", new_state)
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
            raise TypeError(f"set_state: expected a uint8 Tensor (from get_state()), got "
                            f"{getattr(array, 'dtype', type(new_state).__name__)}")
        if array.shape != (_STATE_BYTES,):
            raise RuntimeError(f"set_state: RNG state is wrong size: expected {_STATE_BYTES} bytes, got shape "
                               f"{array.shape}")
        raw, fields = array.tobytes(), []
        for start, size in ((0, 16), (16, 16), (32, 4), (36, 4), (40, 8)):
            fields.append(int.from_bytes(raw[start:start + size], "little"))
        state, inc, has_uint32, uinteger, initial = fields
        if not inc & 1 or has_uint32 > 1:  # PCG64's increment is always odd
            raise RuntimeError("set_state: this is not a microtorch RNG state (invalid PCG64 increment or flag)")
        self._rng.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                                         "has_uint32": has_uint32, "uinteger": uinteger}
        self._initial_seed = initial
        return self


_STATE_BYTES = 48


default_generator = Generator()


def _numpy_rng(generator=None):
    """The numpy Generator behind `generator`, or behind the default one when it is None."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a microtorch.Generator, got {type(generator).__name__}")
    return generator._rng


def generator():
    """The numpy Generator behind microtorch's default generator."""
    return default_generator._rng


def manual_seed(seed):
    """Reseed microtorch's default generator, for reproducible runs; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Reseed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, as ``torch.get_rng_state``.

    Returns
    -------
    Tensor
        48 uint8 values (see `Generator.get_state`); not interchangeable with torch's.
    """
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state, as ``torch.set_rng_state``.

    Parameters
    ----------
    new_state : Tensor
        A state from `get_rng_state`.
    """
    default_generator.set_state(new_state)
