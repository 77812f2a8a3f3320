"""The file side of checkpoints: atomic writes, bounded zip reading and .npy members.

Every problem with a file being read is a `CheckpointError` naming the file; nothing here
unpickles, and no zip member is inflated past the size its header declares.
"""
import contextlib
import io
import os
import secrets
import stat
import zipfile

import numpy as np

__all__ = ["CheckpointError", "read_source", "write_atomically", "ZipReader", "npy_bytes", "npy_array"]

# A deflated member may inflate at most this much. microtorch writes its members stored (not
# compressed), so this only concerns archives from elsewhere (np.savez_compressed of real weights
# compresses about 1.1x); a zip bomb inflates about 1000x.
MAX_INFLATION = 100
_SMALL = 1 << 20  # members below 1 MiB are never refused for their ratio


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read: truncated, corrupted, not a checkpoint, or unsafe.

    The message names the file. Loading into a model that raises this leaves the model unchanged.
    """


def describe(source):
    """The name to put in error messages for a path or a file object."""
    if isinstance(source, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(source))
    name = getattr(source, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(source).__name__}>"


def read_source(source):
    """All the bytes of a path or of a binary file object (read from its current position)."""
    if isinstance(source, (str, bytes, os.PathLike)):
        with open(source, "rb") as file:
            return file.read()
    if not hasattr(source, "read"):
        raise TypeError(f"load: expected a path or a binary file object, got {type(source).__name__}")
    data = source.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: the file object must be opened in binary mode ('rb'), it returned "
                        f"{type(data).__name__}")
    return bytes(data)


def write_atomically(target, write):
    """Call write(file) on a temporary file beside target, then rename it over target.

    The temporary file is created with mode 0666, which the kernel masks with the umask, as open()
    does (os.umask is never called: reading it means setting it, process-wide); an existing target
    keeps its mode. On any failure the temporary file is removed and target is untouched.
    """
    path = os.path.abspath(os.fspath(target))
    directory, base = os.path.split(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


class ZipReader:
    """The members of a zip archive held in memory, read with their declared sizes enforced."""

    def __init__(self, data, name):
        self.name = name
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self.archive.infolist()
        except Exception as error:  # BadZipFile, struct.error, UnicodeDecodeError ... from a damaged directory
            raise self.error(f"is truncated or corrupted ({type(error).__name__}: {error})") from None
        self.members = {}
        for info in infos:
            self._check_declared_size(info, len(data))
            self.members[info.filename] = info
        # Many small members could add up to a bomb too: bound the total as well.
        total = sum(info.file_size for info in infos)
        if total > MAX_INFLATION * len(data) + _SMALL:
            raise self.error(f"was refused: its {len(infos)} members would inflate from {len(data)} to {total} bytes "
                             f"(more than {MAX_INFLATION}x, a decompression bomb?)")

    def error(self, problem):
        return CheckpointError(f"load: {self.name} {problem}")

    def _check_declared_size(self, info, file_size):
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size or info.compress_size > file_size:
                raise self.error(f"is truncated or corrupted (member {info.filename!r} declares "
                                 f"{info.file_size} bytes, the file has {file_size})")
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > _SMALL and info.file_size > MAX_INFLATION * info.compress_size:
                raise self.error(f"was refused: member {info.filename!r} would inflate from "
                                 f"{info.compress_size} to {info.file_size} bytes (more than {MAX_INFLATION}x, "
                                 "a decompression bomb?)")
        else:
            raise self.error(f"uses compression method {info.compress_type} for member {info.filename!r}; "
                             "only stored and deflated members are read")

    def read(self, member):
        """The bytes of one member, never more than its declared size, CRC checked."""
        info = self.members[member]
        try:
            with self.archive.open(info) as file:
                data = file.read(info.file_size + 1)
        except Exception as error:  # BadZipFile (bad CRC), zlib.error, EOFError ... from damaged data
            raise self.error(f"is truncated or corrupted ({type(error).__name__}: {error})") from None
        if len(data) != info.file_size:
            raise self.error(f"is truncated or corrupted (member {member!r} holds {len(data)} bytes, "
                             f"its header says {info.file_size})")
        return data


def npy_bytes(array):
    """An array in numpy's .npy format, refusing object arrays (they would need pickle)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_array(data, reader, member):
    """Parse .npy bytes into a writable array without ever unpickling: the header is checked first."""
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(buffer)
    except (ValueError, SyntaxError, TypeError, OverflowError) as error:
        raise reader.error(f"is truncated or corrupted (member {member!r}: {error})") from None
    if dtype.hasobject:
        raise reader.error(f"holds an object array in member {member!r} (pickled Python objects); microtorch "
                           "never unpickles, because that can run arbitrary code")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    start = buffer.tell()
    if count < 0 or len(data) - start != count * dtype.itemsize:
        raise reader.error(f"is truncated or corrupted (member {member!r}: {len(data) - start} bytes of data "
                           f"for an array of shape {shape} and dtype {dtype})")
    array = np.frombuffer(bytearray(data[start:]), dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C")
