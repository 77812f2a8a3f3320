"""Silent corruption is caught: version counters and anomaly mode. Checkpoints are safe:
no code execution, clear errors for bad files, atomic saves."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import microtorch as mt
from microtorch.nn import functional as F
from helpers import assert_unchanged, each_byte_flipped, small_model, snapshot

SAVED_MODIFIED = "has been modified by an inplace operation"


# ---------------------------------------------------------------- version counters

def test_setitem_on_a_tensor_that_mul_saved():
    w = mt.randn(3, requires_grad=True)
    x = mt.randn(3)
    y = (w * x).sum()
    x[0] = 5.0  # Mul saved x to compute w's gradient
    with pytest.raises(RuntimeError, match=rf"{SAVED_MODIFIED}: a tensor saved by Mul for backward"):
        y.backward()


@pytest.mark.parametrize("update", [
    lambda p: p.add_(1.0), lambda p: p.sub_(1.0), lambda p: p.mul_(2.0), lambda p: p.div_(2.0),
    lambda p: p.copy_(np.zeros(p.shape)), lambda p: p.fill_(3.0), lambda p: p.zero_(),
    lambda p: p.__setitem__((0, 0), 7.0),
], ids=["add_", "sub_", "mul_", "div_", "copy_", "fill_", "zero_", "setitem"])
def test_in_place_parameter_update_between_forward_and_backward(update):
    # Linear computes x @ W.T: MatMul saved the transposed *view* of the weight, which shares W's counter.
    layer = mt.Linear(3, 2)
    loss = layer(mt.randn(4, 3, requires_grad=True)).sum()
    version = layer.weight._version
    with mt.no_grad():
        update(layer.weight)
    assert layer.weight._version == version + 1
    with pytest.raises(RuntimeError, match=rf"{SAVED_MODIFIED}: a tensor saved by MatMul for backward is at version {version + 1}; expected "
                                           rf"version {version} instead"):
        loss.backward()


@pytest.mark.parametrize("optimizer", [lambda ps: mt.SGD(ps, lr=0.1), lambda ps: mt.Adam(ps)])
def test_optimizer_step_between_forward_and_backward(optimizer):
    model = mt.Sequential(mt.Linear(3, 4), mt.Tanh(), mt.Linear(4, 1))
    opt = optimizer(model.parameters())
    x = mt.randn(8, 3)
    stale = model(x).sum()  # recorded with the current weights
    fresh = model(x).sum()
    fresh.backward()
    opt.step()  # changes the weights that `stale` saved
    with pytest.raises(RuntimeError, match=rf"{SAVED_MODIFIED}: a tensor saved by (MatMul|Tanh) .*optimizer step"):
        stale.backward()


def test_modifying_a_view_is_seen_by_nodes_that_saved_the_base():
    w = mt.randn(2, 3, requires_grad=True)
    y = (w * w).sum()  # Mul saved w itself
    view = w.T  # a view that shares w's memory and version counter
    with mt.no_grad():
        view[0, 0] = 100.0
    assert w.numpy()[0, 0] == 100.0
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by Mul "):
        y.backward()


def test_modifying_the_base_is_seen_by_nodes_that_saved_a_view():
    w = mt.randn(2, 3, requires_grad=True)
    row = w[0]  # basic indexing: a view
    reshaped = w.reshape(3, 2)
    y = (row * row).sum() + (reshaped * 2.0).exp().sum()
    with mt.no_grad():
        w.mul_(0.5)
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by (Mul|Exp) "):
        y.backward()


def test_modifying_a_saved_output_is_caught():
    x = mt.randn(3, requires_grad=True)
    y = x.exp()  # Exp saves its output
    z = y.sum()
    with mt.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by Exp "):
        z.backward()


def test_version_counter_counts_each_in_place_update():
    x = mt.zeros(3)
    assert x._version == 0
    x.add_(1.0)  # counted before any node saved x, as in torch
    assert x._version == 1
    y = mt.randn(3, requires_grad=True) * x
    x[1] = 2.0
    x.zero_()
    assert x._version == 3
    with pytest.raises(RuntimeError, match=r"is at version 3; expected version 1 instead"):
        y.sum().backward()


# ------------------------------------------------ legitimate patterns must not raise

def test_training_loop_zero_grad_and_step_after_backward():
    model = mt.Sequential(mt.Linear(2, 8), mt.ReLU(), mt.Linear(8, 1))
    opt = mt.Adam(model.parameters(), lr=0.01)
    x, target = mt.randn(16, 2), mt.randn(16, 1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_setitem_on_a_tensor_no_node_saved():
    w = mt.randn(3, requires_grad=True)
    x = mt.randn(3)
    y = (w + x).sum()  # Add saves nothing
    x[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(3))


def test_in_place_before_forward_and_on_clones_is_fine():
    w = mt.randn(3, requires_grad=True)
    x = mt.randn(3)
    x.mul_(2.0)  # before any node saved it
    y = (w * x).sum()
    copy = x.clone()
    copy[0] = 100.0  # a clone has its own data and counter
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), x.numpy())


def test_in_place_after_backward_then_a_new_forward():
    w = mt.randn(3, requires_grad=True)
    x = mt.randn(3)
    (w * x).sum().backward()
    x[0] = 3.0
    with mt.no_grad():
        w.sub_(0.1)
    w.grad = None
    (w * x).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), x.numpy())


def test_retain_graph_second_backward_without_modification():
    w = mt.randn(3, requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 4 * w.numpy())


def test_load_state_dict_between_forward_and_backward_is_caught():
    model = mt.Linear(3, 2)
    loss = model(mt.randn(4, 3)).sum()
    model.load_state_dict(mt.Linear(3, 2).state_dict())
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by MatMul "):
        loss.backward()


# Gaps that need an engine change (see the issue 5 report); strict, so fixing the engine flips them.

def test_setitem_through_detach_is_caught():
    w = mt.randn(3, requires_grad=True)
    y = (w * w).sum()
    shared = w.detach()  # shares w's memory, as in PyTorch
    shared[0] = 100.0
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by Mul "):
        y.backward()


def test_in_place_update_of_a_frozen_weight_through_its_view():
    weight = mt.randn(2, 3)  # frozen: W.T is computed outside the graph
    x = mt.randn(4, 3, requires_grad=True)
    y = (x @ weight.T).sum()
    weight.add_(1.0)
    with pytest.raises(RuntimeError, match=f"{SAVED_MODIFIED}: a tensor saved by MatMul "):
        y.backward()


def test_editing_one_gradient_in_place_leaves_the_others_alone():
    a, b = mt.randn(3, requires_grad=True), mt.randn(3, requires_grad=True)
    (a + b).backward(mt.ones(3))
    a.grad.mul_(0.5)  # what gradient clipping does to every parameter
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3))


def test_gradients_can_be_modified_in_place():
    w = mt.randn(3, requires_grad=True)
    w.sum().backward()
    w.grad.mul_(0.5)
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 0.5))


# ---------------------------------------------------------------- anomaly mode

def test_anomaly_names_the_forward_op_that_made_a_nan():
    x = mt.tensor([1.0, -1.0], requires_grad=True)
    y = x * 2.0
    with mt.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"anomaly detected: Log forward produced nan or inf "
                                                     r"\(shape \(2,\), dtype float32\)"):
            y.log().exp().sum()


def test_anomaly_names_the_forward_op_that_made_an_inf():
    x = mt.tensor([100.0], dtype=np.float32)
    with mt.detect_anomaly(), np.errstate(over="ignore"):
        with pytest.raises(FloatingPointError, match="Exp forward"):
            (x * 1.0).exp().tanh()


def test_anomaly_names_the_backward_op_that_made_an_inf():
    # sqrt is finite at 0, its derivative 0.5 / sqrt(0) is not.
    x = mt.tensor([0.0, 4.0], requires_grad=True)
    with mt.detect_anomaly():
        y = ((x ** 0.5) * 3.0).sum()
        with np.errstate(divide="ignore"), \
                pytest.raises(FloatingPointError, match=r"anomaly detected: Pow backward produced nan or inf"):
            y.backward()


def test_anomaly_names_a_custom_function_whose_backward_makes_inf():
    class CubeRoot(mt.Function):
        """Finite everywhere; its derivative 1 / (3 x^(2/3)) is infinite at 0."""

        @staticmethod
        def forward(ctx, x):
            out = np.cbrt(x)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            with np.errstate(divide="ignore"):
                return grad / (3 * out * out)

    x = mt.tensor([0.0, 8.0], requires_grad=True)
    y = (CubeRoot.apply(x) * 2.0).sum()
    assert np.isfinite(y.item())
    with mt.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"CubeRoot backward produced nan or inf \(shape \(2,\)"):
            y.backward()


def test_without_anomaly_mode_nans_pass_silently():
    x = mt.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (x ** 0.5).sum().backward()
    assert np.isinf(x.grad.numpy()[0])


def test_anomaly_mode_decorator_switches_and_restores():
    calls = []

    @mt.detect_anomaly()
    def train_step():
        calls.append(mt.autograd.is_anomaly_enabled())
        return (mt.tensor([0.0]) * 1.0).log()

    assert not mt.autograd.is_anomaly_enabled()
    with np.errstate(divide="ignore"), pytest.raises(FloatingPointError, match="Log forward"):
        train_step()
    assert calls == [True]
    assert not mt.autograd.is_anomaly_enabled()  # restored after the exception


def test_set_detect_anomaly_and_nesting():
    mt.autograd.set_detect_anomaly(True)
    try:
        assert mt.autograd.is_anomaly_enabled()
        with mt.detect_anomaly(False):
            assert not mt.autograd.is_anomaly_enabled()
            with np.errstate(divide="ignore"):
                mt.tensor([0.0]).log()  # no error while switched off
        assert mt.autograd.is_anomaly_enabled()
    finally:
        mt.autograd.set_detect_anomaly(False)
    assert mt.set_detect_anomaly is mt.autograd.set_detect_anomaly


def test_anomaly_mode_lets_finite_training_run():
    model = mt.Sequential(mt.Linear(3, 4), mt.Sigmoid(), mt.Linear(4, 2))
    opt = mt.SGD(model.parameters(), lr=0.1)
    with mt.detect_anomaly():
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(mt.randn(5, 3)), mt.tensor([0, 1, 1, 0, 1])).backward()
            opt.step()


# ---------------------------------------------------------------- checkpoints: no code execution

class _Exploit:
    """Unpickling this object would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_exploit_really_runs_under_plain_pickle(tmp_path):
    # Guard for the tests below: the payload does run when unpickled, so "not created" there means something.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Exploit(marker)))
    assert marker.exists()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_loading_a_malicious_pickle_runs_no_code(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(pickle.dumps({"0.weight": _Exploit(marker)}, protocol=protocol))
    model = small_model()
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=r"load: .*checkpoint.pt.*(pickle|not a microtorch checkpoint)"):
        mt.load(model, path)
    assert not marker.exists()
    assert_unchanged(model, before)


