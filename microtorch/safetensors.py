"""The safetensors format, in pure Python: the weights format of the Hugging Face hub.

A file is: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON starting
with ``{`` (padded with spaces so that the data starts 8-byte aligned); then the data buffer.
The header maps each tensor name to ``{"dtype": "F32", "shape": [2, 3], "data_offsets":
[begin, end]}`` (byte offsets into the buffer, little-endian, C order), plus an optional
``"__metadata__"`` dict of strings. The tensors tile the buffer exactly: no gap, no overlap, no
trailing bytes. Writing orders tensors as the reference implementation does (by dtype, widest first,
then by name), so every tensor starts aligned and the bytes equal the reference's.

Reading checks all of this and raises `SafetensorError` (a `CheckpointError`) for a damaged
file. BF16 and the 8-bit float types are refused: numpy has no such dtype (convert to float32).
"""
import collections
import json
import struct

import numpy as np

from microtorch.serialization._files import CheckpointError, describe, read_source, write_atomically

__all__ = ["save_file", "load_file", "save", "load", "SafetensorError"]

MAX_HEADER = 100_000_000  # the reference implementation's limit
# In the reference implementation's order of its dtype enum: writing puts the last first.
_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16, "F16": np.float16,
           "I32": np.int32, "U32": np.uint32, "F32": np.float32, "F64": np.float64, "I64": np.int64,
           "U64": np.uint64}
_RANK = {name: rank for rank, name in enumerate(_DTYPES)}
_NAMES = {np.dtype(dtype): name for name, dtype in _DTYPES.items()}
_UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64")


class SafetensorError(CheckpointError):
    """A safetensors file (or bytes) that is truncated, corrupted or uses a dtype numpy lacks."""


def _array(value, name):
    from microtorch.tensor import Tensor
    array = value._array if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        raise TypeError(f"safetensors: {name!r} must be a Tensor or a numpy array, got {type(value).__name__}")
    if array.dtype not in _NAMES:
        raise TypeError(f"safetensors: {name!r} has dtype {array.dtype}, which safetensors cannot hold; "
                        f"supported: {', '.join(str(np.dtype(d)) for d in _DTYPES.values())}")
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)


