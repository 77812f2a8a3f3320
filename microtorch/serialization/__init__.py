"""Checkpoints: torch-style ``save(obj, f)`` / ``load(f)``, never a pickle.

The file format (version 1) is a zip archive, every member stored uncompressed:

- ``microtorch.json``: ``{"format": "microtorch", "version": 1, "object": NODE}``, the structure
  of the saved object as JSON. A NODE is ``null``, ``true``/``false``, an int, a float (``NaN``
  and ``Infinity`` as Python's json writes them), a string, a JSON list (a Python list), or an
  object tagged by ``"$"``: ``{"$": "tuple", "items": [...]}``, ``{"$": "dict" | "OrderedDict" |
  "Counter", "items": [[KEY, VALUE], ...]}`` (keys are NODEs too, so any key survives: ``'file'``,
  ``'/'``, ``3``, ``(1, 2)``), ``{"$": "bytes", "hex": "..."}``, ``{"$": "tensor", "data": i,
  "requires_grad": bool, "parameter": bool}``, ``{"$": "ndarray", "data": i}`` or
  ``{"$": "numpy_scalar", "data": i}``.
- ``data/<i>.npy``: the i-th array in numpy's ``.npy`` format (dtype, byte order and shape kept;
  object arrays refused). Member names are numbers, never the user's keys.

The archive is also an ``.npz``: ``np.load`` lists the arrays as ``data/0``, ``data/1``, ...

``load`` also reads, by content rather than by file name: the original project's ``.npz``
checkpoints (one ``<name>.npy`` per entry), safetensors files (`microtorch.safetensors`) and
PyTorch's zip ``.pt`` files (`microtorch.serialization.pt`, no code is run). It never unpickles;
every problem with the file raises `CheckpointError` (a RuntimeError) naming it, and no zip
member is inflated past its declared size or past 100 times its compressed size. ``save`` writes
atomically: a temporary file in the same directory, fsync, then ``os.replace``.
"""
import collections
import io
import json
import os
import zipfile

import numpy as np

from microtorch._engine import make_tensor
from microtorch.serialization._files import (CheckpointError, ZipReader, describe, npy_array, npy_bytes, read_source,
                                             write_atomically)
from microtorch.tensor import Tensor

__all__ = ["save", "load", "load_state", "CheckpointError"]

FORMAT_VERSION = 1
_MANIFEST = "microtorch.json"
_PICKLE_MAGIC = (b"\x80", b"(", b"}", b"]")  # protocol 2+ header, or protocol 0/1 starts
_DICTS = {dict: "dict", collections.OrderedDict: "OrderedDict", collections.Counter: "Counter"}


# ---------------------------------------------------------------- encoding

class _Encoder:
    """Turns an object into a JSON NODE, collecting its arrays; refuses what it cannot save."""

    def __init__(self):
        self.arrays = []

    def array(self, array, path):
        if array.dtype.hasobject:
            raise TypeError(f"save: {path} is an array of Python objects (dtype {array.dtype}); only numeric, "
                            "bool and string arrays can be saved (no pickle)")
        self.arrays.append(array)
        return len(self.arrays) - 1

    def node(self, obj, path):
        kind = type(obj)
        if obj is None or kind in (bool, int, float, str):
            return obj
        if isinstance(obj, Tensor):
            from microtorch.nn.parameter import Parameter
            return {"$": "tensor", "data": self.array(obj._array, path), "requires_grad": bool(obj.requires_grad),
                    "parameter": isinstance(obj, Parameter)}
        if kind is np.ndarray:
            return {"$": "ndarray", "data": self.array(obj, path)}
        if isinstance(obj, np.generic) and kind is not np.object_:
            return {"$": "numpy_scalar", "data": self.array(np.asarray(obj), path)}
        if kind is bytes:
            return {"$": "bytes", "hex": obj.hex()}
        if kind is list:
            return [self.node(item, f"{path}[{i}]") for i, item in enumerate(obj)]
        if kind is tuple:
            return {"$": "tuple", "items": [self.node(item, f"{path}[{i}]") for i, item in enumerate(obj)]}
        if kind in _DICTS:
            return {"$": _DICTS[kind], "items": [[self.node(key, f"{path} (a key: {key!r})"),
                                                  self.node(value, f"{path}[{key!r}]")]
                                                 for key, value in obj.items()]}
        raise TypeError(f"save: {path} is a {kind.__module__}.{kind.__qualname__}, which cannot be saved; "
                        "a checkpoint holds Tensors, numpy arrays, numbers, bools, strings, bytes, None and "
                        "dicts, lists and tuples of them (no pickle)")


