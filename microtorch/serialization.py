"""Checkpoints: a model's state_dict in a numpy .npz file, never a pickle.

Loading uses allow_pickle=False, so a crafted file cannot run code. Saving
writes a temporary file beside the target and renames it over, so a crash
mid-save leaves the previous checkpoint intact.
"""
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load"]

_PICKLE_MAGIC = (b"\x80", b"(", b"}")  # protocol 2+ header, or protocol 0/1 starts


def _state_of(obj):
    if hasattr(obj, "state_dict"):
        return obj.state_dict()
    if isinstance(obj, dict):
        return obj
    raise TypeError(f"save: expected a Module or a dict of arrays, got {type(obj).__name__}")


def save(model, path):
    """Write model.state_dict() (or a dict of arrays) to path, atomically."""
    state = _state_of(model)
    arrays = {}
    for name, value in state.items():
        array = np.asarray(getattr(value, "data", value))
        if array.dtype == object:
            raise TypeError(f"save: entry {name!r} is not numeric (dtype object)")
        arrays[name] = array
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".microtorch-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _file_mode():
    # What open() would have created: 0666 less the process umask (read by setting it back at once).
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def load_state(path):
    """Read a checkpoint written by save() into a dict of arrays."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        head = file.read(2)
    if not head.startswith(b"PK"):
        if head[:1] in _PICKLE_MAGIC:
            raise RuntimeError(f"load: {path!r} looks like a pickle file. Pickle checkpoints (such as the "
                               "original microtorch's) are not supported, because loading a pickle can run "
                               "arbitrary code; re-save the weights with microtorch.save.")
        raise RuntimeError(f"load: {path!r} is not a microtorch checkpoint (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            state = {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise RuntimeError(f"load: {path!r} holds an object array (pickled Python objects); microtorch "
                               "never unpickles, because that can run arbitrary code") from None
        raise RuntimeError(f"load: {path!r} is truncated or corrupted ({error})") from None
    # A damaged zip can also claim an unknown compression method or version (NotImplementedError),
    # or an absurd array size (MemoryError).
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, NotImplementedError, MemoryError) as error:
        raise RuntimeError(f"load: {path!r} is truncated or corrupted ({error})") from None
    for name, value in state.items():
        if not isinstance(value, np.ndarray):  # np.load hands back members that are not .npy as raw bytes
            raise RuntimeError(f"load: {path!r} is not a microtorch checkpoint: its entry {name!r} is not a "
                               "numpy array (a zip archive from another library?)")
    return state


def load(model, path):
    """Load a checkpoint into model; on any error the model is left unchanged."""
    state = load_state(path)
    model.load_state_dict(state)
    return model
