"""Modules, initialisation, checkpoints and optimizers, with whole training steps compared to PyTorch."""
import math

import numpy as np
import pytest

import microtorch
import microtorch.nn.functional as F
from microtorch import nn
from microtorch.nn import init

torch = pytest.importorskip("torch")


class MLP(nn.Module):
    def __init__(self, dtype=np.float64):
        super().__init__()
        self.fc1 = nn.Linear(4, 8, dtype=dtype)
        self.fc2 = nn.Linear(8, 3, dtype=dtype)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def torch_copy(model):
    """The same MLP in torch, with identical weights."""
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for mine, theirs in zip(model.parameters(), reference.parameters()):
            assert mine.shape == tuple(theirs.shape)
            theirs.copy_(torch.tensor(mine.numpy()))
    return reference


# ---------------------------------------------------------------- Module semantics

class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.blocks = nn.ModuleList([nn.Linear(3, 2), nn.Tanh()])
        self.head = self.fc  # the same layer registered twice
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        return self.blocks[0](self.head(self.fc(x))) * self.scale


def test_parameters_in_definition_order_without_duplicates():
    model = Shared()
    names = [name for name, _ in model.named_parameters()]
    # as in torch: a module's own parameters in assignment order, then each submodule's, depth first
    assert names == ["scale", "fc.weight", "fc.bias", "blocks.0.weight", "blocks.0.bias"]

    class TorchShared(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 3)
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(3, 2), torch.nn.Tanh()])
            self.head = self.fc
            self.scale = torch.nn.Parameter(torch.ones(1))

    assert names == [name for name, _ in TorchShared().named_parameters()]
    params = model.parameters()
    assert isinstance(params, list) and len(params) == 5
    assert params[1] is model.fc.weight and params[3] is model.blocks[0].weight
    assert model.num_parameters() == 9 + 3 + 6 + 2 + 1


def test_shared_layer_gets_gradient_from_both_uses():
    model = Shared()
    x = microtorch.randn(5, 3)
    model(x).sum().backward()
    w, b = model.fc.weight, model.fc.bias
    reference = torch.nn.Linear(3, 3)
    head = torch.nn.Linear(3, 2)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(w.numpy()))
        reference.bias.copy_(torch.tensor(b.numpy()))
        head.weight.copy_(torch.tensor(model.blocks[0].weight.numpy()))
        head.bias.copy_(torch.tensor(model.blocks[0].bias.numpy()))
    head(reference(reference(torch.tensor(x.numpy())))).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), reference.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), reference.bias.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_train_eval_flip_training_only():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[2][1].training


def test_module_zero_grad():
    model = MLP()
    model(microtorch.randn(2, 4, dtype=np.float64)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_register_buffer_is_saved_but_not_a_parameter():
    class WithBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("running_mean", microtorch.zeros(2))

    model = WithBuffer()
    assert len(model.parameters()) == 2
    assert [name for name, _ in model.named_buffers()] == ["running_mean"]
    state = model.state_dict()
    assert list(state) == ["fc.weight", "fc.bias", "running_mean"]
    state["running_mean"] = np.array([1.0, 2.0])
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.running_mean.numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match="running"):
        model.register_buffer("running", [1, 2])


def test_repr():
    text = repr(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25), nn.Softmax(dim=1)))
    assert "Sequential(" in text
    assert "(0): Linear(in_features=4, out_features=8, bias=True)" in text
    assert "(1): ReLU()" in text and "(2): Dropout(p=0.25, inplace=False)" in text and "(3): Softmax(dim=1)" in text


def test_subclass_without_super_init_works_like_the_readme():
    class SimpleNN(nn.Module):
        def __init__(self, input_dim, output_dim):
            self.fc = nn.Linear(input_dim, output_dim)

        def forward(self, x):
            return self.fc(x)

    model = SimpleNN(3, 1)
    assert model.training
    assert [name for name, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert model(microtorch.tensor([[-1.0, 0.0, 2.0]])).shape == (1, 1)
    model.eval()
    assert not model.training and not model.fc.training
    assert next(iter(model.state_dict())) == "fc.weight"


def test_module_list_and_sequential():
    layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])
    layers.append(nn.Tanh())
    assert len(layers) == 3 and isinstance(layers[2], nn.Tanh)
    assert [type(m).__name__ for m in layers] == ["Linear", "Linear", "Tanh"]
    assert [name for name, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seq = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.ReLU(), nn.Linear(3, 1, dtype=np.float64))
    x = microtorch.randn(4, 2, dtype=np.float64)
    expected = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).numpy(), expected.numpy())
    assert len(seq[:2]) == 2 and isinstance(seq[:2], nn.Sequential)
    with pytest.raises(TypeError, match="Module"):
        layers.append(3)


