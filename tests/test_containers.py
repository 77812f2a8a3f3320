"""Containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict), Identity, Flatten,
Unflatten and the activation layers added for PyTorch programs, checked against torch."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from tests.helpers import check_op


def _names(module):
    return [name for name, _ in module.named_parameters()]


def test_sequential_from_ordered_dict_indexing_slicing_and_editing():
    layers = lambda lib: OrderedDict([("fc1", lib.Linear(2, 3)), ("act", lib.ReLU()), ("fc2", lib.Linear(3, 1))])
    ours, theirs = nn.Sequential(layers(nn)), torch.nn.Sequential(layers(torch.nn))
    assert _names(ours) == [n for n, _ in theirs.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                                       "fc2.bias"]
    assert ours[-1] is ours.fc2 and ours[0] is ours.fc1 and len(ours) == 3
    assert repr(ours[1:]) == repr(theirs[1:])  # a slice keeps the names
    assert [type(m).__name__ for m in ours] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ours[3]
    ours.append(nn.Tanh())
    theirs.append(torch.nn.Tanh())
    assert repr(ours) == repr(theirs)
    del ours[1]
    del theirs[1]
    assert repr(ours) == repr(theirs)
    ours.insert(1, nn.Sigmoid())
    theirs.insert(1, torch.nn.Sigmoid())
    assert repr(ours) == repr(theirs)
    assert isinstance(ours.pop(1), nn.Sigmoid) and len(ours) == 3
    ours[0] = nn.Linear(2, 3)
    assert ours(microtorch.ones(4, 2)).shape == (4, 1)
    both = nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())
    assert [type(m).__name__ for m in both] == ["ReLU", "Tanh"]


def test_sequential_forward_matches_torch():
    rng = np.random.default_rng(0)
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(inplace=True), torch.nn.Linear(4, 2)).double()
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        p.data = microtorch.tensor(q.detach().numpy().copy())
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(ours(microtorch.tensor(x))._array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_module_list():
    ours, theirs = nn.ModuleList([nn.Linear(1, 1)]), torch.nn.ModuleList([torch.nn.Linear(1, 1)])
    for model, lib in ((ours, nn), (theirs, torch.nn)):
        model.append(lib.ReLU()).extend([lib.Tanh(), lib.Sigmoid()])
        model.insert(0, lib.Identity())
        model += [lib.ELU()]
        del model[2]
        model[1] = lib.Linear(1, 2)
    assert repr(ours) == repr(theirs)
    assert repr(ours[1:3]) == repr(theirs[1:3]) and type(ours[1:3]) is nn.ModuleList
    assert ours[-1] is list(ours)[-1] and len(ours) == len(theirs) == 5
    assert _names(ours) == [n for n, _ in theirs.named_parameters()]
    with pytest.raises(IndexError, match="index 9 is out of range"):
        ours[9]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        ours.append(3)
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        ours(microtorch.ones(1))


def test_module_dict():
    ours = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"b": torch.nn.Linear(1, 1), "a": torch.nn.ReLU()})
    ours.update([("c", nn.Tanh())])
    theirs.update([("c", torch.nn.Tanh())])
    assert repr(ours) == repr(theirs) and list(ours) == list(theirs) == ["b", "a", "c"]
    assert isinstance(ours.pop("c"), nn.Tanh) and "c" not in ours and len(ours) == 2
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        ours["train"] = nn.ReLU()
    with pytest.raises(ValueError, match="element #0 should be a"):
        ours.update([3])


def test_parameter_list_and_dict_register_their_tensors():
    ours = nn.ParameterList([nn.Parameter(microtorch.ones(2)), microtorch.zeros(2, 3)])
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(2, 3)])
    assert isinstance(ours[1], nn.Parameter) and ours[1].requires_grad
    assert _names(ours) == [n for n, _ in theirs.named_parameters()] == ["0", "1"]
    ours.append(microtorch.ones(1))
    assert len(ours) == 3 and len(ours.parameters()) == 3
    assert repr(ours).replace("microtorch.", "torch.") == repr(theirs.append(torch.ones(1)))
    d = nn.ParameterDict({"scale": microtorch.ones(1)})
    td = torch.nn.ParameterDict({"scale": torch.ones(1)})
    d["shift"] = nn.Parameter(microtorch.zeros(1))
    td["shift"] = torch.nn.Parameter(torch.zeros(1))
    assert [n for n, _ in d.named_parameters()] == [n for n, _ in td.named_parameters()]
    assert "(shift): Parameter containing: [microtorch.float32 of size 1]" in repr(d)
    assert list(d) == ["scale", "shift"] and isinstance(d["scale"], nn.Parameter)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([microtorch.ones(2)])
            self.named = nn.ParameterDict({"b": microtorch.zeros(2)})

    assert _names(Model()) == ["ws.0", "named.b"]


def test_identity_flatten_unflatten_match_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert nn.Identity(54, unused="x")(microtorch.tensor(x))._array is not None
    for start, end in [(1, -1), (0, 1), (0, -1), (2, 2)]:
        np.testing.assert_array_equal(nn.Flatten(start, end)(microtorch.tensor(x))._array,
                                      torch.nn.Flatten(start, end)(torch.tensor(x)).numpy())
    for dim, size in [(1, (3, 1)), (-1, (2, 2)), (2, (2, -1))]:
        check_op(lambda t: torch.nn.Unflatten(dim, size)(t), lambda t: nn.Unflatten(dim, size)(t), [(2, 3, 4)])
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 6)


ACTIVATIONS = [  # (microtorch layer, torch layer)
    (lambda: nn.ReLU6(inplace=True), lambda: torch.nn.ReLU6()),
    (lambda: nn.Hardtanh(-0.5, 1.5), lambda: torch.nn.Hardtanh(-0.5, 1.5)),
    (nn.Hardsigmoid, torch.nn.Hardsigmoid),
    (nn.Hardswish, torch.nn.Hardswish),
    (nn.Mish, torch.nn.Mish),
    (nn.Softsign, torch.nn.Softsign),
    (nn.Tanhshrink, torch.nn.Tanhshrink),
    (nn.LogSigmoid, torch.nn.LogSigmoid),
    (lambda: nn.Softmin(dim=1), lambda: torch.nn.Softmin(dim=1)),
    (lambda: nn.Threshold(0.3, -2.0), lambda: torch.nn.Threshold(0.3, -2.0)),
    (lambda: nn.ReLU(inplace=True), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.1, inplace=True), lambda: torch.nn.LeakyReLU(0.1)),
    (lambda: nn.ELU(inplace=True), lambda: torch.nn.ELU()),
    (lambda: nn.SiLU(inplace=True), lambda: torch.nn.SiLU()),
]


@pytest.mark.parametrize("ours, theirs", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)])
def test_activation_layers_match_torch(ours, theirs, shape):
    if isinstance(ours(), nn.Softmin) and len(shape) < 2:
        shape = (3, 4)
    check_op(theirs(), ours(), [shape], low=-7, high=7)


@pytest.mark.parametrize("name", ["relu6", "hardtanh", "hardsigmoid", "hardswish"])
def test_piecewise_gradients_at_the_kinks_match_torch(name):
    x = np.array([-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 7.0])
    check_op(getattr(TF, name), getattr(F, name), arrays=[x])


def test_inplace_functions_return_torch_values():
    x = np.linspace(-8, 8, 17)
    for name in ["relu", "relu6", "hardtanh", "leaky_relu", "elu", "silu", "hardswish", "hardsigmoid", "mish"]:
        check_op(lambda t: getattr(TF, name)(t.clone(), inplace=True), lambda t: getattr(F, name)(t, inplace=True),
                 arrays=[x])
    check_op(lambda t: TF.threshold(t, 0.5, 9.0), lambda t: F.threshold(t, 0.5, 9.0), arrays=[x])


@pytest.mark.parametrize("shape, count", [((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 2, 2), 1), ((6,), 1)])
def test_prelu_matches_torch(shape, count):
    weight = np.linspace(0.1, 0.4, count)
    check_op(TF.prelu, F.prelu, arrays=[np.random.default_rng(1).standard_normal(shape), weight])
    layer = nn.PReLU(count, init=0.3)
    assert layer.weight.shape == (count,) and _names(layer) == ["weight"]


def test_activation_errors():
    with pytest.raises(RuntimeError, match="mismatch of parameter numbers and input channel size"):
        F.prelu(microtorch.ones(2, 3), microtorch.ones(2))
    with pytest.raises(ValueError, match="cannot be greater than max_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(TypeError, match="expected a Tensor"):
        F.relu6([1.0])
