"""check_op: run the same expression in microtorch and in PyTorch, compare values and gradients.

In the spirit of tinygrad's helper_test_op: random inputs of the given shapes, a forward
pass in both libraries, a backward pass with the same random upstream gradient, and
assert_allclose on the output and on the gradient of every input.
"""
import numpy as np

import microtorch

TOLERANCE = {np.float64: 1e-6, np.float32: 1e-4}


def random_inputs(shapes, dtype=np.float64, positive=False, low=-2.0, high=2.0, rng=None):
    """One random ndarray per shape; positive=True draws from [0.5, 2) (for log, pow, div)."""
    rng = np.random.default_rng(0) if rng is None else rng
    if positive:
        low, high = 0.5, 2.0
    return [rng.uniform(low, high, size=shape).astype(dtype) for shape in shapes]


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check_op(torch_fn, our_fn, shapes=None, dtype=np.float64, atol=None, rtol=None, positive=False,
             low=-2.0, high=2.0, arrays=None, grad=True, seed=0):
    """Compare our_fn(*tensors) with torch_fn(*torch_tensors), forward and backward.

    shapes: one shape per input (or pass `arrays` directly). The upstream gradient of
    each output is random, so every path through the op is weighted differently.
    Returns (our outputs, torch outputs) for extra checks.
    """
    import torch

    tol = TOLERANCE[np.dtype(dtype).type]
    atol = tol if atol is None else atol
    rtol = tol if rtol is None else rtol
    rng = np.random.default_rng(seed)
    if arrays is None:
        arrays = random_inputs(shapes, dtype, positive, low, high, rng)
    ours = [microtorch.tensor(a, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]

    our_out = _outputs(our_fn(*ours))
    torch_out = _outputs(torch_fn(*theirs))
    assert len(our_out) == len(torch_out), f"{len(our_out)} outputs, torch gives {len(torch_out)}"
    for mine, reference in zip(our_out, torch_out):
        assert isinstance(mine, microtorch.Tensor), f"expected a Tensor, got {type(mine).__name__}"
        assert mine.shape == tuple(reference.shape), f"shape {mine.shape} != torch {tuple(reference.shape)}"
        assert mine.dtype == np.dtype(str(reference.dtype).replace("torch.", "")), \
            f"dtype {mine.dtype} != torch {reference.dtype}"
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg="forward values differ")
    if not grad:
        return our_out, torch_out

    upstream = [rng.standard_normal(m.shape).astype(m.dtype) for m in our_out]
    differentiable = [(m, r, u) for m, r, u in zip(our_out, torch_out, upstream) if r.requires_grad]
    assert differentiable, "no output requires grad"
    for mine, _, g in differentiable:
        assert mine.requires_grad, "our output does not require grad but torch's does"
    torch.autograd.backward([r for _, r, _ in differentiable],
                            [torch.tensor(u) for _, _, u in differentiable])
    if len(differentiable) == 1:
        differentiable[0][0].backward(differentiable[0][2])
    else:  # several outputs (split): one scalar whose gradient reaches each output as its upstream
        sum((m * microtorch.tensor(u)).sum() for m, _, u in differentiable).backward()
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        if reference.grad is None:
            assert mine.grad is None or np.allclose(mine.grad.numpy(), 0), f"input {i}: unexpected gradient"
            continue
        assert mine.grad is not None, f"input {i}: no gradient, torch has one"
        assert mine.grad.shape == mine.shape
        assert mine.grad.dtype == mine.dtype, f"input {i}: grad dtype {mine.grad.dtype} != {mine.dtype}"
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i} differs")
    return our_out, torch_out


# ---------------------------------------------------------------- a small model whose parameters must not change

def small_model():
    return microtorch.Sequential(microtorch.Linear(3, 4), microtorch.ReLU(), microtorch.Linear(4, 2))


def snapshot(model):
    return [p.numpy().copy() for p in model.parameters()]


def assert_unchanged(model, before):
    for old, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.numpy(), old)


# ---------------------------------------------------------------- a layer against its torch twin

def assert_same_grads(torch_leaves, our_leaves, torch_module, our_module, rtol=1e-7, atol=1e-9):
    """After backward in both: the gradients of the inputs and of every parameter (by torch's names) agree."""
    for i, (theirs, ours) in enumerate(zip(torch_leaves, our_leaves)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
    torch_params = dict(torch_module.named_parameters())
    assert sorted(name for name, _ in our_module.named_parameters()) == sorted(torch_params)
    for name, p in our_module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


def each_byte_flipped(path, data):
    """Write data to path with one byte inverted, for each byte in turn; yields the byte's position."""
    for i in range(len(data)):
        corrupted = bytearray(data)
        corrupted[i] ^= 0xFF
        path.write_bytes(bytes(corrupted))
        yield i
