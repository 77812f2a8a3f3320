"""Read PyTorch's ``torch.save`` files without torch and without running any code.

A ``.pt`` file (torch's default zip format since 1.6) is a zip archive whose members live under
one folder ``<name>/``: ``data.pkl`` (a pickle of the saved object), ``data/<key>`` (the raw bytes
of each storage), ``byteorder`` (``little`` or ``big``) and ``version``. Tensors appear in the
pickle as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` calls whose
storage is a persistent id ``('storage', torch.FloatStorage, key, location, numel)``.

Pickle is a small stack machine. `_Unpickler` interprets its opcodes itself, and its only
"globals" are an allowlist, as torch's own ``weights_only=True`` loader has: ``OrderedDict``,
the tensor and parameter rebuild functions, the typed storages and ``_codecs.encode`` (how
protocol 2 writes bytes). Any other global (``os.system``, a class of the user's) is refused
with a `CheckpointError` naming it, before anything is called. Tensors come back as Tensors
(copies: tensors that shared a storage in torch no longer share it).
"""
import collections
import struct

import numpy as np

__all__ = ["is_torch_archive", "read_archive"]

_STORAGES = {"DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
             "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
             "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class _Storage:
    """A storage type named in the pickle (torch.FloatStorage ...): only its dtype matters."""

    def __init__(self, name):
        self.name = name


class _Call:
    """An allowlisted global that REDUCE may call."""

    def __init__(self, name, function):
        self.name, self.function = name, function


def _encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise ValueError("_codecs.encode with unexpected arguments")
    return text.encode(encoding)


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    from microtorch.serialization import _tensor
    if not (isinstance(storage, np.ndarray) and all(isinstance(v, int) for v in (offset, *size, *stride))):
        raise ValueError("a tensor with malformed storage, size or stride")
    if len(size) != len(stride) or min((offset, *size, *stride), default=0) < 0:
        raise ValueError(f"a tensor with size {size} and stride {stride}")
    if 0 not in size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= storage.size:
        raise ValueError(f"a tensor (offset {offset}, size {size}, stride {stride}) reaches past its "
                         f"storage of {storage.size} elements")
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:] if 0 not in size else storage[:0], shape=size,
                                           strides=[s * itemsize for s in stride], writeable=False)
    return _tensor(np.array(view, copy=True), bool(requires_grad))


def _rebuild_parameter(data, requires_grad=True, hooks=None, state=None):
    from microtorch.nn.parameter import Parameter
    return Parameter(data, requires_grad=bool(requires_grad))


_GLOBALS = {
    ("collections", "OrderedDict"): _Call("collections.OrderedDict", collections.OrderedDict),
    ("torch._utils", "_rebuild_tensor_v2"): _Call("torch._utils._rebuild_tensor_v2", _rebuild_tensor),
    ("torch._utils", "_rebuild_parameter"): _Call("torch._utils._rebuild_parameter", _rebuild_parameter),
    ("torch._utils", "_rebuild_parameter_with_state"): _Call("torch._utils._rebuild_parameter_with_state",
                                                             _rebuild_parameter),
    ("_codecs", "encode"): _Call("_codecs.encode", _encode),
    **{("torch", name): _Storage(name) for name in (*_STORAGES, "BFloat16Storage", "ComplexFloatStorage",
                                                   "ComplexDoubleStorage")},
}


class _Mark:
    pass


