"""Matrix products, einsum and norms against PyTorch in float64: values, gradients and error messages."""
import numpy as np
import pytest

import microtorch
from helpers import check_op

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, shapes", [("mm", [(2, 3), (3, 4)]), ("bmm", [(2, 3, 4), (2, 4, 5)]),
                                          ("dot", [(5,), (5,)]), ("mv", [(3, 4), (4,)]),
                                          ("outer", [(3,), (4,)]), ("ger", [(2,), (3,)]),
                                          ("matmul", [(2, 1, 3, 4), (5, 4, 2)]), ("matmul", [(4,), (2, 4, 3)])])
def test_products_as_functions_and_methods(name, shapes):
    check_op(getattr(torch, name), getattr(microtorch, name), shapes)
    check_op(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), shapes)


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, 1)])
@pytest.mark.parametrize("input_shape", [(2, 4), (4,), (1, 4)])
def test_addmm_and_baddbmm(input_shape, beta, alpha):
    check_op(lambda c, a, b: torch.addmm(c, a, b, beta=beta, alpha=alpha),
             lambda c, a, b: microtorch.addmm(c, a, b, beta=beta, alpha=alpha), [input_shape, (2, 3), (3, 4)])
    check_op(lambda c, a, b: c.baddbmm(a, b, beta=beta, alpha=alpha),
             lambda c, a, b: c.baddbmm(a, b, beta=beta, alpha=alpha), [(1,) + input_shape, (3, 2, 3), (3, 3, 4)])


@pytest.mark.parametrize("call, message", [
    (lambda: microtorch.mm(microtorch.ones(2, 3), microtorch.ones(4, 5)),
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: microtorch.mm(microtorch.ones(3), microtorch.ones(2, 3)), "self must be a matrix"),
    (lambda: microtorch.bmm(microtorch.ones(2, 3), microtorch.ones(2, 3)), "batch1 must be a 3D tensor"),
    (lambda: microtorch.bmm(microtorch.ones(2, 2, 3), microtorch.ones(2, 4, 5)),
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]"),
    (lambda: microtorch.dot(microtorch.ones(2, 3), microtorch.ones(3)), "1D tensors expected, but got 2D and 1D"),
    (lambda: microtorch.dot(microtorch.ones(3), microtorch.ones(4)), "inconsistent tensor size"),
    (lambda: microtorch.mv(microtorch.ones(2, 3), microtorch.ones(4)), r"size mismatch, got input \(2\)"),
    (lambda: microtorch.mv(microtorch.ones(2, 3), microtorch.ones(2, 3)), "vector \\+ matrix @ vector expected"),
    (lambda: microtorch.outer(microtorch.ones(2, 3), microtorch.ones(4)), "1D tensors expected"),
    (lambda: microtorch.mm(microtorch.ones(2, 3), microtorch.ones(3, 4, dtype=microtorch.float64)), "same dtype"),
    (lambda: microtorch.addmm(microtorch.ones(3), microtorch.ones(2, 3), microtorch.ones(3, 4)), "addmm"),
])
def test_product_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_product_type_errors():
    with pytest.raises(TypeError, match="mat2"):
        microtorch.ones(2, 3).mm([[1.0]])
    with pytest.raises(TypeError, match="mm: expected a Tensor"):
        microtorch.mm(np.ones((2, 2)), microtorch.ones(2, 2))


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(4,), (4,)]), ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("b...,b->...", [(2, 3, 4), (2,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ijk->ik", [(2, 3, 4)]), ("ij,kj->ik", [(2, 1), (3, 4)]),
    ("i j , j -> i", [(2, 3), (3,)]), ("iij->ij", [(3, 3, 2)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(equation, shapes):
    check_op(lambda *t: torch.einsum(equation, *t), lambda *t: microtorch.einsum(equation, *t), shapes)


def test_einsum_takes_a_list_of_operands():
    check_op(lambda a, b: torch.einsum("ij,jk->ik", [a, b]), lambda a, b: microtorch.einsum("ij,jk->ik", [a, b]),
             [(2, 3), (3, 4)])


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3), (2, 3)], "subscript j has size 2 for operand 1 which does not broadcast with previously "
                                    "seen size 3"),
    ("ij,jk", [(2, 3)], "fewer operands were provided than specified in the equation"),
    ("ij", [(2, 3), (3,)], "more operands"),
    ("ijk", [(2, 3)], "number of subscripts in the equation"),
    ("ij->ik", [(2, 3)], "output subscript k does not appear"),
    ("i1", [(2, 3)], "invalid subscript"),
])
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(RuntimeError, match=message):
        microtorch.einsum(equation, *[microtorch.ones(*s) for s in shapes])


# ---------------------------------------------------------------- norms

@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, np.inf, -np.inf, 0])
def test_vector_norm(ord, dim, keepdim):
    check_op(lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim),
             lambda x: microtorch.linalg.vector_norm(x, ord, dim, keepdim), [(3, 4)])