def test_loading_an_npz_with_a_pickled_object_array_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = _Exploit(marker)
    np.savez(path, **{"0.weight": payload})  # numpy pickles object arrays into the .npy member
    model = small_model()
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=r"load: .*checkpoint.npz.* object array .*never unpickles"):
        mt.load(model, path)
    assert not marker.exists()
    assert_unchanged(model, before)


def test_loading_a_zip_with_a_pickle_member_runs_no_code(tmp_path):
    # The layout of torch.save files: a zip archive holding data.pkl.
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_Exploit(marker)))
    model = small_model()
    # Read as a PyTorch .pt file now: the payload's global is refused before anything is called.
    with pytest.raises(mt.serialization.CheckpointError, match=r"checkpoint.pt.*global 'posix.system'.*weights-only"):
        mt.load(model, path)
    assert not marker.exists()


def test_original_pickle_checkpoints_get_a_clear_error(tmp_path):
    path = tmp_path / "old.pkl"
    with open(path, "wb") as file:
        pickle.dump({name: value for name, value in small_model().state_dict().items()}, file)
    with pytest.raises(RuntimeError, match=r"looks like a pickle file.*not supported.*microtorch.save"):
        mt.load(small_model(), path)


# ---------------------------------------------------------------- checkpoints: bad files