def test_activation_modules_match_torch():
    x = np.random.default_rng(0).standard_normal((3, 5))
    for ours, theirs in [(nn.ReLU(), torch.nn.ReLU()), (nn.Tanh(), torch.nn.Tanh()), (nn.Sigmoid(), torch.nn.Sigmoid()),
                         (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)), (nn.Softmax(), torch.nn.Softmax(dim=-1))]:
        np.testing.assert_allclose(ours(microtorch.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-6,
                                   atol=1e-6)


def test_dropout_module_respects_train_and_eval():
    layer = nn.Dropout(0.5)
    x = microtorch.ones(100, 100)
    y = layer(x)
    zeros = (y.numpy() == 0).mean()
    assert 0.45 < zeros < 0.55 and np.allclose(y.numpy()[y.numpy() != 0], 2.0)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


# ---------------------------------------------------------------- initialisation

def test_linear_init_matches_pytorch_formula():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound / math.sqrt(3) * 3  # 120000 samples
    reference = torch.nn.Linear(400, 300)
    assert abs(w.std() - reference.weight.detach().numpy().std()) < 0.02 * w.std()
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                                ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


SHAPE = (300, 500)  # fan_in 500, fan_out 300


def _stats(fn, **kwargs):
    t = microtorch.zeros(*SHAPE, dtype=np.float64)
    assert fn(t, **kwargs) is t
    return t.numpy()


def _torch_stats(fn, **kwargs):
    t = torch.empty(SHAPE, dtype=torch.float64)
    fn(t, **kwargs)
    return t.numpy()


def test_xavier_uniform():
    ours = _stats(init.xavier_uniform, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (500 + 300))
    theirs = _torch_stats(torch.nn.init.xavier_uniform_, gain=2.0)
    assert np.abs(ours).max() <= bound and np.abs(ours).max() > 0.99 * bound
    assert np.abs(theirs).max() <= bound * (1 + 1e-12)
    assert ours.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


def test_xavier_normal():
    ours = _stats(init.xavier_normal)
    theirs = _torch_stats(torch.nn.init.xavier_normal_)
    assert ours.std() == pytest.approx(math.sqrt(2 / 800), rel=0.02)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert abs(ours.mean()) < 0.01 * ours.std() * 10


@pytest.mark.parametrize("kwargs", [{}, {"a": math.sqrt(5)}, {"mode": "fan_out", "nonlinearity": "relu"},
                                    {"a": 0.1, "mode": "fan_in"}], ids=str)
def test_kaiming_uniform_and_normal(kwargs):
    fan = 300 if kwargs.get("mode") == "fan_out" else 500
    gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
    std = gain / math.sqrt(fan)
    uniform = _stats(init.kaiming_uniform, **kwargs)
    assert np.abs(uniform).max() <= math.sqrt(3) * std and np.abs(uniform).max() > 0.99 * math.sqrt(3) * std
    assert uniform.std() == pytest.approx(std, rel=0.02)
    assert uniform.std() == pytest.approx(_torch_stats(torch.nn.init.kaiming_uniform_, **kwargs).std(), rel=0.02)
    normal = _stats(init.kaiming_normal, **kwargs)
    assert normal.std() == pytest.approx(std, rel=0.02)
    assert normal.std() == pytest.approx(_torch_stats(torch.nn.init.kaiming_normal_, **kwargs).std(), rel=0.02)


def test_init_errors():
    with pytest.raises(ValueError, match="fewer than 2"):
        init.xavier_uniform(microtorch.zeros(5))
    with pytest.raises(ValueError, match="Mode"):
        init.kaiming_uniform(microtorch.zeros(2, 2), mode="fan_avg")


# ---------------------------------------------------------------- state_dict and checkpoints

def test_state_dict_round_trip_copies():
    model, other = MLP(), MLP()
    state = model.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    # As torch: detached tensors sharing the parameters' storage.
    assert all(isinstance(v, microtorch.Tensor) and not v.requires_grad for v in state.values())
    state["fc1.bias"].numpy()[0] = 123.0
    assert model.fc1.bias.numpy()[0] == 123.0, "state_dict shares storage with the parameters"
    other.load_state_dict(model.state_dict())
    x = microtorch.randn(3, 4, dtype=np.float64)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    other.fc1.weight.numpy()[0, 0] = 5.0
    assert model.fc1.weight.numpy()[0, 0] != 5.0, "load_state_dict must copy"


@pytest.mark.parametrize("change", ["missing", "unexpected", "shape"])
def test_load_state_dict_errors_leave_model_unchanged(change):
    model = MLP()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v + 1 for k, v in before.items()}
    if change == "missing":
        del state["fc2.bias"]
    elif change == "unexpected":
        state["fc3.weight"] = np.zeros(2)
    else:
        state["fc2.weight"] = np.zeros((3, 9))
    with pytest.raises(RuntimeError, match={"missing": 'Missing key.*"fc2.bias"', "unexpected": 'Unexpected key.*"fc3',
                                            "shape": r"fc2.weight.*\(3, 9\).*\(3, 8\)"}[change]):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_reports_keys():
    model = MLP()
    state = model.state_dict()
    del state["fc2.bias"]
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra"]


def test_save_load_round_trip(tmp_path):
    model, other = MLP(), MLP()
    path = tmp_path / "model.npz"
    microtorch.save(model, path)
    assert microtorch.load(other, path) is other
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert a.dtype == b.dtype
    wrong = nn.Linear(2, 2)
    before = wrong.weight.numpy().copy()
    with pytest.raises(RuntimeError, match="Missing key"):
        microtorch.load(wrong, path)
    np.testing.assert_array_equal(wrong.weight.numpy(), before)


