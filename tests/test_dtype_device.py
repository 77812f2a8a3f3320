"""dtype and device vocabulary, conversions and legacy constructors, checked against torch."""
import pickle

import numpy as np
import pytest
import torch

import microtorch

DTYPE_NAMES = ["float", "float32", "float64", "double", "half", "float16", "long", "int64", "int", "int32",
               "short", "int16", "int8", "uint8", "bool"]
CPU_ONLY = "microtorch runs on the CPU only, but device 'cuda(:0)?' was asked for"


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_match_torch(name):
    ours, theirs = getattr(microtorch, name), getattr(torch, name)
    assert isinstance(ours, microtorch.dtype)
    assert repr(ours) == repr(theirs).replace("torch.", "microtorch.")
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed and ours.itemsize == theirs.itemsize
    assert microtorch.zeros(2, dtype=ours).dtype is ours
    np.testing.assert_array_equal(microtorch.zeros(2, dtype=ours).numpy(), torch.zeros(2, dtype=theirs).numpy())


def test_a_dtype_stands_for_its_numpy_dtype():
    x = microtorch.tensor([1.0, 2.0])
    assert x.dtype == microtorch.float32 and x.dtype is microtorch.float32
    assert x.dtype == np.float32 and np.float32 == x.dtype and x.dtype == np.dtype("float32") and x.dtype == "float32"
    assert x.dtype != microtorch.float64 and x.dtype != np.float64
    assert np.dtype(microtorch.long) == np.int64 and np.zeros(2, dtype=microtorch.half).dtype == np.float16
    assert x.dtype.kind == "f" and x.dtype.itemsize == 4
    assert {microtorch.float32: "a"}[np.dtype(np.float32)] == "a"
    assert pickle.loads(pickle.dumps(microtorch.int64)) is microtorch.int64
    assert microtorch.tensor([1, 2]).dtype is microtorch.long


def test_finfo_iinfo_and_the_default_dtype_match_torch():
    for ours, theirs in [(microtorch.float32, torch.float32), (microtorch.float64, torch.float64)]:
        assert microtorch.finfo(ours).eps == torch.finfo(theirs).eps
        assert microtorch.finfo(ours).max == torch.finfo(theirs).max
        assert microtorch.finfo(ours).tiny == torch.finfo(theirs).tiny
    assert microtorch.iinfo(microtorch.int8).max == torch.iinfo(torch.int8).max
    assert microtorch.get_default_dtype() is microtorch.float32
    microtorch.set_default_dtype(microtorch.float64)
    try:
        assert microtorch.get_default_dtype() is microtorch.float64
        assert microtorch.tensor([1.5]).dtype is microtorch.float64 and microtorch.ones(2).dtype is microtorch.float64
        assert microtorch.tensor([1]).dtype is microtorch.int64
    finally:
        microtorch.set_default_dtype(microtorch.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        microtorch.set_default_dtype(microtorch.int64)
    assert microtorch.tensor([1.5]).dtype is microtorch.float32


@pytest.mark.parametrize("method, dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                           ("long", "int64"), ("int", "int32"), ("short", "int16"),
                                           ("bool", "bool"), ("byte", "uint8"), ("char", "int8")])
