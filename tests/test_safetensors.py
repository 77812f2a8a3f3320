"""microtorch.safetensors against the reference `safetensors` package: the exact format, dtypes,
damaged files, and weights traded with PyTorch both ways."""
import json
import struct

import numpy as np
import pytest

import microtorch as mt
from microtorch import safetensors as st
from helpers import assert_unchanged, small_model, snapshot

safetensors_numpy = pytest.importorskip("safetensors.numpy")
torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_,
          np.uint16, np.uint32, np.uint64]


def sample(dtype, shape, seed=0):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) * 40).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (5,), (2, 3)])
def test_the_reference_package_reads_ours_and_we_read_its(dtype, shape):
    tensors = {"a": sample(dtype, shape), "b.weight": sample(dtype, (3,), 1)}
    ours = st.save(tensors)
    theirs = safetensors_numpy.save(tensors)
    for data in (ours, theirs):
        for name, array in safetensors_numpy.load(data).items():
            assert array.dtype == tensors[name].dtype and array.shape == tensors[name].shape
            np.testing.assert_array_equal(array, tensors[name])
        for name, tensor in st.load(data).items():
            assert tensor.dtype == tensors[name].dtype
            np.testing.assert_array_equal(tensor.numpy(), tensors[name])


def test_bytes_equal_the_reference_package_with_mixed_dtypes_and_metadata():
    tensors = {"z": sample(np.float16, (3,)), "a": sample(np.float64, (2, 2)), "m": sample(np.uint8, (5,)),
               "b": sample(np.int32, (1,)), "flag": np.array([True, False])}
    metadata = {"note": "é"}  # one key: the reference keeps metadata in a hash map, in no fixed order
    assert st.save(tensors, metadata) == safetensors_numpy.save(tensors, metadata=metadata)
    assert st.save(tensors) == safetensors_numpy.save(tensors)


def test_header_layout_alignment_and_metadata(tmp_path):
    path = tmp_path / "w.safetensors"
    st.save_file({"x": mt.ones(3), "y": mt.zeros(2, dtype=np.float64)}, path, metadata={"k": "v"})
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert (8 + length) % 8 == 0  # the data starts aligned
    header = json.loads(data[8:8 + length])
    assert header["__metadata__"] == {"k": "v"}
    assert header["y"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}  # the wider dtype first
    assert header["x"] == {"dtype": "F32", "shape": [3], "data_offsets": [16, 28]}
    assert len(data) == 8 + length + 28
    assert st.metadata_of(path) == {"k": "v"}
    loaded = st.load_file(path)
    assert list(loaded) == ["y", "x"] or set(loaded) == {"x", "y"}
    np.testing.assert_array_equal(loaded["x"].numpy(), np.ones(3, np.float32))


def test_save_errors():
    with pytest.raises(TypeError, match="'x' has dtype complex128, which safetensors cannot hold"):
        st.save({"x": np.zeros(2, dtype=complex)})
    with pytest.raises(TypeError, match="tensor names must be strings"):
        st.save({1: np.zeros(2)})
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        st.save({"x": np.zeros(2)}, metadata={"k": 1})
    with pytest.raises(TypeError, match="must be a Tensor or a numpy array"):
        st.save({"x": [1, 2]})


def test_bf16_is_refused_clearly():
    data = safetensors_torch.save({"w": torch.ones(2, dtype=torch.bfloat16)})
    with pytest.raises(st.SafetensorError, match="dtype BF16, which numpy .* cannot hold; convert it to float32"):
        st.load(data)


# ---------------------------------------------------------------- interchange with PyTorch

def test_a_torch_state_dict_saved_by_safetensors_loads_into_microtorch(tmp_path):
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    theirs.train()
    theirs(torch.randn(8, 3))  # moves the running statistics
    theirs.eval()
    safetensors_torch.save_file(theirs.state_dict(), tmp_path / "torch.safetensors")
    ours = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.BatchNorm1d(4), mt.nn.Linear(4, 2))
    ours.eval()
    result = ours.load_state_dict(st.load_file(tmp_path / "torch.safetensors"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(ours.state_dict()["1.running_var"].numpy(), theirs[1].running_var.numpy())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mt.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    # and microtorch.load reads the file too, by its content
    assert set(mt.load(tmp_path / "torch.safetensors")) == set(theirs.state_dict())


@pytest.mark.parametrize("direction", ["torch to microtorch", "microtorch to torch"])
def test_a_linear_stack_crosses_over_and_gives_the_same_outputs(tmp_path, direction):
    ours = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.Tanh(), mt.nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    path = tmp_path / "w.safetensors"
    if direction == "torch to microtorch":
        safetensors_torch.save_file(theirs.state_dict(), path)
        ours.load_state_dict(st.load_file(path))
    else:
        st.save_file(ours.state_dict(), path)
        theirs.load_state_dict(safetensors_torch.load_file(path))
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mt.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-7)


# ---------------------------------------------------------------- damaged files

def _good_bytes():
    return st.save({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.arange(3, dtype=np.int64)})


def _with_header(header, buffer=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + buffer


@pytest.mark.parametrize("data, message", [
    (b"", "header length is missing"),
    (struct.pack("<Q", 10 ** 9) + b"{}", "more than the 100000000 allowed"),
    (struct.pack("<Q", 50) + b"{}", "only 2 follow"),
    (struct.pack("<Q", 2) + b"[]", "does not start with '{'"),
    (struct.pack("<Q", 3) + b"{x}", "not valid JSON"),
    (_with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)), "needs 8 bytes"),
    (_with_header({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)), "expected to start at 0"),
    (_with_header({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(8)), "trailing or missing"),
    (_with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)), "truncated"),
    (_with_header({"w": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)), "unknown dtype 'Q7'"),
    (_with_header({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)), "malformed"),
    (_with_header({"__metadata__": {"k": 1}}), "'__metadata__' must be a dict of strings"),
    (_good_bytes()[:-1], "trailing or missing|truncated"),
])
def test_damaged_bytes_raise_safetensor_error(data, message):
    with pytest.raises(st.SafetensorError, match=message):
        st.load(data)


def test_every_truncation_of_a_file_is_refused_naming_it(tmp_path):
    data = _good_bytes()
    path = tmp_path / "w.safetensors"
    for length in range(len(data)):
        path.write_bytes(data[:length])
        with pytest.raises(mt.serialization.CheckpointError, match="w.safetensors"):
            st.load_file(path)


def test_loading_a_damaged_file_into_a_model_changes_nothing(tmp_path):
    model = small_model()
    before = snapshot(model)
    path = tmp_path / "m.safetensors"
    st.save_file(small_model().state_dict(), path)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(mt.serialization.CheckpointError, match="m.safetensors"):
        mt.load(model, path)
    assert_unchanged(model, before)
