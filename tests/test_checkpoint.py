"""torch-style save(obj, f) / load(f): exact round trips, safety against crafted and damaged files,
atomic saves with the usual permissions, zero-copy exchange, and a bit-exact resume in a new process."""
import collections
import io
import os
import pathlib
import pickle
import stat
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microtorch as mt
from microtorch.serialization import CheckpointError
from helpers import assert_unchanged, each_byte_flipped, small_model, snapshot
from test_safety import _Exploit  # its guard test shows the payload really runs under plain pickle

ROOT = pathlib.Path(__file__).resolve().parent.parent
DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_]


def round_trip(obj, tmp_path, name="ckpt.pt"):
    path = tmp_path / name
    mt.save(obj, path)
    return mt.load(path)


def assert_same(loaded, original, where="obj"):
    """Equal values and equal types all the way down (tuple stays tuple, int stays int)."""
    assert type(loaded) is type(original), f"{where}: {type(loaded)} != {type(original)}"
    if isinstance(original, mt.Tensor):
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded.numpy(), original.numpy(), err_msg=where)
        assert loaded.requires_grad == original.requires_grad, where
    elif isinstance(original, np.ndarray):
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded, original, err_msg=where)
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original), where
        for i, (a, b) in enumerate(zip(loaded, original)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(original, dict):
        assert list(loaded) == list(original), where
        for key in original:
            assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, float) and np.isnan(original):
        assert np.isnan(loaded), where
    else:
        assert loaded == original, where


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (2, 3), (1, 2, 3)])
def test_tensors_and_arrays_keep_dtype_and_shape(tmp_path, dtype, shape):
    rng = np.random.default_rng(0)
    array = np.asarray(rng.standard_normal(shape) * 50).astype(dtype)
    obj = {"tensor": mt.from_numpy(array.copy()), "array": array, "scalar": array.reshape(-1)[:1].sum().astype(dtype)}
    loaded = round_trip(obj, tmp_path)
    assert_same(loaded, obj)


def test_python_values_and_containers_round_trip_exactly(tmp_path):
    obj = collections.OrderedDict([
        ("ints", [0, -1, 2 ** 70, True, False]),
        ("floats", (0.1, -0.0, float("inf"), float("-inf"), float("nan"), 1e-308)),
        ("strings", ["", "é", "\x00", "line\nbreak"]),
        ("none", None), ("bytes", b"\x00\xff"),
        ("nested", {"tuple": (1, [2, (3,)]), "empty": ({}, [], ())}),
        ("counter", collections.Counter({3: 2, 5: 1})),
        ("keys", {1: "int", 2.5: "float", None: "none", True: "bool", (1, "a"): "tuple"}),
    ])
    assert_same(round_trip(obj, tmp_path), obj)


@pytest.mark.parametrize("key", ["file", "allow_pickle", "arr_0", "/", "..", "../escape", "a/b.npy", "", "microtorch.json",
                                 "data/0.npy", "x" * 300])
def test_any_dict_key_string(tmp_path, key):
    obj = {key: mt.tensor([1.0, 2.0]), "other": np.arange(3)}
    assert_same(round_trip(obj, tmp_path), obj)


_KEYS = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
                  st.tuples(st.integers(), st.text(max_size=2)))
_ARRAYS = hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5), st.binary(max_size=5),
                    _ARRAYS, _ARRAYS.map(mt.from_numpy))
_OBJECTS = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(_KEYS, inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3).map(collections.OrderedDict)),
    max_leaves=12)


@given(_OBJECTS)
def test_whatever_save_accepts_load_gives_back(obj):
    buffer = io.BytesIO()
    mt.save(obj, buffer)
    assert_same(mt.load(io.BytesIO(buffer.getvalue())), obj)


def test_parameters_and_requires_grad_are_kept(tmp_path):
    obj = {"p": mt.nn.Parameter(mt.randn(2)), "leaf": mt.randn(3, requires_grad=True), "plain": mt.randn(2)}
    loaded = round_trip(obj, tmp_path)
    assert isinstance(loaded["p"], mt.nn.Parameter) and loaded["p"].requires_grad
    assert loaded["leaf"].requires_grad and not isinstance(loaded["leaf"], mt.nn.Parameter)
    assert not loaded["plain"].requires_grad


