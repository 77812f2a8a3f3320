"""Module's API against torch: registration, discovery, dtype/device, modes, hooks and repr."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn


def _pair(build):
    """The same model in microtorch and in torch: build(nn) is called with each library's nn."""
    return build(nn), build(torch.nn)


def _tree(lib):
    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(3, 4)
            self.act = lib.ReLU(inplace=True)
            self.register_buffer("steps", (microtorch if lib is nn else torch).zeros(2))
            self.register_buffer("scratch", (microtorch if lib is nn else torch).zeros(1), persistent=False)

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.encoder = lib.Sequential(OrderedDict([("first", Block()), ("second", Block())]))
            self.shared = self.encoder.first  # the same module twice: listed once
            self.head = lib.Linear(4, 2, bias=False)

    return Net()


def test_discovery_names_match_torch():
    ours, theirs = _pair(_tree)
    for method in ("named_modules", "named_children", "named_parameters", "named_buffers"):
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs, method)()], method
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == \
        [n for n, _ in theirs.named_parameters(prefix="m", recurse=False)]
    assert [n for n, _ in ours.named_modules(prefix="root", remove_duplicate=False)] == \
        [n for n, _ in theirs.named_modules(prefix="root", remove_duplicate=False)]
    assert len(ours.modules()) == len(list(theirs.modules()))
    assert len(ours.parameters(recurse=False)) == len(list(theirs.parameters(recurse=False)))
    assert len(ours.buffers()) == len(list(theirs.buffers()))
    assert next(ours.parameters()) is ours.encoder.first.fc.weight  # next() as on torch's generator
    assert ours.encoder.first._non_persistent_buffers_set == {"scratch"} == theirs.encoder.first._non_persistent_buffers_set


def test_get_submodule_parameter_buffer():
    ours, theirs = _pair(_tree)
    assert ours.get_submodule("encoder.second.fc") is ours.encoder.second.fc
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("encoder.first.fc.bias") is ours.encoder.first.fc.bias
    assert ours.get_buffer("encoder.first.steps") is ours.encoder.first.steps
    for call, args in [("get_submodule", "encoder.third"), ("get_submodule", "head.weight"),
                       ("get_parameter", "head.missing"), ("get_parameter", "encoder.first.steps")]:
        with pytest.raises(AttributeError) as theirs_error:
            getattr(theirs, call)(args)
        with pytest.raises(AttributeError, match=".+") as ours_error:
            getattr(ours, call)(args)
        assert str(ours_error.value) == str(theirs_error.value)


def test_setattr_registers_and_none_keeps_the_slot():
    ours, theirs = _pair(lambda lib: lib.Linear(2, 3))
    for model, lib in ((ours, nn), (theirs, torch.nn)):
        model.bias = None
        assert [n for n, _ in model.named_parameters()] == ["weight"]
        assert "bias" in model._parameters and model.bias is None
        model.extra = lib.Parameter((microtorch if lib is nn else torch).ones(2))
        model.sub = lib.Tanh()
        assert [n for n, _ in model.named_parameters()] == ["weight", "extra"]
        assert [n for n, _ in model.named_children()] == ["sub"]
        del model.extra
        del model.sub
        assert [n for n, _ in model.named_parameters()] == ["weight"] and not list(model.children())
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' \(torch.nn.Parameter or None"):
        ours.weight = microtorch.ones(3, 2)
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter"):
        theirs.weight = 3
    ours.child = nn.ReLU()
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'child'"):
        ours.child = 3
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nothing'"):
        ours.nothing


def test_registration_errors_follow_torch():
    ours, theirs = _pair(lambda lib: lib.Linear(2, 3))
    cases = [("register_buffer", ("a.b", None)), ("register_buffer", ("", None)), ("register_buffer", ("weight", None)),
             ("register_parameter", ("x.y", None)), ("add_module", ("a.b", None)),
             ("add_module", ("weight", torch.nn.ReLU()))]
    for method, args in cases:
        with pytest.raises(KeyError) as theirs_error:
            getattr(theirs, method)(*args)
        ours_args = (args[0], nn.ReLU()) if method == "add_module" and args[1] is not None else args
        with pytest.raises(KeyError) as ours_error:
            getattr(ours, method)(*ours_args)
        assert str(ours_error.value) == str(theirs_error.value)
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'b'"):
        ours.register_buffer("b", [1, 2])
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'p'"):
        ours.register_parameter("p", microtorch.ones(2))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        ours.add_module("m", 3)
    ours.register_module("m", nn.ReLU())
    assert ours.m is ours.get_submodule("m")


