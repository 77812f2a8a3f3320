"""Shape, indexing and inspection ops against PyTorch in float64: values, gradients, negative dims and
error messages; every op as a function and a method where torch has both."""
import numpy as np
import pytest

import microtorch
from helpers import check_op

torch = pytest.importorskip("torch")

# (name, args, input shape): torch.name(x, *args) and x.name(*args)
BOTH = [
    ("reshape", ((4, -1),), (2, 3, 2)), ("permute", ((2, 0, 1),), (2, 3, 4)), ("transpose", (0, -1), (2, 3, 4)),
    ("t", (), (2, 3)), ("unflatten", (1, (2, 2)), (3, 4, 2)), ("unflatten", (-1, (-1, 2)), (3, 4)),
    ("repeat_interleave", (2,), (2, 3)), ("repeat_interleave", (3, 1), (2, 3)), ("repeat_interleave", (2, -1), (2, 3)),
    ("tile", ((2,),), (2, 3)), ("tile", ((2, 1, 3),), (2, 3)), ("roll", (1,), (2, 3)), ("roll", (-1, 0), (3, 4)),
    ("roll", ((1, 2), (0, 1)), (3, 4)), ("flip", ((0,),), (2, 3)), ("flip", ((0, -1),), (2, 3, 4)),
    ("fliplr", (), (2, 3)), ("flipud", (), (3,)), ("narrow", (1, 1, 2), (2, 4)), ("narrow", (-1, -3, 2), (2, 4)),
    ("movedim", (0, -1), (2, 3, 4)), ("movedim", ((0, 1), (2, 0)), (2, 3, 4)), ("moveaxis", (1, 0), (2, 3)),
    ("swapaxes", (0, 2), (2, 3, 4)), ("swapdims", (-1, -2), (2, 3, 4)), ("diag", (), (4,)), ("diag", (1,), (3,)),
    ("diag", (-1,), (3, 4)), ("diag", (), (3, 4)), ("diagonal", (), (3, 4)), ("diagonal", (1, 0, 2), (3, 2, 4)),
    ("diagonal", (-1, 2, 0), (3, 2, 4)), ("diagonal", (0, -2, -1), (2, 3, 3)), ("diagonal", (1, 1, 2), (5, 3, 4)),
    ("trace", (), (3, 4)), ("squeeze", (1,), (2, 1, 3)), ("unsqueeze", (-1,), (2, 3)), ("flatten", (1,), (2, 3, 4)),
    ("tril", (-1,), (3, 4)), ("triu", (1,), (3, 4)), ("chunk", (2, 1), (2, 5)), ("split", ([1, 3], 1), (2, 4)),
    ("split", (2, 0), (5, 2)), ("unbind", (1,), (2, 3)), ("unbind", (), (2, 3)), ("unbind", (-1,), (2, 3)),
]


@pytest.mark.parametrize("name, args, shape", BOTH, ids=[f"{n}{a}" for n, a, _ in BOTH])
def test_shape_function_and_method(name, args, shape):
    check_op(lambda x: getattr(torch, name)(x, *args), lambda x: getattr(microtorch, name)(x, *args), [shape])
    check_op(lambda x: getattr(x, name)(*args), lambda x: getattr(x, name)(*args), [shape])


# methods torch has no function for
METHODS = [
    ("view", (3, -1)), ("view", ((6, 2),)), ("repeat", (2, 1, 3)), ("repeat", (2, 2)), ("expand", (2, 3, 4)),
    ("expand", (-1, 4)), ("swapaxes", (0, 1)),
]


@pytest.mark.parametrize("name, args", METHODS, ids=[f"{n}{a}" for n, a in METHODS])
def test_shape_methods(name, args):
    shape = (3, 1) if name == "expand" else (3, 4)
    check_op(lambda x: getattr(x, name)(*args), lambda x: getattr(x, name)(*args), [shape])


def test_view_as_reshape_as_expand_as_and_transposes():
    check_op(lambda x, y: x.view_as(y), lambda x, y: x.view_as(y), [(2, 6), (3, 4)])
    check_op(lambda x, y: x.reshape_as(y), lambda x, y: x.reshape_as(y), [(2, 6), (4, 3)])
    check_op(lambda x, y: x.expand_as(y), lambda x, y: x.expand_as(y), [(3, 1), (3, 4)])
    check_op(lambda x: x.mT, lambda x: x.mT, [(2, 3, 4)])
    check_op(lambda x: x.T, lambda x: x.T, [(3, 4)])
    with pytest.raises(RuntimeError, match="mT is only supported on matrices"):
        microtorch.ones(3).mT


def test_repeat_interleave_with_a_tensor_of_counts():
    counts = np.array([1, 0, 3])
    check_op(lambda x: x.repeat_interleave(torch.tensor(counts), dim=0),
             lambda x: x.repeat_interleave(microtorch.tensor(counts), dim=0), [(3, 2)])
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        microtorch.ones(3, 2).repeat_interleave(microtorch.tensor([1, 2]), dim=0)