def save(tensors, metadata=None):
    """Serialize a dict of tensors to safetensors bytes.

    Parameters
    ----------
    tensors : dict of str to Tensor or numpy.ndarray
    metadata : dict of str to str, optional
        Stored as the header's ``__metadata__``.

    Returns
    -------
    bytes
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors: expected a dict of tensors, got {type(tensors).__name__}")
    if metadata is not None and not (isinstance(metadata, dict) and
                                     all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("safetensors: metadata must be a dict of str to str")
    for name in tensors:
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"safetensors: tensor names must be strings other than '__metadata__', got {name!r}")
    arrays = {name: _array(value, name) for name, value in tensors.items()}
    order = sorted(arrays, key=lambda name: (-_RANK[_NAMES[arrays[name].dtype.newbyteorder("=")]], name))
    header = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name in order:
        array = arrays[name]
        header[name] = {"dtype": _NAMES[array.dtype.newbyteorder("=")], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + [arrays[name].tobytes() for name in order])


def save_file(tensors, filename, metadata=None):
    """Write a dict of tensors to a safetensors file, as ``safetensors.torch.save_file``.

    Parameters
    ----------
    tensors : dict of str to Tensor or numpy.ndarray
    filename : str or os.PathLike
        Written atomically (temporary file, fsync, rename), keeping an existing file's mode.
    metadata : dict of str to str, optional
    """
    data = save(tensors, metadata)
    write_atomically(filename, lambda file: file.write(data))


def looks_like_safetensors(data):
    """Whether data starts like a safetensors file (a plausible header length, then ``{``)."""
    if len(data) < 9:
        return False
    (length,) = struct.unpack("<Q", data[:8])
    return 2 <= length <= len(data) - 8 and data[8:9] == b"{"


def _header(data):
    if len(data) < 8:
        raise SafetensorError(f"the header length is missing ({len(data)} bytes, fewer than 8)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER:
        raise SafetensorError(f"the header claims {length} bytes, more than the {MAX_HEADER} allowed")
    if 8 + length > len(data):
        raise SafetensorError(f"the header claims {length} bytes but only {len(data) - 8} follow (truncated?)")
    text = data[8:8 + length]
    if not text.startswith(b"{"):
        raise SafetensorError("the header does not start with '{'")
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise SafetensorError(f"the header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise SafetensorError("the header is not a JSON object")
    return header, 8 + length


def load_arrays(data, with_metadata=False):
    """Parse safetensors bytes into a dict of numpy arrays (copies), checking every offset."""
    header, start = _header(data)
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise SafetensorError("'__metadata__' must be a dict of strings")
    buffer = memoryview(data)[start:]
    entries = []
    for name, info in header.items():
        if not (isinstance(info, dict) and isinstance(info.get("dtype"), str) and isinstance(info.get("shape"), list)
                and isinstance(info.get("data_offsets"), list) and len(info["data_offsets"]) == 2
                and all(type(v) is int and v >= 0 for v in info["shape"] + info["data_offsets"])):
            raise SafetensorError(f"the entry for {name!r} is malformed: {info!r}")
        if info["dtype"] in _UNSUPPORTED:
            raise SafetensorError(f"tensor {name!r} has dtype {info['dtype']}, which numpy (and so microtorch) "
                                  "cannot hold; convert it to float32 before saving (tensor.float())")
        if info["dtype"] not in _DTYPES:
            raise SafetensorError(f"tensor {name!r} has an unknown dtype {info['dtype']!r}")
        entries.append((info["data_offsets"], name, info))
    entries.sort(key=lambda entry: entry[0])
    arrays, end = {}, 0
    for (begin, stop), name, info in entries:
        if begin != end or stop < begin:
            raise SafetensorError(f"tensor {name!r} has data offsets [{begin}, {stop}], expected to start at {end} "
                                  "(tensors must tile the data buffer)")
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        count = int(np.prod(info["shape"], dtype=object))
        if count * dtype.itemsize != stop - begin:
            raise SafetensorError(f"tensor {name!r} of shape {tuple(info['shape'])} and dtype {info['dtype']} needs "
                                  f"{count * dtype.itemsize} bytes, its offsets give {stop - begin}")
        if stop > len(buffer):
            raise SafetensorError(f"tensor {name!r} ends at byte {stop} of a {len(buffer)}-byte buffer (truncated?)")
        array = np.frombuffer(buffer[begin:stop], dtype=dtype).reshape(info["shape"])
        arrays[name] = array.astype(dtype.newbyteorder("="), copy=True)
        end = stop
    if end != len(buffer):
        raise SafetensorError(f"the data buffer has {len(buffer)} bytes but the tensors cover {end} "
                              "(trailing or missing bytes)")
    ordered = collections.OrderedDict((name, arrays[name]) for name in header)  # the header's order
    return (ordered, metadata) if with_metadata else ordered


def load(data):
    """Parse safetensors bytes into a dict of Tensors, as ``safetensors.torch.load``.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    dict of str to Tensor

    Raises
    ------
    SafetensorError
        If the bytes are not a valid safetensors file.
    """
    from microtorch._engine import make_tensor
    return {name: make_tensor(array) for name, array in load_arrays(bytes(data)).items()}


def load_file(filename):
    """Read a safetensors file into a dict of Tensors, as ``safetensors.torch.load_file``.

    Parameters
    ----------
    filename : str or os.PathLike

    Returns
    -------
    dict of str to Tensor

    Raises
    ------
    SafetensorError
        If the file is truncated or corrupted, naming the file.
    """
    try:
        return load(read_source(filename))
    except SafetensorError as error:
        raise SafetensorError(f"safetensors: {describe(filename)} is not a valid safetensors file ({error})") from None


def metadata_of(filename):
    """The ``__metadata__`` dict of a safetensors file.

    Parameters
    ----------
    filename : str or os.PathLike

    Returns
    -------
    dict of str to str, or None when the file has none
    """
    return load_arrays(read_source(filename), with_metadata=True)[1]