def _archive_bytes(obj):
    """The whole checkpoint file, built in memory so that a refused object writes nothing."""
    encoder = _Encoder()
    manifest = {"format": "microtorch", "version": FORMAT_VERSION, "object": encoder.node(obj, "obj")}
    members = [(f"data/{i}.npy", npy_bytes(array)) for i, array in enumerate(encoder.arrays)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest))
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def save(obj, f):
    """Save an object to a file, as ``torch.save``, without pickle.

    Parameters
    ----------
    obj : object
        Any nesting of dict, OrderedDict, list and tuple holding Tensors, numpy arrays, ints,
        floats, bools, strings, bytes and None: a ``state_dict``, an optimizer's, a whole training
        checkpoint. A `Module` is saved as its ``state_dict()`` (the original microtorch's
        ``save(model, path)``).
    f : str, os.PathLike or binary file object
        A path is written atomically (temporary file, fsync, rename); an existing file keeps its
        permissions. A file object receives the bytes with one ``write`` call.

    Raises
    ------
    TypeError
        If part of obj cannot be saved; the message names where it is (``obj['optim']['state'][0]``)
        and nothing is written.

    Notes
    -----
    Unlike PyTorch, a Module or any other Python object is not pickled: save its ``state_dict()``.
    """
    if hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict") and hasattr(obj, "named_parameters"):
        obj = obj.state_dict()
    data = _archive_bytes(obj)
    if isinstance(f, (str, bytes, os.PathLike)):
        write_atomically(f, lambda file: file.write(data))
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"save: expected a path or a binary file object to write to, got {type(f).__name__}")


# ---------------------------------------------------------------- decoding

class _Decoder:
    def __init__(self, reader, arrays):
        self.reader, self.arrays = reader, arrays

    def bad(self, what):
        return self.reader.error(f"is corrupted (its manifest {what})")

    def array(self, node):
        index = node.get("data")
        if type(index) is not int or not 0 <= index < len(self.arrays):
            raise self.bad(f"refers to array {index!r}, which the archive does not hold")
        return self.arrays[index]

    def node(self, node):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.node(item) for item in node]
        if type(node) is not dict:
            raise self.bad(f"holds a {type(node).__name__}")
        tag = node.get("$")
        if tag == "tensor":
            return _tensor(self.array(node), node.get("requires_grad") is True, node.get("parameter") is True)
        if tag == "ndarray":
            return self.array(node)
        if tag == "numpy_scalar":
            return self.array(node)[()]
        if tag == "bytes" and isinstance(node.get("hex"), str):
            try:
                return bytes.fromhex(node["hex"])
            except ValueError:
                raise self.bad("holds bytes that are not hexadecimal") from None
        items = node.get("items")
        if type(items) is not list:
            raise self.bad(f"has an entry tagged {tag!r} without items")
        if tag == "tuple":
            return tuple(self.node(item) for item in items)
        kind = {name: kind for kind, name in _DICTS.items()}.get(tag)
        if kind is None or not all(type(pair) is list and len(pair) == 2 for pair in items):
            raise self.bad(f"has an entry tagged {tag!r}")
        try:
            entries = dict((self.node(key), self.node(value)) for key, value in items)
            return entries if kind is dict else kind(entries)
        except TypeError:
            raise self.bad("has a dict key that cannot be a key (unhashable)") from None


def _tensor(array, requires_grad=False, parameter=False):
    if parameter:
        from microtorch.nn.parameter import Parameter
        return Parameter(make_tensor(array), requires_grad=requires_grad)
    tensor = make_tensor(array)
    tensor.requires_grad = requires_grad
    return tensor