class _Unpickler:
    """Interprets the pickle opcodes a state_dict needs, calling only allowlisted functions."""

    def __init__(self, data, reader, storage):
        self.data, self.position = data, 0
        self.reader, self.storage = reader, storage
        self.stack, self.memo = [], {}

    def error(self, problem):
        return self.reader.error(f"cannot be loaded safely: {problem}")

    def take(self, n):
        chunk = self.data[self.position:self.position + n]
        if len(chunk) != n:
            raise self.reader.error("is truncated or corrupted (its data.pkl ends early)")
        self.position += n
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self):
        end = self.data.find(b"\n", self.position)
        if end < 0:
            raise self.reader.error("is truncated or corrupted (its data.pkl ends early)")
        text = self.data[self.position:end].decode("utf-8", "replace")
        self.position = end + 1
        return text

    def pop_mark(self):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _Mark:
                items = self.stack[i + 1:]
                del self.stack[i:]
                return items
        raise self.reader.error("is corrupted (its data.pkl has no MARK to pop to)")

    def find_global(self, module, name):
        found = _GLOBALS.get((module, name))
        if found is None:
            raise self.error(f"it needs the global '{module}.{name}', which a weights-only load does not allow "
                             "(only tensors, OrderedDicts, lists, tuples, dicts, numbers, strings and None are read; "
                             "no code in a checkpoint is ever run)")
        return found

    def run(self):
        # opcode -> handler; each handler reads its argument bytes and changes the stack.
        push, stack = self.stack.append, self.stack
        simple = {
            b"(": lambda: push(_Mark), b"N": lambda: push(None), b"\x88": lambda: push(True),
            b"\x89": lambda: push(False), b")": lambda: push(()), b"]": lambda: push([]), b"}": lambda: push({}),
            b"J": lambda: push(self.unpack("<i")), b"K": lambda: push(self.unpack("<B")),
            b"M": lambda: push(self.unpack("<H")), b"G": lambda: push(self.unpack(">d")),
            b"\x8a": lambda: push(int.from_bytes(self.take(self.unpack("<B")), "little", signed=True)),
            b"\x8b": lambda: push(int.from_bytes(self.take(self.unpack("<i")), "little", signed=True)),
            b"X": lambda: push(self.text(self.unpack("<I"))), b"\x8c": lambda: push(self.text(self.unpack("<B"))),
            b"\x8d": lambda: push(self.text(self.unpack("<Q"))),
            b"B": lambda: push(self.take(self.unpack("<I"))), b"C": lambda: push(self.take(self.unpack("<B"))),
            b"\x8e": lambda: push(self.take(self.unpack("<Q"))),
            b"t": lambda: push(tuple(self.pop_mark())), b"\x85": lambda: push((stack.pop(),)),
            b"\x86": lambda: push(tuple(self.pops(2))), b"\x87": lambda: push(tuple(self.pops(3))),
            b"l": lambda: push(list(self.pop_mark())), b"a": lambda: self.top(list).append(stack.pop()),
            b"e": lambda: self.extend(self.pop_mark()), b"d": lambda: push(self.pairs({}, self.pop_mark())),
            b"s": lambda: self.setitems(self.pops(2)),
            b"u": lambda: self.setitems(self.pop_mark()),
            b"q": lambda: self.put(self.unpack("<B")), b"r": lambda: self.put(self.unpack("<I")),
            b"\x94": lambda: self.put(len(self.memo)),
            b"h": lambda: push(self.get(self.unpack("<B"))), b"j": lambda: push(self.get(self.unpack("<I"))),
            b"0": lambda: self.pops(1), b"1": lambda: self.pop_mark(), b"2": lambda: push(self.peek()),
            b"c": lambda: push(self.find_global(self.line(), self.line())),
            b"\x93": lambda: push(self.find_global(*self.strings(self.pops(2)))),
            b"R": self.reduce, b"b": self.build, b"Q": lambda: push(self.persistent(stack.pop())),
            b"\x95": lambda: self.take(8),  # FRAME: a length we do not need
        }
        proto = self.take(1)
        if proto != b"\x80":
            raise self.reader.error("is corrupted (its data.pkl does not start with a pickle protocol header)")
        self.take(1)
        while True:
            opcode = self.take(1)
            if opcode == b".":
                if len(stack) != 1:
                    raise self.reader.error("is corrupted (its data.pkl leaves the stack unbalanced)")
                return stack.pop()
            handler = simple.get(opcode)
            if handler is None:
                raise self.error(f"its data.pkl uses pickle opcode {opcode!r} at byte {self.position - 1}, which a "
                                 "weights-only load does not interpret")
            try:
                handler()
            except IndexError:
                raise self.reader.error("is corrupted (its data.pkl pops an empty stack)") from None

    # -- helpers of the opcodes
    def text(self, n):
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise self.reader.error("is corrupted (a string in its data.pkl is not UTF-8)") from None

    def pops(self, n):
        if len(self.stack) < n or any(item is _Mark for item in self.stack[-n:]):
            raise IndexError
        items = self.stack[-n:]
        del self.stack[-n:]
        return items

    def peek(self):
        return self.stack[-1]

    def top(self, kind):
        if len(self.stack) < 2 or not isinstance(self.stack[-2], kind):
            raise self.reader.error(f"is corrupted (its data.pkl appends to a non-{kind.__name__})")
        return self.stack[-2]

    def below(self, kind):
        if len(self.stack) < 1 or not isinstance(self.stack[-1], kind):
            raise self.reader.error(f"is corrupted (its data.pkl sets an item of a non-{kind.__name__})")
        return self.stack[-1]

    def extend(self, items):
        target = self.stack[-1] if self.stack else None
        if not isinstance(target, list):
            raise self.reader.error("is corrupted (its data.pkl appends to a non-list)")
        target.extend(items)

    def pairs(self, target, items):
        if len(items) % 2:
            raise self.reader.error("is corrupted (its data.pkl has a key without a value)")
        try:
            for key, value in zip(items[::2], items[1::2]):
                target[key] = value
        except TypeError:
            raise self.reader.error("is corrupted (its data.pkl has an unhashable dict key)") from None
        return target

    def setitems(self, items):
        self.pairs(self.below(dict), items)

    def put(self, index):
        if not self.stack:
            raise IndexError
        self.memo[index] = self.stack[-1]

    def get(self, index):
        if index not in self.memo:
            raise self.reader.error(f"is corrupted (its data.pkl reads memo entry {index}, never stored)")
        return self.memo[index]

    def strings(self, items):
        if not all(isinstance(item, str) for item in items):
            raise self.reader.error("is corrupted (its data.pkl names a global with non-strings)")
        return items

    def reduce(self):
        function, args = self.pops(2)
        if not isinstance(function, _Call):
            what = f"'torch.{function.name}'" if isinstance(function, _Storage) else repr(type(function).__name__)
            raise self.error(f"its data.pkl calls {what}, which a weights-only load does not call")
        if not isinstance(args, tuple):
            raise self.reader.error("is corrupted (its data.pkl calls a function with non-tuple arguments)")
        try:
            self.stack.append(function.function(*args))
        except (TypeError, ValueError) as error:
            raise self.reader.error(f"is corrupted ({function.name}: {error})") from None

    def build(self):
        state = self.stack.pop()
        target = self.peek()
        # An OrderedDict state_dict carries `_metadata` (module versions) as an attribute: not needed.
        if not (isinstance(target, collections.OrderedDict) and isinstance(state, dict)):
            raise self.error(f"its data.pkl sets the state of a {type(target).__name__}, which a weights-only "
                             "load does not allow")

    def persistent(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _Storage)
                and isinstance(pid[2], str) and isinstance(pid[4], int)):
            raise self.error(f"its data.pkl refers to an external object {pid!r} that is not a storage")
        return self.storage(pid[1].name, pid[2], pid[4])