def test_to_float_double_half_keep_the_parameter_objects():
    ours, theirs = _pair(_tree)
    weight = ours.head.weight
    ours.head(microtorch.ones(1, 4)).sum().backward()
    assert ours.double() is ours and ours.head.weight is weight
    assert weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert ours.encoder.first.steps.dtype == np.float64
    theirs.double()
    assert [p.dtype for p in ours.parameters()] == [np.float64] * len(list(theirs.parameters()))
    assert ours.to(microtorch.float32) is ours and weight.dtype == np.float32
    assert ours.to(torch_device := "cpu") is ours and torch_device == "cpu"
    assert ours.to("cpu", dtype=np.float64).head.weight.dtype == np.float64
    assert ours.to(microtorch.ones(1, dtype=np.float32)).head.weight.dtype == np.float32
    assert ours.half().head.weight.dtype == np.float16 and ours.float().head.weight.dtype == np.float32
    assert ours.cpu() is ours


def test_non_cpu_devices_and_integer_dtypes_are_refused():
    model = nn.Linear(2, 2)
    for call in (lambda: model.cuda(), lambda: model.to("cuda"), lambda: model.to("cuda:1"), lambda: model.to(0)):
        with pytest.raises(RuntimeError, match="CPU only"):
            call()
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        model.to(microtorch.int64)
    assert model.weight.dtype == np.float32  # nothing changed


def test_train_eval_zero_grad_requires_grad():
    ours, _ = _pair(_tree)
    assert ours.eval() is ours and not any(m.training for m in ours.modules())
    assert ours.train() is ours and all(m.training for m in ours.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train("yes")
    ours.head(microtorch.ones(1, 4)).sum().backward()
    ours.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(ours.head.weight.grad._array, 0)
    ours.zero_grad()
    assert ours.head.weight.grad is None
    assert ours.requires_grad_(False) is ours and not any(p.requires_grad for p in ours.parameters())


def test_apply_post_order_matches_torch():
    ours, theirs = _pair(_tree)
    seen_ours, seen_theirs = [], []
    ours.apply(lambda m: seen_ours.append(type(m).__name__))
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs


def test_repr_matches_torch():
    def build(lib):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Dropout(0.1), lib.LeakyReLU(0.2, True),
                                           lib.ELU(inplace=True), lib.ReLU6(), lib.Hardtanh(-2.0, 2.0),
                                           lib.Flatten(), lib.Unflatten(1, (1, 3)), lib.Identity(5, x=1),
                                           lib.Threshold(0.1, 20.0), lib.PReLU(), lib.Softmin(dim=1), lib.Mish(),
                                           lib.Hardswish(), lib.SiLU(inplace=True))
                self.heads = lib.ModuleList([lib.Tanh(), lib.Sigmoid()])
                self.named = lib.ModuleDict({"a": lib.Softsign()})
                self.empty = lib.Sequential()
                self.register_module("nothing", None)
        return Net()

    ours, theirs = _pair(build)
    assert repr(ours) == repr(theirs)


def test_forward_hooks_and_pre_hooks():
    ours, theirs = _pair(lambda lib: lib.Linear(2, 2))
    calls = []
    handle = ours.register_forward_pre_hook(lambda module, args: calls.append("pre") or args[0] * 2)
    ours.register_forward_hook(lambda module, args, out: calls.append("post"))
    x = microtorch.ones(1, 2)
    np.testing.assert_allclose(ours(x)._array, ours.forward(x * 2)._array)
    assert calls == ["pre", "post"]
    handle.remove()
    np.testing.assert_allclose(ours(x)._array, ours.forward(x)._array)


def test_subclass_without_super_init_still_registers():
    class Lazy(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)

    model = Lazy()
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert model(microtorch.ones(1, 2)).shape == (1, 2)