def _read_microtorch(reader):
    try:
        manifest = json.loads(reader.read(_MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise reader.error(f"is corrupted (its manifest is not JSON: {error})") from None
    except RecursionError:
        raise reader.error("was refused: its manifest is nested too deeply") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "microtorch" or "object" not in manifest:
        raise reader.error("is corrupted (its manifest is not a microtorch manifest)")
    if manifest.get("version") != FORMAT_VERSION:
        raise reader.error(f"was written in checkpoint format version {manifest.get('version')!r}; this microtorch "
                           f"reads version {FORMAT_VERSION} (upgrade microtorch?)")
    arrays = []
    while f"data/{len(arrays)}.npy" in reader.members:
        member = f"data/{len(arrays)}.npy"
        arrays.append(npy_array(reader.read(member), reader, member))
    try:
        return _Decoder(reader, arrays).node(manifest["object"])
    except RecursionError:
        raise reader.error("was refused: its manifest is nested too deeply") from None


def _read_npz(reader):
    """The original microtorch format: one `<name>.npy` member per state_dict entry."""
    state = collections.OrderedDict()
    for member in reader.members:
        if not member.endswith(".npy"):
            raise reader.error(f"is not a microtorch checkpoint: its entry {member!r} is not a numpy array "
                               "(a zip archive from another library?)")
        state[member[:-len(".npy")]] = _tensor(npy_array(reader.read(member), reader, member))
    return state


def _read(data, name):
    """The object a checkpoint holds, whichever of the known formats it is in."""
    from microtorch import safetensors
    from microtorch.serialization import pt
    if data.startswith(b"PK"):
        reader = ZipReader(data, name)
        if _MANIFEST in reader.members:
            return _read_microtorch(reader)
        if pt.is_torch_archive(reader):
            return pt.read_archive(reader)
        return _read_npz(reader)
    if safetensors.looks_like_safetensors(data):
        try:
            return collections.OrderedDict((key, _tensor(array))
                                           for key, array in safetensors.load_arrays(data).items())
        except safetensors.SafetensorError as error:
            raise CheckpointError(f"load: {name} is not a valid safetensors file ({error})") from None
    if data[:1] in _PICKLE_MAGIC:
        raise CheckpointError(f"load: {name} looks like a pickle file. Pickle checkpoints (such as the original "
                              "microtorch's, or PyTorch's legacy non-zip format) are not supported, because loading "
                              "a pickle can run arbitrary code; re-save the weights with microtorch.save (or "
                              "torch.save with its default zip format).")
    raise CheckpointError(f"load: {name} is not a microtorch checkpoint (not a zip archive, safetensors or .pt file; "
                          "truncated or corrupted?)")


def load(f, *args, map_location=None, weights_only=True):
    """Load an object saved by `save`, as ``torch.load``; no code in the file is ever run.

    Parameters
    ----------
    f : str, os.PathLike or binary file object
        A microtorch checkpoint, an original microtorch ``.npz``, a safetensors file or a
        PyTorch zip ``.pt`` file (tensors, containers and scalars only).
    map_location, weights_only
        Accepted for PyTorch compatibility: everything loads on the CPU, and loading is always
        restricted to data (``weights_only=False`` changes nothing).

    Returns
    -------
    object
        The saved object, Tensors as Tensors. The original form ``load(model, path)`` loads the
        file into model with ``model.load_state_dict`` and returns model.

    Raises
    ------
    CheckpointError
        If the file is truncated, corrupted, unsafe or not a checkpoint; the message names it.
    """
    if args and hasattr(f, "load_state_dict"):  # the original microtorch's load(model, path)
        model, (path,) = f, args
        model.load_state_dict(_state_from(load(path), describe(path)))
        return model
    if args:  # torch.load(f, map_location)
        (map_location,) = args
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        raise RuntimeError(f"load: microtorch runs on the CPU only, got map_location={map_location!r}")
    return _read(read_source(f), describe(f))


def _state_from(obj, name):
    if not isinstance(obj, dict) or not all(isinstance(v, (Tensor, np.ndarray)) for v in obj.values()):
        raise CheckpointError(f"load: {name} does not hold a state_dict (a dict of tensors), so it cannot be loaded "
                              "into a model; use microtorch.load(path) to read it")
    return obj


def load_state(path):
    """Read a checkpoint that holds a state_dict into a dict of numpy arrays.

    Parameters
    ----------
    path : str or os.PathLike
        Any file `load` reads, holding a dict of tensors.

    Returns
    -------
    OrderedDict of str to numpy.ndarray
    """
    name = describe(path)
    state = _state_from(load(path), name)
    return collections.OrderedDict((key, np.asarray(value)) for key, value in state.items())