@pytest.mark.parametrize("kind", ["str", "path", "file"])
def test_paths_and_file_objects(tmp_path, kind):
    obj = {"w": mt.randn(3, 2), "epoch": 3}
    target = tmp_path / "c.pt"
    if kind == "file":
        buffer = io.BytesIO()
        mt.save(obj, buffer)
        buffer.seek(0)
        loaded = mt.load(buffer)
    else:
        where = str(target) if kind == "str" else target
        mt.save(obj, where)
        loaded = mt.load(where)
    assert_same(loaded, obj)


def test_whole_training_checkpoint_round_trips(tmp_path):
    model = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.BatchNorm1d(4), mt.nn.Dropout(0.5), mt.nn.Linear(4, 2))
    opt = mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = mt.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4])
    mt.nn.functional.mse_loss(model(mt.randn(5, 3)), mt.randn(5, 2)).backward()
    opt.step()
    schedule.step()
    obj = {"model": model.state_dict(), "optim": opt.state_dict(), "sched": schedule.state_dict(), "epoch": 1,
           "rng": mt.get_rng_state()}
    assert_same(round_trip(obj, tmp_path), obj)


def test_a_saved_file_is_an_npz_with_a_json_manifest(tmp_path):
    path = tmp_path / "c.pt"
    mt.save({"w": np.arange(3), "k": "v"}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["microtorch.json", "data/0.npy"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["data/0"], np.arange(3))


def test_torch_load_arguments_are_accepted(tmp_path):
    mt.save({"w": mt.ones(2)}, tmp_path / "c.pt")
    assert mt.load(tmp_path / "c.pt", "cpu")["w"].shape == (2,)
    assert mt.load(tmp_path / "c.pt", map_location="cpu", weights_only=True)["w"].shape == (2,)
    with pytest.raises(RuntimeError, match="CPU only"):
        mt.load(tmp_path / "c.pt", map_location="cuda:0")


# ---------------------------------------------------------------- Module.state_dict / load_state_dict

def test_module_state_dict_is_detached_tensors_sharing_storage():
    model = mt.nn.Sequential(mt.nn.Linear(2, 3), mt.nn.BatchNorm1d(3))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked"]
    assert all(type(v) is mt.Tensor and not v.requires_grad and v.grad_fn is None for v in state.values())
    assert np.shares_memory(state["0.weight"].numpy(), model[0].weight.numpy())
    kept = model.state_dict(keep_vars=True)
    assert kept["0.weight"] is model[0].weight and kept["1.running_mean"] is model[1].running_mean
    prefixed = model.state_dict(prefix="net.")
    assert list(prefixed)[0] == "net.0.weight"
    destination = {"other": 1}
    assert model.state_dict(destination=destination) is destination and "0.bias" in destination


def test_load_state_dict_copies_in_place_and_reports_keys():
    model, source = mt.nn.Linear(2, 3), mt.nn.Linear(2, 3)
    weight = model.weight
    result = model.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>" and tuple(result) == ([], [])
    assert model.weight is weight  # the same Parameter, so an optimizer holding it keeps working
    np.testing.assert_array_equal(model.weight.numpy(), source.weight.numpy())
    source.weight.numpy()[0, 0] = 99.0
    assert model.weight.numpy()[0, 0] != 99.0
    partial = {"weight": np.zeros((3, 2)), "extra": mt.ones(1)}
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"


def test_load_state_dict_takes_torch_tensors_and_keeps_the_model_on_error():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(2, 3)
    ours = mt.nn.Linear(2, 3)
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    before = snapshot(ours)
    wrong = {"weight": torch.zeros(3, 2), "bias": torch.zeros(4)}
    with pytest.raises(RuntimeError, match=r"size mismatch for bias: copying a param with shape \(4,\) from checkpoint, "
                                           r"the shape in current model is \(3,\)"):
        ours.load_state_dict(wrong, strict=False)  # a size mismatch is an error even when not strict, as in torch
    assert_unchanged(ours, before)


# ---------------------------------------------------------------- the original save(model, path) / load(model, path)

def test_the_original_form_and_the_torch_form_read_each_other(tmp_path):
    model, other = small_model(), small_model()
    mt.save(model, tmp_path / "old_form.npz")  # a Module: its state_dict
    state = mt.load(tmp_path / "old_form.npz")
    assert list(state) == list(model.state_dict())
    mt.save(model.state_dict(), tmp_path / "new_form.pt")
    mt.load(other, tmp_path / "new_form.pt")
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_files_of_the_original_npz_format_still_load(tmp_path):
    model = small_model()
    np.savez(tmp_path / "legacy.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    state = mt.load(tmp_path / "legacy.npz")
    assert all(isinstance(v, mt.Tensor) for v in state.values())
    other = small_model()
    mt.load(other, tmp_path / "legacy.npz")
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_into_a_model_refuses_a_file_that_is_not_a_state_dict(tmp_path):
    mt.save({"epoch": 3}, tmp_path / "c.pt")
    model = small_model()
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=r"c.pt.*does not hold a state_dict"):
        mt.load(model, tmp_path / "c.pt")
    assert_unchanged(model, before)


# ---------------------------------------------------------------- what cannot be saved

@pytest.mark.parametrize("obj, where", [
    ({"optim": {"state": {0: {"momentum_buffer": object()}}}}, r"obj\['optim'\]\['state'\]\[0\]\['momentum_buffer'\]"),
    ([1, (2, {3})], r"obj\[1\]\[1\] is a builtins.set"),
    ({"f": lambda x: x}, r"obj\['f'\] is a builtins.function"),
    ({"m": mt.nn.Linear(2, 2)}, r"obj\['m'\] is a microtorch.nn.linear.Linear"),
    ({"a": np.array([None])}, r"obj\['a'\] is an array of Python objects"),
    ({frozenset(): 1}, r"obj \(a key: frozenset\(\)\)"),
])
def test_unsaveable_objects_name_their_path_and_write_nothing(tmp_path, obj, where):
    path = tmp_path / "c.pt"
    with pytest.raises(TypeError, match=where):
        mt.save(obj, path)
    assert list(tmp_path.iterdir()) == []
    buffer = io.BytesIO()
    with pytest.raises(TypeError):
        mt.save(obj, buffer)
    assert buffer.getvalue() == b""


# ---------------------------------------------------------------- crafted files run no code

@pytest.mark.parametrize("name", ["c.npz", "c.safetensors", "c.pt", "c.bin"])
def test_a_pickle_payload_under_any_name_runs_no_code(tmp_path, name):
    marker = tmp_path / "pwned"
    (tmp_path / name).write_bytes(pickle.dumps({"w": _Exploit(marker)}, protocol=2))
    model = small_model()
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=rf"{name}.*looks like a pickle file"):
        mt.load(tmp_path / name)
    with pytest.raises(CheckpointError):
        mt.load(model, tmp_path / name)
    assert not marker.exists()
    assert_unchanged(model, before)


