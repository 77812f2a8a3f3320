"""Normalisation, embedding, activations, losses and containers against PyTorch in float64."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional


# ---------------------------------------------------------------- linear

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5, 3), (2, 5, 3), (2, 1, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    shapes = [shape, (4, 3)] + ([(4,)] if bias else [])
    check_op(TF.linear, F.linear, shapes, dtype=dtype)


def test_linear_mixed_dtypes_and_errors_as_matmul():
    # mixed dtypes promote, as microtorch's matmul does (torch's linear refuses them)
    x, weight = microtorch.ones(2, 3, dtype=microtorch.float64), microtorch.full((4, 3), 0.5)
    out = F.linear(x, weight, microtorch.ones(4))
    assert out.dtype == microtorch.float64
    np.testing.assert_array_equal(out.numpy(), np.full((2, 4), 2.5))
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(5, 4\) cannot be multiplied"):
        F.linear(microtorch.ones(2, 3), microtorch.ones(4, 5))
    with pytest.raises(TypeError, match="linear: expected a Tensor"):
        F.linear(np.ones((2, 3)), microtorch.ones(4, 3))


# ---------------------------------------------------------------- normalisation

@pytest.mark.parametrize("layer, shape", [("BatchNorm1d", (6, 4)), ("BatchNorm1d", (5, 4, 3)),
                                          ("BatchNorm2d", (3, 4, 5, 2))])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_tracks_torch_in_train_and_eval(layer, shape, momentum):
    ours = getattr(nn, layer)(4, momentum=momentum, dtype=np.float64)
    theirs = getattr(torch.nn, layer)(4, momentum=momentum).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():  # non-trivial scale and shift, in both
        theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 2, 4)))
        theirs.bias.copy_(torch.tensor(rng.uniform(-1, 1, 4)))
    ours.weight.numpy()[...] = theirs.weight.detach().numpy()
    ours.bias.numpy()[...] = theirs.bias.detach().numpy()
    for step in range(3):  # training: batch statistics, running statistics move
        check_op(theirs, ours, arrays=[rng.normal(step, 2.0, shape)])
        np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-10)
        assert int(ours.num_batches_tracked.numpy()) == int(theirs.num_batches_tracked)
        theirs.zero_grad()
        ours.zero_grad()
    ours.eval()
    theirs.eval()
    before = ours.running_mean.numpy().copy()
    check_op(theirs, ours, arrays=[rng.normal(0, 1, shape)])  # eval: running statistics, unchanged
    np.testing.assert_array_equal(ours.running_mean.numpy(), before)


def test_batch_norm_defaults_buffers_and_state_dict_match_torch():
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy())
    assert ours.weight.dtype == np.float32 and ours.running_var.dtype == np.float32
    assert [name for name, _ in ours.named_parameters()] == ["weight", "bias"]


def test_batch_norm_without_affine_or_running_stats():
    check_op(torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False).double(),
             nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=np.float64), [(5, 3)])
    module = nn.BatchNorm1d(3, track_running_stats=False, dtype=np.float64).eval()
    reference = torch.nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    check_op(reference, module, [(5, 3)])  # no running statistics: batch statistics even in eval


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(microtorch.ones(1, 3))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm2d(3)(microtorch.ones(2, 4, 2, 2))
    with pytest.raises(ValueError, match="4-D"):
        nn.BatchNorm2d(3)(microtorch.ones(2, 3))


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 6), 6)])
def test_layer_norm(shape, normalized):
    theirs = torch.nn.LayerNorm(normalized).double()
    ours = nn.LayerNorm(normalized, dtype=np.float64)
    rng = np.random.default_rng(1)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 2, theirs.weight.shape)))
        theirs.bias.copy_(torch.tensor(rng.uniform(-1, 1, theirs.bias.shape)))
    ours.weight.numpy()[...] = theirs.weight.detach().numpy()
    ours.bias.numpy()[...] = theirs.bias.detach().numpy()
    check_op(theirs, ours, [shape])
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=1e-6)
    check_op(lambda x: TF.layer_norm(x, theirs.normalized_shape, eps=1e-3),
             lambda x: F.layer_norm(x, normalized, eps=1e-3), [shape])


def test_layer_norm_defaults_and_errors():
    ours, theirs = nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name], value.numpy())
    assert nn.LayerNorm(4, bias=False).bias is None
    with pytest.raises(RuntimeError, match="normalized_shape"):
        ours(microtorch.ones(3, 2))


# ---------------------------------------------------------------- embedding

@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_accumulates_repeated_indices(padding_idx):
    indices = np.array([[1, 3, 1], [0, 1, 4]])
    check_op(lambda w: TF.embedding(torch.tensor(indices), w, padding_idx=padding_idx),
             lambda w: F.embedding(microtorch.tensor(indices), w, padding_idx=padding_idx), [(5, 3)])


def test_embedding_layer_init_and_errors():
    microtorch.manual_seed(0)
    layer = nn.Embedding(2000, 8, padding_idx=3)
    assert layer.weight.shape == (2000, 8) and layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.numpy()[3], 0)
    data = np.delete(layer.weight.numpy(), 3, axis=0)
    assert abs(data.mean()) < 0.03 and abs(data.std() - 1) < 0.03  # N(0, 1), as torch
    out = layer(microtorch.tensor([[3, 5], [5, 5]]))
    out.sum().backward()
    assert out.shape == (2, 2, 8)
    np.testing.assert_array_equal(layer.weight.grad.numpy()[5], 3)
    np.testing.assert_array_equal(layer.weight.grad.numpy()[3], 0)
    with pytest.raises(IndexError, match="out of range"):
        layer(microtorch.tensor([2000]))
    with pytest.raises(TypeError, match="integers"):
        layer(microtorch.tensor([1.0]))


# ---------------------------------------------------------------- activations

ACTIVATIONS = [
    (lambda x: TF.gelu(x), lambda x: F.gelu(x)),
    (lambda x: TF.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (lambda x: TF.leaky_relu(x), lambda x: F.leaky_relu(x)),
    (lambda x: TF.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    (lambda x: TF.elu(x), lambda x: F.elu(x)),
    (lambda x: TF.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5)),
    (lambda x: TF.softplus(x), lambda x: F.softplus(x)),
    (lambda x: TF.softplus(x, beta=2, threshold=3), lambda x: F.softplus(x, beta=2, threshold=3)),
    (lambda x: TF.silu(x), lambda x: F.silu(x)),
    (lambda x: TF.log_softmax(x, dim=-1), lambda x: F.log_softmax(x, dim=-1)),
    (lambda x: TF.log_softmax(x, dim=0), lambda x: F.log_softmax(x, dim=0)),
]


@pytest.mark.parametrize("torch_fn, our_fn", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)])
def test_activations(torch_fn, our_fn, shape):
    check_op(torch_fn, our_fn, [shape], low=-4, high=4)


def test_activations_are_stable_at_large_inputs_and_keep_float32():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    for torch_fn, our_fn in ACTIVATIONS:
        check_op(torch_fn, our_fn, arrays=[x])
        out = our_fn(microtorch.tensor(x.astype(np.float32)))
        assert out.dtype == np.float32


@pytest.mark.parametrize("theirs, ours", [
    (torch.nn.GELU(), nn.GELU()), (torch.nn.GELU("tanh"), nn.GELU("tanh")),
    (torch.nn.LeakyReLU(0.1), nn.LeakyReLU(0.1)),
    (torch.nn.ELU(), nn.ELU()), (torch.nn.Softplus(beta=0.5), nn.Softplus(beta=0.5)), (torch.nn.SiLU(), nn.SiLU()),
    (torch.nn.LogSoftmax(dim=1), nn.LogSoftmax(dim=1)), (torch.nn.Identity(), nn.Identity())])
def test_activation_modules(theirs, ours):
    check_op(theirs, ours, [(3, 5)])


# ---------------------------------------------------------------- losses

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 2)])
def test_nll_loss(reduction, use_weight, shape):
    rng = np.random.default_rng(2)
    target = rng.integers(0, 4, size=(shape[0],) + shape[2:])
    target.flat[1] = -100  # ignored
    weight = rng.uniform(0.5, 2, 4) if use_weight else None
    torch_weight = None if weight is None else torch.tensor(weight)
    check_op(lambda x: TF.nll_loss(TF.log_softmax(x, 1), torch.tensor(target), torch_weight, reduction=reduction),
             lambda x: F.nll_loss(F.log_softmax(x, 1), microtorch.tensor(target), weight, reduction=reduction), [shape])


def test_nll_loss_unbatched_and_custom_ignore_index():
    check_op(lambda x: TF.nll_loss(x, torch.tensor(2)), lambda x: F.nll_loss(x, microtorch.tensor(2)), [(5,)])
    target = np.array([1, 2, 2, 0])
    check_op(lambda x: TF.nll_loss(x, torch.tensor(target), ignore_index=2),
             lambda x: F.nll_loss(x, target, ignore_index=2), [(4, 3)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_options(reduction, label_smoothing, use_weight, ignore):
    rng = np.random.default_rng(3)
    target = rng.integers(0, 5, size=6)
    if ignore:
        target[[1, 4]] = 3
    weight = rng.uniform(0.5, 2, 5) if use_weight else None
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing, ignore_index=3 if ignore else -100)
    check_op(lambda x: TF.cross_entropy(x, torch.tensor(target), None if weight is None else torch.tensor(weight),
                                        **kwargs),
             lambda x: F.cross_entropy(x, microtorch.tensor(target), weight, **kwargs), [(6, 5)])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_spatial_unbatched_and_probability_targets(label_smoothing):
    rng = np.random.default_rng(4)
    target = rng.integers(0, 3, size=(2, 4, 5))
    target[0, 0, 0] = -100
    check_op(lambda x: TF.cross_entropy(x, torch.tensor(target), label_smoothing=label_smoothing),
             lambda x: F.cross_entropy(x, target, label_smoothing=label_smoothing), [(2, 3, 4, 5)])
    check_op(lambda x: TF.cross_entropy(x, torch.tensor(1), label_smoothing=label_smoothing, reduction="none"),
             lambda x: F.cross_entropy(x, 1, label_smoothing=label_smoothing, reduction="none"), [(4,)])
    probabilities = rng.dirichlet(np.ones(4), size=3)
    weight = rng.uniform(0.5, 2, 4)
    # probability targets: gradients reach the targets too
    check_op(lambda x, p: TF.cross_entropy(x, p, torch.tensor(weight), label_smoothing=label_smoothing),
             lambda x, p: F.cross_entropy(x, p, weight, label_smoothing=label_smoothing),
             arrays=[rng.standard_normal((3, 4)), probabilities])


def test_cross_entropy_module_and_errors():
    target = np.array([0, 2, 1])
    check_op(lambda x: torch.nn.CrossEntropyLoss(label_smoothing=0.3)(x, torch.tensor(target)),
             lambda x: nn.CrossEntropyLoss(label_smoothing=0.3)(x, microtorch.tensor(target)), [(3, 4)])
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(microtorch.ones(3, 4), target, label_smoothing=1.5)
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(microtorch.ones(3, 4), [0, 7, -100])
    F.cross_entropy(microtorch.ones(3, 4), [0, 1, -100])  # the ignore index is no error


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    rng = np.random.default_rng(5)
    p, t = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    weight = rng.uniform(0.5, 2, 3)
    check_op(lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction),
             lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), arrays=[p, t])
    check_op(lambda a: TF.binary_cross_entropy(a, torch.tensor(t), torch.tensor(weight), reduction=reduction),
             lambda a: nn.BCELoss(weight, reduction)(a, t), arrays=[p])


def test_binary_cross_entropy_clamps_its_logs_like_torch():
    p, t = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(microtorch.tensor(p), microtorch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours.numpy(), TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t),
                                                                    reduction="none").numpy())
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(microtorch.tensor([1.5]), microtorch.tensor([1.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_pos_weight", [False, True])
def test_binary_cross_entropy_with_logits(reduction, use_pos_weight):
    rng = np.random.default_rng(6)
    x, t = rng.uniform(-30, 30, (5, 3)), rng.uniform(0, 1, (5, 3))
    weight, pos_weight = rng.uniform(0.5, 2, (5, 1)), (rng.uniform(0.5, 3, 3) if use_pos_weight else None)
    torch_pos = None if pos_weight is None else torch.tensor(pos_weight)
    check_op(lambda a, b: TF.binary_cross_entropy_with_logits(a, b, torch.tensor(weight), reduction=reduction,
                                                              pos_weight=torch_pos),
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight, reduction, pos_weight), arrays=[x, t])
    check_op(lambda a: torch.nn.BCEWithLogitsLoss(pos_weight=torch_pos)(a, torch.tensor(t)),
             lambda a: nn.BCEWithLogitsLoss(pos_weight=pos_weight)(a, t), arrays=[x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", [[(4, 3), (4, 3)], [(4, 3), (3,)]])
def test_l1_huber_smooth_l1(reduction, shapes):
    check_op(lambda a, b: TF.l1_loss(a, b.expand(a.shape), reduction=reduction),
             lambda a, b: F.l1_loss(a, b, reduction), shapes)
    for delta in (0.5, 1.0, 2.0):
        check_op(lambda a, b: TF.huber_loss(a, b.expand(a.shape), reduction=reduction, delta=delta),
                 lambda a, b: F.huber_loss(a, b, reduction, delta), shapes)
    for beta in (0.0, 0.5, 1.5):
        check_op(lambda a, b: TF.smooth_l1_loss(a, b.expand(a.shape), reduction=reduction, beta=beta),
                 lambda a, b: F.smooth_l1_loss(a, b, reduction, beta), shapes)


def test_loss_modules_match_torch():
    rng = np.random.default_rng(7)
    target = rng.standard_normal((4, 3))
    for theirs, ours in [(torch.nn.MSELoss(), nn.MSELoss()), (torch.nn.L1Loss(reduction="sum"), nn.L1Loss("sum")),
                         (torch.nn.HuberLoss(delta=0.3), nn.HuberLoss(delta=0.3)),
                         (torch.nn.SmoothL1Loss(beta=0.4), nn.SmoothL1Loss(beta=0.4))]:
        check_op(lambda a: theirs(a, torch.tensor(target)), lambda a: ours(a, target), [(4, 3)])
    labels = np.array([1, 0, 2, 2])
    check_op(lambda a: torch.nn.NLLLoss()(a, torch.tensor(labels)), lambda a: nn.NLLLoss()(a, labels), [(4, 3)])


# ---------------------------------------------------------------- containers

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Sequential(nn.ReLU(), nn.Linear(2, 1))})

    def forward(self, x):
        return self.heads["b"](self.heads["a"](x))


def test_module_dict():
    block = Block()
    heads = block.heads
    assert len(heads) == 2 and list(heads) == ["a", "b"] and "a" in heads and "c" not in heads
    assert [name for name, _ in heads.items()] == ["a", "b"]
    assert heads.values() == [heads["a"], heads["b"]]
    names = [name for name, _ in block.named_parameters()]
    assert names == ["conv.weight", "conv.bias", "heads.a.weight", "heads.a.bias", "heads.b.1.weight",
                     "heads.b.1.bias"]
    heads["c"] = nn.Tanh()
    assert heads.keys() == ["a", "b", "c"]
    assert isinstance(heads.pop("c"), nn.Tanh) and "c" not in heads
    heads.update([("d", nn.ReLU())])
    del heads["d"]
    assert len(heads) == 2
    with pytest.raises(KeyError):
        heads["missing"]
    with pytest.raises(KeyError, match="already exists"):
        heads["keys"] = nn.ReLU()
    with pytest.raises(TypeError, match="Module"):
        heads["e"] = 3
    out = block(microtorch.ones(4, 2))
    assert out.shape == (4, 1)
    assert set(block.state_dict()) == set(names)


def test_module_discovery_matches_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), nn.BatchNorm1d(1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)),
                                 torch.nn.BatchNorm1d(1))
    assert [name for name, _ in ours.named_modules()] == [name for name, _ in theirs.named_modules()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    assert set(ours.state_dict()) == set(theirs.state_dict())
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert len(twice.modules()) == 2  # a module reached twice is listed once, as in torch


def test_apply_visits_children_before_parents_like_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1)))
    seen_ours, seen_theirs = [], []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs

    def zero_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
    ours.apply(zero_linear)
    assert all(np.all(m.weight.numpy() == 0) for m in ours.modules() if isinstance(m, nn.Linear))


def test_train_eval_reach_every_submodule():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ModuleDict({"d": nn.Dropout(0.5)}))
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