def test_vector_norm_gradient_at_zero_and_ties():
    check_op(lambda x: torch.linalg.vector_norm(x), lambda x: microtorch.linalg.vector_norm(x), arrays=[np.zeros(3)])
    ties = np.array([[1.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    for ord in (np.inf, -np.inf, 1, 2):
        check_op(lambda x: torch.linalg.vector_norm(x, ord, 1), lambda x: microtorch.linalg.vector_norm(x, ord, 1),
                 arrays=[ties])


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, np.inf, -np.inf])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 0)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm(ord, dim, keepdim):
    check_op(lambda x: torch.linalg.matrix_norm(x, ord, dim, keepdim),
             lambda x: microtorch.linalg.matrix_norm(x, ord, dim, keepdim), [(3, 2, 4)])


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"ord": 1}, {"ord": "fro"}, {"ord": "nuc"},
                                    {"ord": np.inf, "dim": (0, 1)}, {"dim": (1, 0), "keepdim": True}], ids=str)
def test_linalg_norm(kwargs):
    check_op(lambda x: torch.linalg.norm(x, **kwargs), lambda x: microtorch.linalg.norm(x, **kwargs), [(3, 4)])


@pytest.mark.parametrize("args", [(), (2,), (1, 1), ("fro",), ("fro", (0, 1)), (np.inf, 0, True), ("nuc",), (3, -1)],
                         ids=str)
def test_tensor_norm_and_torch_norm(args):
    check_op(lambda x: x.norm(*args), lambda x: x.norm(*args), [(3, 4)])
    check_op(lambda x: torch.norm(x, *args), lambda x: microtorch.norm(x, *args), [(3, 4)])


def test_norm_errors():
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got int64"):
        microtorch.linalg.vector_norm(microtorch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        microtorch.linalg.matrix_norm(microtorch.ones(3))
    with pytest.raises(RuntimeError, match="Order 2 not supported"):
        microtorch.linalg.matrix_norm(microtorch.ones(3, 3), 2)
    with pytest.raises(RuntimeError, match="input must be 1D or 2D"):
        microtorch.linalg.norm(microtorch.ones(2, 2, 2), ord=1)
    with pytest.raises(IndexError, match="vector_norm"):
        microtorch.linalg.vector_norm(microtorch.ones(2, 2), dim=2)


@pytest.mark.parametrize("shapes", [[(4,), (4,)], [(2, 4), (3, 4)], [(2, 3, 4), (4,)], [(), (3,)]], ids=str)
def test_inner(shapes):
    check_op(torch.inner, microtorch.inner, shapes)


def test_vdot_and_inner_errors():
    check_op(torch.vdot, microtorch.vdot, [(4,), (4,)])
    with pytest.raises(RuntimeError, match="the last dimension must match"):
        microtorch.inner(microtorch.ones(2, 3), microtorch.ones(4))


@pytest.mark.parametrize("dims, shapes", [(2, [(2, 3, 4), (3, 4, 5)]), (1, [(2, 3), (3, 4)]), (0, [(2,), (3,)]),
                                          (([0], [1]), [(3, 2), (4, 3)]), (([1, 0], [0, 2]), [(3, 4), (4, 2, 3)])],
                         ids=str)
def test_tensordot(dims, shapes):
    check_op(lambda a, b: torch.tensordot(a, b, dims), lambda a, b: microtorch.tensordot(a, b, dims), shapes)


def test_tensordot_errors():
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        microtorch.tensordot(microtorch.ones(2, 3), microtorch.ones(2, 3), 1)
    with pytest.raises(RuntimeError, match="same length"):
        microtorch.tensordot(microtorch.ones(2, 3), microtorch.ones(2, 3), ([0, 1], [0]))


# ---------------------------------------------------------------- inverse, determinant, solve

def _well_conditioned(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, shape) + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)], ids=str)
def test_inv_and_det(shape):
    a = _well_conditioned(*shape)
    check_op(torch.linalg.inv, microtorch.linalg.inv, arrays=[a])
    check_op(torch.linalg.det, microtorch.linalg.det, arrays=[a])
    check_op(torch.inverse, microtorch.inverse, arrays=[a])
    check_op(lambda x: x.det(), lambda x: x.det(), arrays=[a])


@pytest.mark.parametrize("b_shape", [(3,), (3, 2), (2, 3, 1), (2, 3)], ids=str)
def test_solve(b_shape):
    a_shape = (2, 3, 3) if len(b_shape) == 3 or b_shape == (2, 3) else (3, 3)
    b = np.random.default_rng(1).uniform(-1, 1, b_shape)
    check_op(torch.linalg.solve, microtorch.linalg.solve, arrays=[_well_conditioned(*a_shape), b])


def test_inv_det_solve_errors():
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        microtorch.linalg.inv(microtorch.ones(2, 3))
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        microtorch.linalg.det(microtorch.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        microtorch.linalg.solve(microtorch.ones(3, 3), microtorch.ones(2))
    with pytest.raises(RuntimeError, match="same dtype"):
        microtorch.linalg.solve(microtorch.ones(2, 2), microtorch.ones(2, dtype=microtorch.float64))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("shapes", [[(4, 3), (5, 3)], [(2, 4, 3), (2, 5, 3)]], ids=str)
def test_cdist(shapes, p):
    check_op(lambda a, b: torch.cdist(a, b, p), lambda a, b: microtorch.cdist(a, b, p), shapes)


def test_cdist_errors():
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns. X1: 3 X2: 4"):
        microtorch.cdist(microtorch.ones(2, 3), microtorch.ones(2, 4))
