"""Reading PyTorch's torch.save files without torch and without running code (the files are made
with the real torch.save; the reader never imports torch)."""
import collections
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import microtorch as mt
from microtorch.serialization import CheckpointError
from helpers import assert_unchanged, each_byte_flipped, snapshot
from test_safety import _Exploit

torch = pytest.importorskip("torch")


def saved(tmp_path, obj, name="x.pt", **kwargs):
    path = tmp_path / name
    torch.save(obj, path, **kwargs)
    return path


def assert_matches(ours, theirs, where="obj"):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, mt.Tensor), where
        assert ours.shape == tuple(theirs.shape), where
        assert ours.dtype == theirs.numpy().dtype, where
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy(), err_msg=where)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), where
        for key in theirs:
            assert_matches(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_matches(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_model_state_dict_loads_and_gives_the_same_outputs(tmp_path, protocol):
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.train()
    theirs(torch.randn(6, 3))
    theirs.eval()
    path = saved(tmp_path, theirs.state_dict(), pickle_protocol=protocol)
    state = mt.load(path)
    assert_matches(state, theirs.state_dict())
    assert state["1.num_batches_tracked"].dtype == np.int64
    ours = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.BatchNorm1d(4), mt.nn.ReLU(), mt.nn.Linear(4, 2))
    ours.eval()
    mt.load(ours, path)  # the original form, straight from a .pt file
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mt.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
                                   torch.int64, torch.uint8, torch.bool], ids=str)
def test_dtypes_views_and_shapes(tmp_path, dtype):
    base = (torch.arange(24) % 7).to(dtype).reshape(4, 6)
    obj = {"base": base, "transposed": base.t(), "slice": base[1:3, ::2], "row": base[2], "scalar": base[0, 0],
           "empty": base[:0], "zero_d": torch.tensor(3).to(dtype)}
    assert_matches(mt.load(saved(tmp_path, obj)), obj)


def test_containers_scalars_strings_and_parameters(tmp_path):
    obj = {"epoch": 3, "loss": 0.25, "big": 2 ** 70, "neg": -5, "name": "run é", "none": None, "flag": True,
           "tuple": (1, "a", (2.5,)), "list": [torch.ones(2), [3]], "bytes": b"\x00\xff",
           "ordered": collections.OrderedDict([("b", 1), ("a", 2)]), "keys": {1: "one", (2, 3): "pair"},
           "param": torch.nn.Parameter(torch.randn(2, 2))}
    loaded = mt.load(saved(tmp_path, obj))
    param = loaded.pop("param")
    assert isinstance(param, mt.nn.Parameter) and param.requires_grad
    np.testing.assert_array_equal(param.numpy(), obj.pop("param").detach().numpy())
    assert_matches(loaded, obj)


def test_an_optimizer_checkpoint_from_torch_loads(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    state = mt.load(saved(tmp_path, {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 1}))
    assert state["optim"]["param_groups"][0]["params"] == [0, 1]
    np.testing.assert_array_equal(state["optim"]["state"][0]["exp_avg"].numpy(),
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())


def test_the_reader_never_imports_torch(tmp_path):
    path = saved(tmp_path, torch.nn.Linear(2, 2).state_dict())
    code = ("import sys, microtorch as mt; s = mt.load(sys.argv[1]); "
            "assert 'torch' not in sys.modules, 'torch was imported'; print(sorted(s))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['bias', 'weight']"


# ---------------------------------------------------------------- refused, and no code runs

def _with_data_pkl(path, payload):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_payload_in_data_pkl_is_refused_naming_its_global(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    _with_data_pkl(path, pickle.dumps({"w": _Exploit(marker)}, protocol=protocol))
    model = torch_free_model()
    before = snapshot(model)
    with pytest.raises(CheckpointError, match=r"evil.pt.*needs the global 'posix.system'.*weights-only"):
        mt.load(path)
    with pytest.raises(CheckpointError):
        mt.load(model, path)
    assert not marker.exists()
    assert_unchanged(model, before)


def torch_free_model():
    return mt.nn.Sequential(mt.nn.Linear(2, 2))


def test_a_whole_pickled_module_is_refused(tmp_path):
    path = saved(tmp_path, torch.nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match=r"global 'torch.nn.modules.linear.Linear'"):
        mt.load(path)


@pytest.mark.parametrize("payload, message", [
    (b"\x80\x02cbuiltins\neval\n(X\x04\x00\x00\x001+1tR.", "global 'builtins.eval'"),
    (b"\x80\x02ccollections\nOrderedDict\n)R}b.", None),  # OrderedDict with a BUILD state: allowed
    (b"\x80\x02ctorch\nFloatStorage\n)R.", r"calls 'torch.FloatStorage'"),
    (b"\x80\x02(X\x01\x00\x00\x00aI1\ni.", r"opcode b'I'"),  # text-mode INT / INST: not interpreted
    (b"\x80\x02]q\x00(K\x01", "ends early"),
    (b"\x80\x02h\x05.", "memo entry 5"),
    (b"\x80\x02K\x01K\x02.", "unbalanced"),
    (b"\x80\x02(X\x01\x00\x00\x00aQ.", "external object"),
])
def test_crafted_pickles(tmp_path, payload, message):
    path = tmp_path / "c.pt"
    _with_data_pkl(path, payload)
    if message is None:
        assert mt.load(path) == collections.OrderedDict()
        return
    with pytest.raises(CheckpointError, match=message):
        mt.load(path)


def test_bfloat16_is_refused_clearly(tmp_path):
    path = saved(tmp_path, {"w": torch.ones(2, dtype=torch.bfloat16)})
    with pytest.raises(CheckpointError, match=r"torch.BFloat16Storage.*convert the tensors to float32"):
        mt.load(path)


def test_the_legacy_non_zip_format_is_refused_clearly(tmp_path):
    path = saved(tmp_path, {"w": torch.ones(2)}, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match=r"x.pt.*looks like a pickle file.*legacy non-zip"):
        mt.load(path)


def test_a_storage_that_is_too_short_is_caught(tmp_path):
    path = saved(tmp_path, {"w": torch.ones(4)})
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    storage = next(name for name in members if "/data/" in name)
    members[storage] = members[storage][:8]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match=r"storage '0' holds 8 bytes, expected 4 x 4"):
        mt.load(path)


def test_every_truncation_raises_checkpoint_error(tmp_path):
    path = saved(tmp_path, torch.nn.Linear(2, 3).state_dict())
    data = path.read_bytes()
    for length in range(0, len(data), 11):
        path.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match="x.pt"):
            mt.load(path)


def test_every_flipped_byte_of_a_pt_file_is_detected_or_harmless(tmp_path):
    path = saved(tmp_path, {"w": torch.arange(6.0).reshape(2, 3), "epoch": 2})
    original = path.read_bytes()
    expected = mt.load(path)
    detected = 0
    for _ in each_byte_flipped(path, original):
        try:
            loaded = mt.load(path)
        except CheckpointError as error:
            assert "x.pt" in str(error)
            detected += 1
        else:  # zip fields that nothing reads
            assert loaded["epoch"] == 2 and loaded["w"].numpy().tolist() == expected["w"].numpy().tolist()
    assert detected > 0.3 * len(original)  # torch pads each member to 64 bytes with extra fields nobody reads