def test_load_rejects_pickles_and_garbage(tmp_path):
    import pickle
    pickled = tmp_path / "old.pkl"
    pickled.write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(RuntimeError, match="pickle"):
        microtorch.load(MLP(), pickled)
    garbage = tmp_path / "bad.npz"
    garbage.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(RuntimeError, match="corrupted"):
        microtorch.load(MLP(), garbage)


# ---------------------------------------------------------------- training steps against PyTorch

def _data(loss):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4))
    target = rng.integers(0, 3, size=6) if loss == "cross_entropy" else rng.standard_normal((6, 3))
    return x, target


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.01, "eps": 1e-6}),
]


@pytest.mark.parametrize("loss", ["cross_entropy", "mse_loss"])
@pytest.mark.parametrize("name,settings", OPTIMIZERS, ids=[f"{n}-{s}" for n, s in OPTIMIZERS])
def test_training_steps_match_pytorch(name, settings, loss):
    model = MLP()
    reference = torch_copy(model)
    ours_opt = getattr(microtorch.optim, name)(model.parameters(), **settings)
    torch_opt = getattr(torch.optim, name)(reference.parameters(), **settings)
    x, target = _data(loss)
    our_loss_fn = getattr(F, loss)
    torch_loss_fn = getattr(torch.nn.functional, loss)
    for step in range(3):
        ours_opt.zero_grad()
        our_loss = our_loss_fn(model(microtorch.tensor(x)), microtorch.tensor(target))
        our_loss.backward()
        ours_opt.step()
        torch_opt.zero_grad()
        torch_loss = torch_loss_fn(reference(torch.tensor(x)), torch.tensor(target))
        torch_loss.backward()
        torch_opt.step()
        assert our_loss.item() == pytest.approx(torch_loss.item(), rel=1e-6, abs=1e-6), f"loss at step {step}"
    for (param_name, mine), theirs in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=param_name)


@pytest.mark.parametrize("name,settings", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01})])
def test_training_steps_float32(name, settings):
    model = MLP(dtype=np.float32)
    reference = torch_copy(model).float()
    ours_opt = getattr(microtorch.optim, name)(model.parameters(), **settings)
    torch_opt = getattr(torch.optim, name)(reference.parameters(), **settings)
    x, target = _data("cross_entropy")
    for _ in range(3):
        ours_opt.zero_grad()
        F.cross_entropy(model(microtorch.tensor(x.astype(np.float32))), target).backward()
        ours_opt.step()
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(reference(torch.tensor(x, dtype=torch.float32)),
                                          torch.tensor(target)).backward()
        torch_opt.step()
    for mine, theirs in zip(model.parameters(), reference.parameters()):
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_optimizer_zero_grad_and_skipping_params_without_grad():
    w = nn.Parameter(np.array([1.0, 2.0]))
    unused = nn.Parameter(np.array([5.0]))
    opt = microtorch.SGD([w, unused], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(unused.numpy(), [5.0])
    opt.zero_grad()
    assert w.grad is None
    (w + 1).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and np.all(w.grad.numpy() == 0)


def test_optimizer_argument_errors():
    with pytest.raises(TypeError, match="single Tensor"):
        microtorch.SGD(nn.Parameter(np.ones(2)), lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        microtorch.Adam([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        microtorch.SGD([nn.Parameter(np.ones(2))], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="require grad"):
        microtorch.SGD([microtorch.ones(2)], lr=0.1)


def test_optimizer_state_dict_round_trip_continues_identically():
    torch_free_x, target = _data("mse_loss")
    first, second = MLP(), MLP()
    second.load_state_dict(first.state_dict())
    opt1 = microtorch.Adam(first.parameters(), lr=0.05)
    for _ in range(2):
        opt1.zero_grad()
        F.mse_loss(first(microtorch.tensor(torch_free_x)), target).backward()
        opt1.step()
    second.load_state_dict(first.state_dict())
    opt2 = microtorch.Adam(second.parameters(), lr=0.05)
    opt2.load_state_dict(opt1.state_dict())
    for model, opt in ((first, opt1), (second, opt2)):
        opt.zero_grad()
        F.mse_loss(model(microtorch.tensor(torch_free_x)), target).backward()
        opt.step()
    for a, b in zip(first.parameters(), second.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---------------------------------------------------------------- namespaces

def test_flat_namespace_and_submodules():
    import microtorch as flat
    import microtorch.nn
    import microtorch.nn.functional
    import microtorch.optim
    from microtorch import draw_to_html, mse_loss, tensor  # noqa: F401

    assert flat.Linear is microtorch.nn.Linear and flat.Module is microtorch.nn.Module
    assert flat.SGD is microtorch.optim.SGD and flat.Adam is microtorch.optim.Adam
    assert mse_loss is microtorch.nn.functional.mse_loss and flat.cross_entropy is F.cross_entropy
    assert callable(draw_to_html) and isinstance(tensor([1.0]), flat.Tensor)
    assert flat.nn.functional is F and flat.nn.init is init