def test_round_trip(tmp_path):
    source, target = small_model(), small_model()
    path = tmp_path / "model.npz"
    mt.save(source, path)
    mt.load(target, path)
    for a, b in zip(source.parameters(), target.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.dtype == b.dtype


def test_truncated_files_give_a_clear_error_and_leave_the_model_unchanged(tmp_path):
    path = tmp_path / "model.npz"
    mt.save(small_model(), path)
    data = path.read_bytes()
    model = small_model()
    before = snapshot(model)
    for length in list(range(0, len(data), 7)):
        path.write_bytes(data[:length])
        with pytest.raises(RuntimeError, match=r"load: .*model.npz.* (truncated or corrupted|not a microtorch)"):
            mt.load(model, path)
        assert_unchanged(model, before)


def test_corrupted_bytes_are_detected_or_harmless(tmp_path):
    # Flip every byte in turn: either loading fails with a clear error and the model is unchanged,
    # or the flip hit metadata (a timestamp, say) and the loaded values are exactly the saved ones.
    path = tmp_path / "model.npz"
    saved = small_model()
    mt.save(saved, path)
    data = path.read_bytes()
    model = small_model()
    before = snapshot(model)
    detected = 0
    for _ in each_byte_flipped(path, data):
        try:
            mt.load(model, path)
        except RuntimeError as error:
            assert "model.npz" in str(error) or "load_state_dict" in str(error)
            assert_unchanged(model, before)
            detected += 1
        else:
            for a, b in zip(saved.parameters(), model.parameters()):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
            for p, original in zip(model.parameters(), before):  # back to the untouched model
                p.data = original.copy()
    assert detected > len(data) // 2


def test_checkpoint_with_a_wrong_shape_leaves_the_model_unchanged(tmp_path):
    path = tmp_path / "model.npz"
    mt.save(mt.Sequential(mt.Linear(3, 5), mt.ReLU(), mt.Linear(5, 2)), path)
    model = small_model()
    before = snapshot(model)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with shape \(5, 3\) from "
                                           r"checkpoint, the shape in current model is \(4, 3\)"):
        mt.load(model, path)
    assert_unchanged(model, before)