@pytest.mark.parametrize("name", ["hstack", "vstack"])
@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(2, 3), (2, 3)], [(3,), (3,)]], ids=str)
def test_hstack_vstack(name, shapes):
    if name == "vstack" and shapes[0] == (3,) and shapes[1] == (2,):
        shapes = [(3,), (1, 3)]
    check_op(lambda *t: getattr(torch, name)(t), lambda *t: getattr(microtorch, name)(t), shapes)


# ---------------------------------------------------------------- scatter, masked_select, gather, index_select

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_and_scatter_add(dim):
    rng = np.random.default_rng(0)
    index = rng.integers(0, 3, size=(2, 3))
    if dim != 0:  # distinct positions per row for scatter (torch picks any of repeated writes)
        index = np.array([rng.permutation(4)[:3] for _ in range(2)])
    else:
        index = np.array([[0, 1, 2], [2, 0, 1]])
    check_op(lambda x, s: x.scatter(dim, torch.tensor(index), s),
             lambda x, s: x.scatter(dim, microtorch.tensor(index), s), [(3, 4), (2, 3)])
    repeated = rng.integers(0, 3, size=(3, 2))
    check_op(lambda x, s: torch.scatter_add(x, dim, torch.tensor(repeated), s),
             lambda x, s: microtorch.scatter_add(x, dim, microtorch.tensor(repeated), s), [(3, 4), (3, 2)])


def test_scatter_a_value_and_one_hot():
    labels = np.array([2, 0, 1])
    ours = microtorch.zeros(3, 4).scatter(1, microtorch.tensor(labels).unsqueeze(1), 1.0)
    theirs = torch.zeros(3, 4).scatter(1, torch.tensor(labels).unsqueeze(1), 1.0)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    check_op(lambda x: torch.scatter(x, 0, torch.tensor([[1, 0]]), 5.0),
             lambda x: microtorch.scatter(x, 0, microtorch.tensor([[1, 0]]), value=5.0), [(2, 2)])


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.scatter(1, microtorch.tensor([0, 1]), microtorch.ones(2, 2)), RuntimeError, "same number of dim"),
    (lambda x: x.scatter(1, microtorch.tensor([[0, 1, 2]]), microtorch.ones(1, 2)), RuntimeError,
     r"Expected index \[1, 3\] to be smaller than self \[2, 3\] apart from dimension 1 and to be smaller size than "
     r"src \[1, 2\]"),
    (lambda x: x.scatter(1, microtorch.tensor([[3]]), microtorch.ones(1, 1)), IndexError, "index 3 is out of bounds"),
    (lambda x: x.scatter(1, microtorch.tensor([[0.5]]), microtorch.ones(1, 1)), TypeError, "integer"),
    (lambda x: x.scatter_add(1, microtorch.tensor([[0]]), 1.0), TypeError, "src"),
    (lambda x: x.scatter(1, microtorch.tensor([[0]])), TypeError, "src"),
])
def test_scatter_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(microtorch.ones(2, 3))


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1)])
def test_masked_select(mask_shape):
    mask = np.random.default_rng(1).uniform(size=mask_shape) > 0.4
    check_op(lambda x: torch.masked_select(x, torch.tensor(mask)),
             lambda x: microtorch.masked_select(x, microtorch.tensor(mask)), [(3, 4)])
    check_op(lambda x: x.masked_select(torch.tensor(mask)), lambda x: x.masked_select(microtorch.tensor(mask)),
             [(3, 4)])
    with pytest.raises(TypeError, match="bool"):
        microtorch.ones(3).masked_select(microtorch.ones(3))


