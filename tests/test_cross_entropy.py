"""cross_entropy and nll_loss (and their layers) against PyTorch in float64: (N, C), (C,) and (N, C, d1, ...)
inputs, class weights, ignore_index, label smoothing, every reduction, class-probability targets, and torch's
errors for bad targets."""
import numpy as np
import pytest
import torch

import microtorch
from microtorch import nn
from microtorch.nn import functional as F
from helpers import check_op

TF = torch.nn.functional
SHAPES = [(6, 5), (5,), (3, 5, 4), (2, 5, 3, 2)]


def class_targets(shape, rng, ignore_index=None):
    """Integer targets for logits of shape (N, C, ...) or (C,), two of them ignore_index (if given)."""
    classes = shape[1] if len(shape) > 1 else shape[0]
    target = rng.integers(0, classes, size=(shape[0],) + shape[2:] if len(shape) > 1 else ())
    if ignore_index is not None and target.ndim:
        target.flat[[0, -1]] = ignore_index
    return target


def optional(array, library):
    return None if array is None else library.tensor(array)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore_index", [None, -100, 2])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_class_targets(shape, reduction, use_weight, ignore_index, label_smoothing):
    rng = np.random.default_rng(len(shape))
    target = class_targets(shape, rng, ignore_index)
    weight = rng.uniform(0.5, 2, 5) if use_weight else None
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing,
                  ignore_index=-100 if ignore_index is None else ignore_index)
    check_op(lambda x: TF.cross_entropy(x, torch.tensor(target), optional(weight, torch), **kwargs),
             lambda x: F.cross_entropy(x, microtorch.tensor(target), optional(weight, microtorch), **kwargs), [shape])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore_index", [None, -100, 2])
def test_nll_loss(shape, reduction, use_weight, ignore_index):
    rng = np.random.default_rng(len(shape))
    target = class_targets(shape, rng, ignore_index)
    weight = rng.uniform(0.5, 2, 5) if use_weight else None
    kwargs = dict(reduction=reduction, ignore_index=-100 if ignore_index is None else ignore_index)
    check_op(lambda x: TF.nll_loss(x, torch.tensor(target), optional(weight, torch), **kwargs),
             lambda x: F.nll_loss(x, microtorch.tensor(target), optional(weight, microtorch), **kwargs), [shape])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_cross_entropy_probability_targets(shape, reduction, use_weight, label_smoothing):
    rng = np.random.default_rng(7)
    probabilities = np.moveaxis(rng.dirichlet(np.ones(5), size=(shape[0],) + shape[2:] if len(shape) > 1 else ()),
                                -1, 1 if len(shape) > 1 else 0)
    weight = rng.uniform(0.5, 2, 5) if use_weight else None
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    # gradients reach the targets too
    check_op(lambda x, p: TF.cross_entropy(x, p, optional(weight, torch), **kwargs),
             lambda x, p: F.cross_entropy(x, p, optional(weight, microtorch), **kwargs),
             arrays=[rng.standard_normal(shape), probabilities])


def test_every_target_ignored_gives_nan_like_torch():
    target = np.full(3, -100)
    for fn in ("cross_entropy", "nll_loss"):
        ours = getattr(F, fn)(microtorch.randn(3, 4), microtorch.tensor(target))
        assert np.isnan(ours.item()) and np.isnan(getattr(TF, fn)(torch.randn(3, 4), torch.tensor(target)).item())


@pytest.mark.parametrize("kwargs", [{}, dict(reduction="sum", label_smoothing=0.1),
                                    dict(weight=[1.0, 2.0, 0.5, 1.5], ignore_index=1, reduction="none")])
def test_loss_layers_take_every_option(kwargs):
    target = np.array([[0, 2], [1, 3], [3, 1]])
    torch_kwargs = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in kwargs.items()}
    ours_kwargs = {k: microtorch.tensor(v, dtype=np.float64) if k == "weight" else v for k, v in kwargs.items()}
    check_op(lambda x: torch.nn.CrossEntropyLoss(**torch_kwargs)(x, torch.tensor(target)),
             lambda x: nn.CrossEntropyLoss(**ours_kwargs)(x, microtorch.tensor(target)), [(3, 4, 2)])
    nll_torch = {k: v for k, v in torch_kwargs.items() if k != "label_smoothing"}
    nll_ours = {k: v for k, v in ours_kwargs.items() if k != "label_smoothing"}
    check_op(lambda x: torch.nn.NLLLoss(**nll_torch)(x, torch.tensor(target)),
             lambda x: nn.NLLLoss(**nll_ours)(x, microtorch.tensor(target)), [(3, 4, 2)])


def test_the_weight_is_part_of_the_layers_state_like_torch():
    ours = nn.CrossEntropyLoss(weight=microtorch.tensor([1.0, 2.0]))
    assert set(ours.state_dict()) == set(torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0])).state_dict())


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_bad_targets_raise_torchs_errors(fn):
    ours, x = getattr(F, fn), microtorch.randn(3, 4)
    with pytest.raises(IndexError, match=rf"{fn}: target 7 is out of bounds"):
        ours(x, microtorch.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match=rf"{fn}: target -1 is out of bounds"):
        ours(x, microtorch.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"expected input batch_size \(3\) to match target batch_size \(2\)"):
        ours(x, microtorch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"expected target size \[3, 5\], got \[3, 4\]"):
        ours(microtorch.randn(3, 4, 5), microtorch.zeros(3, 4, dtype=microtorch.long))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got float32"):
        ours(x, microtorch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 classes or no classes"):
        ours(x, microtorch.tensor([0, 1, 2]), weight=microtorch.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        ours(x, microtorch.tensor([0, 1, 2]), reduction="bad")


def test_cross_entropy_probability_target_errors():
    x = microtorch.randn(3, 4)
    with pytest.raises(RuntimeError, match="expected floating point type for target with class probabilities"):
        F.cross_entropy(x, microtorch.zeros(3, 4, dtype=microtorch.long))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, microtorch.rand(3, 4), ignore_index=2)
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, microtorch.tensor([0, 1, 2]), label_smoothing=1.5)
    F.cross_entropy(x, microtorch.rand(3, 4), ignore_index=-1)  # a negative ignore_index is no error, as torch