def test_save_refuses_non_numeric_entries(tmp_path):
    with pytest.raises(TypeError, match=r"save: obj\['w'\] is an array of Python objects"):
        mt.save({"w": np.array([object()])}, tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- checkpoints: atomic saves

class _DiskFull:
    """A temporary file whose writes stop half way with 'disk full'."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[:len(data) // 2])
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()


def _crash_mid_write(handle, mode="r", *args, **kwargs):
    return _DiskFull(_real_fdopen(handle, mode, *args, **kwargs))


_real_fdopen = os.fdopen


@pytest.mark.parametrize("where, crash", [
    ("write", _crash_mid_write),
    ("convert", lambda *args, **kwargs: (_ for _ in ()).throw(KeyboardInterrupt())),
    ("replace", lambda *args: (_ for _ in ()).throw(OSError("rename failed"))),
], ids=["write-disk-full", "convert-interrupt", "replace-oserror"])
def test_crash_during_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, where, crash):
    path = tmp_path / "model.npz"
    first = small_model()
    mt.save(first, path)
    previous = path.read_bytes()
    if where == "write":
        monkeypatch.setattr(os, "fdopen", crash)
    elif where == "convert":
        monkeypatch.setattr(np.lib.format, "write_array", crash)
    else:
        monkeypatch.setattr(os, "replace", crash)
    with pytest.raises((OSError, KeyboardInterrupt)):
        mt.save(small_model(), path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left behind
    restored = small_model()
    mt.load(restored, path)
    for a, b in zip(first.parameters(), restored.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_saved_checkpoints_get_the_usual_file_permissions(tmp_path):
    # Like a file made by open(): 0666 less the umask (mkstemp alone would give 0600).
    previous = os.umask(0o022)
    try:
        mt.save(small_model(), tmp_path / "model.npz")
    finally:
        os.umask(previous)
    assert (tmp_path / "model.npz").stat().st_mode & 0o777 == 0o644


def test_save_replaces_the_file_in_one_step(tmp_path, monkeypatch):
    # The target name is only ever written by a rename of a complete temporary file.
    path = tmp_path / "model.npz"
    renames = []
    real_replace = os.replace

    def recording_replace(source, destination):
        renames.append((os.path.basename(source), os.path.basename(destination)))
        assert zipfile.is_zipfile(source)
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", recording_replace)
    mt.save(small_model(), path)
    assert len(renames) == 1 and renames[0][1] == "model.npz" and renames[0][0] != "model.npz"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