def test_masked_fill_gather_index_select_as_functions():
    mask = np.array([[True, False, True]])
    check_op(lambda x: torch.masked_fill(x, torch.tensor(mask), -1.0),
             lambda x: microtorch.masked_fill(x, microtorch.tensor(mask), -1.0), [(2, 3)])
    index = np.array([[0, 2], [1, 1]])
    check_op(lambda x: torch.gather(x, 1, torch.tensor(index)),
             lambda x: microtorch.gather(x, 1, microtorch.tensor(index)), [(2, 3)])
    check_op(lambda x: torch.index_select(x, -1, torch.tensor([2, 0, 2])),
             lambda x: microtorch.index_select(x, -1, microtorch.tensor([2, 0, 2])), [(2, 3)])


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.repeat(2), RuntimeError, "Number of dimensions of repeat dims"),
    (lambda x: x.unflatten(1, (2, 2)), RuntimeError, "don't multiply up to the size of dim 1"),
    (lambda x: x.narrow(1, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    (lambda x: x.narrow(1, 5, 1), IndexError, "out of range"),
    (lambda x: x.roll((1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda x: x.flip(2), IndexError, "flip"),
    (lambda x: x.diagonal(0, 1, 1), RuntimeError, "diagonal dimensions cannot be identical"),
    (lambda x: x.reshape(1, 2, 3, 1).diag(), RuntimeError, "Supports 1D or 2D tensors"),
    (lambda x: x[0].fliplr(), RuntimeError, "Input must be >= 2-d"),
    (lambda x: x.sum().trace(), RuntimeError, "trace: expected a matrix"),
    (lambda x: x.movedim((0, 1), 0), RuntimeError, "same number of dims as destination"),
    (lambda x: x.unbind(2), IndexError, "unbind"),
])
def test_shape_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(microtorch.ones(2, 3))


# ---------------------------------------------------------------- inspection

def test_inspection_functions_and_methods():
    a = np.array([[0.0, 1.5], [2.0, 0.0]])
    x, t = microtorch.tensor(a), torch.tensor(a)
    assert microtorch.numel(x) == torch.numel(t) == x.numel() == 4
    assert x.size() == tuple(t.size()) and x.size(-1) == t.size(-1) and x.dim() == t.dim()
    assert x.tolist() == t.tolist() and x[0, 1].item() == t[0, 1].item()
    np.testing.assert_array_equal(microtorch.nonzero(x).numpy(), torch.nonzero(t).numpy())
    np.testing.assert_array_equal(microtorch.argwhere(x).numpy(), torch.argwhere(t).numpy())
    for mine, reference in zip(x.nonzero(as_tuple=True), t.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    assert microtorch.is_tensor(x) and not microtorch.is_tensor(a)
    assert microtorch.is_floating_point(x) and not microtorch.tensor([1]).is_floating_point()
    assert microtorch.is_nonzero(microtorch.tensor([1.5])) and not microtorch.tensor(0).is_nonzero()
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        x.is_nonzero()
    assert x.nonzero().dtype == np.int64
    assert microtorch.tensor(2.0).nonzero().shape == tuple(torch.tensor(2.0).nonzero().shape)


def test_allclose_isclose_equal():
    a, b = np.array([1.0, 2.0, np.nan]), np.array([1.0 + 1e-9, 2.1, np.nan])
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2}):
        np.testing.assert_array_equal(microtorch.isclose(microtorch.tensor(a), microtorch.tensor(b), **kwargs).numpy(),
                                      torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs).numpy())
        assert microtorch.tensor(a).allclose(microtorch.tensor(b), **kwargs) == \
            torch.tensor(a).allclose(torch.tensor(b), **kwargs)
    assert microtorch.equal(microtorch.tensor([1, 2]), microtorch.tensor([1, 2]))
    assert not microtorch.equal(microtorch.tensor([1, 2]), microtorch.tensor([[1, 2]]))
    assert not microtorch.tensor([1.0, np.nan]).equal(microtorch.tensor([1.0, np.nan]))
    with pytest.raises(RuntimeError, match="isclose"):
        microtorch.isclose(microtorch.ones(2), microtorch.ones(3))
    with pytest.raises(TypeError, match="other"):
        microtorch.ones(2).equal([1.0, 1.0])


def test_integer_results_carry_no_gradient():
    x = microtorch.tensor([[1.0, 3.0], [2.0, 0.5]], requires_grad=True)
    for out in (x.argmax(1), x.argsort(), x > 1, microtorch.max(x, 0).indices, x.nonzero(), x.isnan(),
                x.topk(1).indices, x.count_nonzero(), x.all()):
        assert not out.requires_grad and out.grad_fn is None


def test_scatter_reads_only_the_corner_of_a_larger_src():
    src = microtorch.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    out = microtorch.zeros(2, 4).scatter_add(0, microtorch.tensor([[1, 0], [0, 0]]), src)
    expected = torch.zeros(2, 4).scatter_add(0, torch.tensor([[1, 0], [0, 0]]), torch.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    out.sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), np.pad(np.ones((2, 2)), ((0, 1), (0, 2))))


@pytest.mark.parametrize("dim, index_shape, input_shape", [(1, (2, 1), (2, 3)), (0, (1, 3), (2, 3)),
                                                           (1, (1, 2), (3, 4)), (-1, (3, 1, 2), (1, 4, 5))], ids=str)
def test_take_along_dim(dim, index_shape, input_shape):
    index = np.random.default_rng(0).integers(0, input_shape[dim], size=index_shape)
    check_op(lambda x: torch.take_along_dim(x, torch.tensor(index), dim),
             lambda x: microtorch.take_along_dim(x, microtorch.tensor(index), dim), [input_shape])
    check_op(lambda x: x.take_along_dim(torch.tensor([4, 0, 4])),
             lambda x: x.take_along_dim(microtorch.tensor([4, 0, 4])), [(2, 3)])
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        microtorch.ones(2, 3).take_along_dim(microtorch.tensor([0]), 1)


def test_bincount():
    x = np.array([1, 1, 3, 0])
    for kwargs in ({}, {"minlength": 6}, {"weights": np.array([0.5, 1.0, 2.0, 4.0], dtype=np.float32)}):
        ours = microtorch.bincount(microtorch.tensor(x), **{k: microtorch.tensor(v) if k == "weights" else v
                                                           for k, v in kwargs.items()})
        theirs = torch.bincount(torch.tensor(x), **{k: torch.tensor(v) if k == "weights" else v
                                                    for k, v in kwargs.items()})
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        microtorch.tensor([1, -1]).bincount()