def test_an_object_array_in_an_npz_is_refused_unread(tmp_path):
    marker = tmp_path / "pwned"
    payload = np.empty(1, dtype=object)
    payload[0] = _Exploit(marker)
    np.savez(tmp_path / "c.npz", w=payload)
    with pytest.raises(CheckpointError, match=r"c.npz.*object array.*never unpickles"):
        mt.load(tmp_path / "c.npz")
    assert not marker.exists()


def test_a_manifest_cannot_refer_to_missing_arrays(tmp_path):
    path = tmp_path / "c.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("microtorch.json", '{"format": "microtorch", "version": 1, "object": {"$": "tensor", "data": 5}}')
    with pytest.raises(CheckpointError, match=r"c.pt.*refers to array 5"):
        mt.load(path)


def test_a_newer_format_version_is_refused_clearly(tmp_path):
    path = tmp_path / "c.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("microtorch.json", '{"format": "microtorch", "version": 99, "object": null}')
    with pytest.raises(CheckpointError, match="format version 99"):
        mt.load(path)


# ---------------------------------------------------------------- decompression is bounded

def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("w.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False,
                                                          "shape": (1 << 30,)})
            chunk = bytes(1 << 24)
            for _ in range(64):
                member.write(chunk)
    assert path.stat().st_size < 1.5e6  # about 1 MB on disk, 1 GB inflated
    inflated = []
    real_decompressobj = zipfile.zlib.decompressobj
    monkeypatch.setattr(zipfile.zlib, "decompressobj", lambda *a: inflated.append(1) or real_decompressobj(*a))
    with pytest.raises(CheckpointError, match=r"bomb.npz.*would inflate from \d+ to 1073741952 bytes"):
        mt.load(path)
    assert inflated == []  # refused from the declared sizes, before any inflating