def is_torch_archive(reader):
    """Whether a zip archive is a torch.save file (it holds `<name>/data.pkl`)."""
    return _prefix(reader) is not None


def _prefix(reader):
    for member in reader.members:
        folder, _, base = member.rpartition("/")
        if base == "data.pkl" and "/" not in folder:
            return folder + "/" if folder else ""
    return None


def read_archive(reader):
    """The object a torch.save zip archive holds, tensors as microtorch Tensors."""
    prefix = _prefix(reader)
    order = "little"
    if prefix + "byteorder" in reader.members:
        order = reader.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            raise reader.error(f"is corrupted (its byteorder record says {order!r})")
    storages = {}

    def storage(type_name, key, numel):
        if type_name not in _STORAGES:
            raise reader.error(f"holds a torch.{type_name}, whose dtype numpy (and so microtorch) cannot hold; "
                               "convert the tensors to float32 in torch before saving (tensor.float())")
        if key not in storages:
            member = f"{prefix}data/{key}"
            if member not in reader.members:
                raise reader.error(f"is truncated or corrupted (storage {key!r} is missing)")
            dtype = np.dtype(_STORAGES[type_name]).newbyteorder("<" if order == "little" else ">")
            data = reader.read(member)
            if len(data) != numel * dtype.itemsize:
                raise reader.error(f"is truncated or corrupted (storage {key!r} holds {len(data)} bytes, "
                                   f"expected {numel} x {dtype.itemsize})")
            storages[key] = np.frombuffer(bytearray(data), dtype=dtype).astype(dtype.newbyteorder("="), copy=False)
        return storages[key]

    return _Unpickler(reader.read(prefix + "data.pkl"), reader, storage).run()