def test_conversion_methods_match_torch(method, dtype):
    values = [[-1.5, 0.0, 2.7], [3.2, -0.4, 1.0]]
    ours = getattr(microtorch.tensor(values, dtype=microtorch.float64), method)()
    theirs = getattr(torch.tensor(values, dtype=torch.float64), method)()
    assert ours.dtype is getattr(microtorch, dtype) and theirs.dtype is getattr(torch, dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_accepts_torchs_argument_forms_and_returns_self_when_nothing_changes():
    for lib in (microtorch, torch):
        x = lib.tensor([1.0, 2.0])
        assert x.to("cpu") is x and x.to(lib.float32) is x and x.to(lib.device("cpu")) is x
        assert x.to("cpu", lib.float64).dtype == lib.float64
        assert x.to(dtype=lib.int64, device="cpu").dtype == lib.int64
        assert x.to(lib.tensor([1], dtype=lib.int32)).dtype == lib.int32
        assert x.to(lib.float32, copy=True) is not x
        assert x.cpu() is x and x.is_cuda is False and x.device == lib.device("cpu")
        assert x.type_as(lib.tensor([1], dtype=lib.int16)).dtype == lib.int16
        assert x.is_floating_point() and not x.long().is_floating_point()
        assert x.type(lib.float64).dtype == lib.float64 and x.type("torch.LongTensor").dtype == lib.int64
    assert microtorch.tensor([1.0]).type() == "microtorch.FloatTensor" and torch.tensor([1.0]).type() == "torch.FloatTensor"


def test_to_and_casts_carry_the_gradient_as_in_torch():
    grads = []
    for lib in (microtorch, torch):
        x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        (x.float() * x.to("cpu", lib.float32)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


def test_device_objects_as_torch():
    for lib in (microtorch, torch):
        d = lib.device("cpu")
        assert d.type == "cpu" and d.index is None and str(d) == "cpu" and d == lib.device("cpu")
        assert repr(d) == "device(type='cpu')"
        cuda = lib.device("cuda:1")
        assert (cuda.type, cuda.index, str(cuda)) == ("cuda", 1, "cuda:1")
        assert lib.device("cuda", 0) == lib.device("cuda:0") != lib.device("cpu")
        assert repr(lib.device("cuda", 0)) == "device(type='cuda', index=0)"
        assert hash(lib.device("cpu")) == hash(lib.device("cpu"))
    assert microtorch.device("cpu") == "cpu" != microtorch.device("cuda")  # torch's devices never equal a string
    assert microtorch.cuda.is_available() is False and microtorch.cuda.device_count() == 0
    assert microtorch.backends.mps.is_available() is False
    microtorch.backends.cudnn.deterministic = True  # scripts set it; it changes nothing here
    microtorch.cuda.manual_seed_all(0)


@pytest.mark.parametrize("ask", [
    lambda: microtorch.zeros(2, device="cuda"),
    lambda: microtorch.tensor([1.0], device=microtorch.device("cuda", 0)),
    lambda: microtorch.ones(2).to("cuda"),
    lambda: microtorch.ones(2).cuda(),
    lambda: microtorch.ones(2).to(microtorch.device("cuda:0"), microtorch.float64),
    lambda: microtorch.ones(2).type("torch.cuda.FloatTensor"),
    lambda: microtorch.Tensor(2, 3, device="cuda"),
    lambda: microtorch.randn(2, device="cuda"),
    lambda: microtorch.ones(2).new_zeros(3, device="cuda"),
    lambda: microtorch.Generator(device="cuda"),
])
def test_any_non_cpu_device_raises_the_one_error(ask):
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        ask()


def test_the_legacy_constructors_match_torch():
    for name in ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
                 "ByteTensor", "BoolTensor"]:
        ours, theirs = getattr(microtorch, name), getattr(torch, name)
        for args in [(2, 3), ([[1.7, 0.0, 2.2]],), (0,)]:
            made, reference = ours(*args), theirs(*args)
            assert made.shape == tuple(reference.shape) and str(made.dtype)[11:] == str(reference.dtype)[6:]
            if args != (2, 3):  # torch leaves the sizes form uninitialized
                np.testing.assert_array_equal(made.numpy(), reference.numpy())
        assert isinstance(ours([1]), ours) and not isinstance(microtorch.tensor([1.0], dtype=np.float16), ours) \
            if name != "HalfTensor" else isinstance(ours([1]), ours)
    for args in [(1, 5), ([1, 2, 3],), ([[1.5, 2.0]],), ()]:
        made, reference = microtorch.Tensor(*args), torch.Tensor(*args)
        assert made.shape == tuple(reference.shape) and made.dtype is microtorch.float32
        if args != (1, 5):
            np.testing.assert_array_equal(made.numpy(), reference.numpy())
    made = microtorch.Tensor([1.0, 2.0], requires_grad=True)  # the original microtorch's keywords
    assert made.requires_grad and made.dtype is microtorch.float32
    assert microtorch.Tensor(np.arange(3)).dtype is microtorch.int64  # an ndarray keeps its dtype (torch: float32)


def test_new_constructors_keep_the_dtype_as_torch():
    for lib in (microtorch, torch):
        x = lib.tensor([1, 2], dtype=lib.int32)
        assert x.new_zeros(2, 3).dtype == lib.int32 and x.new_zeros((2, 3)).shape == (2, 3)
        assert x.new_ones(2).numpy().tolist() == [1, 1]
        assert x.new_full((2,), 7).numpy().tolist() == [7, 7] and x.new_full((2,), 7).dtype == lib.int32
        assert x.new_empty(4).shape == (4,) and x.new_empty(4).dtype == lib.int32
        assert x.new_tensor([1.9, 2.1]).dtype == lib.int32 and x.new_tensor([1.9], dtype=lib.float64).dtype == lib.float64
        assert x.new_zeros(2, dtype=lib.float32, requires_grad=True).requires_grad