def test_a_member_that_lies_about_its_size_is_caught(tmp_path):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("w.npy", mt.serialization._files.npy_bytes(np.zeros(1000)))
    data = bytearray(path.read_bytes())
    # Shrink the declared size in the central directory: the reader must stop there and notice.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="c.npz"):
        mt.load(path)


def test_many_small_members_cannot_add_up_to_a_bomb(tmp_path):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(300):  # each under the per-member limit, 300 MB together
            archive.writestr(f"m{i}.npy", bytes(1 << 20))
    with pytest.raises(CheckpointError, match=r"many.npz.*300 members would inflate"):
        mt.load(path)


def test_a_manifest_nested_too_deeply_is_refused(tmp_path):
    path = tmp_path / "deep.pt"
    nested = "[" * 100_000 + "]" * 100_000
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("microtorch.json", '{"format": "microtorch", "version": 1, "object": %s}' % nested)
    with pytest.raises(CheckpointError, match="deep.pt.*nested too deeply"):
        mt.load(path)


# ---------------------------------------------------------------- damaged files: one error type, model unchanged

def _saved_model_file(tmp_path):
    path = tmp_path / "model.pt"
    mt.save({"model": small_model().state_dict(), "epoch": 2}, path)
    mt.save(small_model(), tmp_path / "flat.pt")
    return path


def test_truncated_files_raise_checkpoint_error_naming_the_file(tmp_path):
    _saved_model_file(tmp_path)
    path = tmp_path / "flat.pt"
    data = path.read_bytes()
    model = small_model()
    before = snapshot(model)
    for length in range(0, len(data), 5):
        path.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match="flat.pt"):
            mt.load(path)
        with pytest.raises(CheckpointError, match="flat.pt"):
            mt.load(model, path)
        assert_unchanged(model, before)


def test_every_flipped_byte_is_detected_or_harmless(tmp_path):
    path = _saved_model_file(tmp_path)
    original = path.read_bytes()
    expected = mt.load(path)
    detected = 0
    for _ in each_byte_flipped(path, original):
        try:
            loaded = mt.load(path)
        except CheckpointError as error:
            assert "model.pt" in str(error)
            detected += 1
        else:  # a flip in zip metadata that nothing reads (a timestamp, an extra field)
            assert_same(loaded, expected)
    assert detected > 0.75 * len(original)  # the rest hit zip fields that nothing reads


# ---------------------------------------------------------------- atomic saves and permissions

def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    mt.save({"w": mt.ones(3)}, path)
    previous = path.read_bytes()

    class DiskFull(io.RawIOBase):
        def __init__(self, handle, *args, **kwargs):
            self.file = open(handle, "wb", closefd=True)

        def write(self, data):
            self.file.write(bytes(data)[:10])
            raise OSError(28, "No space left on device")

        def close(self):
            self.file.close()
            super().close()

    monkeypatch.setattr(os, "fdopen", DiskFull)
    with pytest.raises(OSError, match="No space left"):
        mt.save({"w": mt.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_a_conversion_that_raises_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    mt.save({"w": mt.ones(3)}, path)
    previous = path.read_bytes()

    def broken(*args, **kwargs):
        raise ValueError("conversion failed")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(ValueError, match="conversion failed"):
        mt.save({"w": mt.zeros(3)}, path)
    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def _no_umask(*args):
    raise AssertionError("os.umask must never be called: it changes the process-wide mask")


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_what_open_gives(tmp_path, monkeypatch, umask):
    previous = os.umask(umask)
    try:
        with open(tmp_path / "reference", "w"):
            pass
        monkeypatch.setattr(os, "umask", _no_umask)
        mt.save({"w": mt.ones(2)}, tmp_path / "c.pt")
        mt.safetensors.save_file({"w": mt.ones(2)}, tmp_path / "c.safetensors")
    finally:
        monkeypatch.undo()
        os.umask(previous)
    expected = stat.S_IMODE((tmp_path / "reference").stat().st_mode)
    assert expected == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "c.pt").stat().st_mode) == expected
    assert stat.S_IMODE((tmp_path / "c.safetensors").stat().st_mode) == expected


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_an_existing_file_keeps_its_mode(tmp_path, monkeypatch, mode):
    path = tmp_path / "c.pt"
    mt.save({"w": mt.ones(2)}, path)
    os.chmod(path, mode)
    monkeypatch.setattr(os, "umask", _no_umask)
    mt.save({"w": mt.zeros(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert mt.load(path)["w"].numpy().tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- random state

def test_rng_state_restores_the_same_numbers():
    mt.manual_seed(5)
    mt.randn(3)
    state = mt.get_rng_state()
    assert state.dtype == np.uint8 and state.shape == (48,)
    first = [mt.randn(4).numpy(), mt.nn.functional.dropout(mt.ones(8), 0.5).numpy()]
    mt.set_rng_state(state)
    second = [mt.randn(4).numpy(), mt.nn.functional.dropout(mt.ones(8), 0.5).numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert mt.initial_seed() == 5


def test_generator_state_survives_a_buffered_half_draw():
    g = mt.Generator().manual_seed(1)
    g._rng.integers(0, 10, dtype=np.uint32)  # leaves half of a 64-bit draw buffered
    state = g.get_state()
    first = g._rng.integers(0, 1 << 30, size=5, dtype=np.uint32)
    other = mt.Generator().set_state(state)
    np.testing.assert_array_equal(other._rng.integers(0, 1 << 30, size=5, dtype=np.uint32), first)
    assert other.initial_seed() == 1


def test_set_state_errors():
    g = mt.Generator()
    with pytest.raises(RuntimeError, match="RNG state is wrong size"):
        g.set_state(mt.zeros(10, dtype=np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(mt.zeros(48))
    with pytest.raises(RuntimeError, match="not a microtorch RNG state"):
        g.set_state(mt.zeros(48, dtype=np.uint8))


# ---------------------------------------------------------------- zero copy

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpy_asarray_and_from_numpy_share_memory(dtype):
    array = np.arange(6).reshape(2, 3).astype(dtype)
    t = mt.from_numpy(array)
    assert t.dtype == array.dtype
    assert np.shares_memory(t.numpy(), array) and np.shares_memory(np.asarray(t), array)
    assert not np.shares_memory(np.array(t), array) or np.array(t) is array  # np.array copies by default
    assert not np.shares_memory(t.numpy(force=True), array)


def test_from_numpy_refuses_non_numeric_arrays():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type object"):
        mt.from_numpy(np.array([None]))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        mt.from_numpy([1, 2])


def test_dlpack_with_numpy_shares_memory():
    array = np.arange(5.0)
    t = mt.from_dlpack(array)
    t.numpy()[0] = 42.0
    assert array[0] == 42.0
    back = np.from_dlpack(t)
    assert np.shares_memory(back, array)
    assert t.__dlpack_device__() == (1, 0)


def test_dlpack_with_torch_shares_memory():
    torch = pytest.importorskip("torch")
    source = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    ours = mt.from_dlpack(source)
    assert ours.dtype == np.float64 and ours.shape == (2, 3)
    source[0, 0] = 7.0
    assert ours.numpy()[0, 0] == 7.0
    theirs = torch.from_dlpack(mt.tensor([[1, 2], [3, 4]], dtype=np.int32))
    assert theirs.dtype == torch.int32
    mine = mt.from_numpy(np.zeros(3, dtype=np.float32))
    view = torch.from_dlpack(mine)
    view[1] = 5.0
    assert mine.numpy()[1] == 5.0


def test_dlpack_refuses_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="require gradient, use tensor.detach"):
        np.from_dlpack(mt.randn(2, requires_grad=True))


# ---------------------------------------------------------------- exact resume in a fresh process

_TRAIN = textwrap.dedent("""
    import sys
    import numpy as np
    import microtorch as mt

    def make():
        mt.manual_seed(0)
        model = mt.nn.Sequential(mt.nn.Linear(4, 16), mt.nn.ReLU(), mt.nn.Dropout(0.3), mt.nn.Linear(16, 3))
        opt = {OPTIMIZER}
        schedule = mt.optim.lr_scheduler.{SCHEDULER}
        return model, opt, schedule

    def train(model, opt, schedule, steps, start):
        data = np.random.default_rng(1)
        x = data.standard_normal((20, 4, 4)).astype(np.float32)
        y = data.integers(0, 3, (20, 4))
        for step in range(start, start + steps):
            opt.zero_grad()
            loss = mt.nn.functional.cross_entropy(model(mt.tensor(x[step])), mt.tensor(y[step]))
            loss.backward()
            opt.step()
            schedule.step()

    mode, path = sys.argv[1], sys.argv[2]
    model, opt, schedule = make()
    if mode == "straight":
        train(model, opt, schedule, 20, 0)
        mt.save(model.state_dict(), path)
    elif mode == "first":
        train(model, opt, schedule, 10, 0)
        mt.save({{"model": model.state_dict(), "optim": opt.state_dict(), "schedule": schedule.state_dict(),
                 "epoch": 10, "rng": mt.get_rng_state()}}, path)
    else:
        mt.manual_seed(123)  # a fresh process with another seed: everything must come from the file
        checkpoint = mt.load(path)
        model.load_state_dict(checkpoint["model"])
        opt.load_state_dict(checkpoint["optim"])
        schedule.load_state_dict(checkpoint["schedule"])
        mt.set_rng_state(checkpoint["rng"])
        train(model, opt, schedule, 10, checkpoint["epoch"])
        mt.save(model.state_dict(), sys.argv[3])
""")


@pytest.mark.parametrize("optimizer, scheduler", [
    ("mt.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01, amsgrad=True)",
     "CosineAnnealingLR(opt, T_max=7)"),
    ("mt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)", "StepLR(opt, step_size=3, gamma=0.5)"),
    ("mt.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5, centered=True)", "MultiStepLR(opt, [4, 13])"),
    ("mt.optim.Adagrad(model.parameters(), lr=0.1, lr_decay=0.01)", "LinearLR(opt, total_iters=15)"),
], ids=["adam-cosine", "sgd-step", "rmsprop-multistep", "adagrad-linear"])
def test_resume_in_a_new_process_is_bit_exact(tmp_path, optimizer, scheduler):
    script = tmp_path / "train.py"
    script.write_text(_TRAIN.format(OPTIMIZER=optimizer, SCHEDULER=scheduler))

    def run(*args):
        subprocess.run([sys.executable, str(script), *map(str, args)], cwd=ROOT, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})

    run("straight", tmp_path / "straight.pt")
    run("first", tmp_path / "ten.pt")
    run("resume", tmp_path / "ten.pt", tmp_path / "resumed.pt")
    straight, resumed = mt.load(tmp_path / "straight.pt"), mt.load(tmp_path / "resumed.pt")
    ten = mt.load(tmp_path / "ten.pt")["model"]
    assert any(not np.array_equal(ten[k].numpy(), straight[k].numpy()) for k in straight)  # it did train on
    for name in straight:
        assert straight[name].numpy().tobytes() == resumed[name].numpy().tobytes(), name
