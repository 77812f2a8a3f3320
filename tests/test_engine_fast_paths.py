"""The engine's fast paths keep PyTorch's semantics: dunders, cycle collection, version counters, layouts."""
import gc
import weakref

import numpy as np
import pytest

import microtorch as mt
from microtorch.autograd import Function


def leaf(*shape, dtype=np.float64):
    return mt.tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype), requires_grad=True)


# ---------------------------------------------------------------- the cycle collector

def test_nodes_of_a_plain_graph_are_hidden_from_the_cycle_collector():
    x = leaf(3)
    y = (x * 2 + 1).tanh().sum()
    node = y.grad_fn
    while node is not None:
        assert not gc.is_tracked(node), node
        parents = [e for e in node.inputs if isinstance(e, type(node))]
        node = parents[0] if parents else None


def test_a_hook_that_refers_to_its_own_tensor_is_collected():
    x = leaf(3)
    y = x * 2
    z = y * 3
    z.register_hook(lambda grad, z=z: None)  # z -> node -> hooks -> lambda -> z
    alive = weakref.ref(z)
    del y, z
    gc.collect()
    assert alive() is None


def test_a_hook_registered_before_the_consumer_that_it_refers_to_is_collected():
    x = leaf(3)
    y = x * 2
    box = []
    y.register_hook(lambda grad, box=box: None)
    z = y * 3              # created after the hook: its node is tracked, as y's is
    box.append(z)          # y.node -> hook -> box -> z -> z.node -> y.node
    alive = weakref.ref(z)
    del y, z, box
    gc.collect()
    assert alive() is None


def test_an_object_stashed_on_ctx_that_refers_back_to_the_graph_is_collected():
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.box = []
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = Keep.apply(leaf(3))
    y.grad_fn.box.append(y)    # y -> node -> ctx.box -> y
    alive = weakref.ref(y)
    del y
    gc.collect()
    assert alive() is None


def test_values_stored_on_ctx_behave_like_attributes_and_are_freed_by_backward():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    x = leaf(3)
    y = Scale.apply(x, 2.5)
    node = y.grad_fn
    assert node.factor == 2.5 and vars(node) == {"factor": 2.5}
    node.extra = "kept"
    del node.extra
    with pytest.raises(AttributeError, match="no attribute 'extra'"):
        node.extra
    with pytest.raises(AttributeError, match="missing"):   # Python 3.10 says only the name
        del node.missing
    with pytest.raises(AttributeError, match="saved_tensors"):
        node.saved_tensors = ()          # the node's own read-only attributes are not shadowed
    node.needs_input_grad = (True, False)   # nor are its settable ones: this sets the field itself
    assert node.needs_input_grad == (True, False) and "needs_input_grad" not in vars(node)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.5))
    with pytest.raises(AttributeError, match="no attribute 'factor'"):
        node.factor                      # released with the saved arrays


def test_a_value_stored_on_ctx_is_freed_with_its_node():
    class Payload:
        pass

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.payload = Payload()
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = Keep.apply(leaf(3))
    alive = weakref.ref(y.grad_fn.payload)
    del y                      # no backward, no cycle: the node's own dealloc must free the value
    assert alive() is None


def test_untracked_graph_still_backpropagates_and_frees_its_arrays():
    x = leaf(4, 4)
    w = leaf(4, 4)
    loss = ((x @ w).tanh() * x).sum()
    loss.backward()
    torch = pytest.importorskip("torch")
    tx, tw = torch.tensor(x.numpy(), requires_grad=True), torch.tensor(w.numpy(), requires_grad=True)
    ((tx @ tw).tanh() * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    assert loss.grad_fn.is_released


# ---------------------------------------------------------------- fast dunders

def test_fast_dunders_keep_promotion_and_messages():
    x = mt.tensor([1.0, 2.0])                       # float32
    assert (x * 2).dtype == np.float32
    assert (x * 2.5).dtype == np.float32
    assert (2.5 - x).tolist() == [1.5, 0.5]
    assert (mt.tensor([1, 2]) * 0.5).dtype == np.float32   # int tensor meets a float: the checked path
    assert (x + mt.tensor([1, 2])).dtype == np.float32
    assert (x + np.float64(1.0)).dtype == np.float32
    with pytest.raises(RuntimeError, match=r"add: shapes \(2,\) and \(3,\) cannot be broadcast"):
        x + mt.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"sub: shapes \(2,\) and \(3,\) cannot be broadcast"):
        mt.tensor([1.0, 2.0, 3.0]).__rsub__(x)
    with pytest.raises(TypeError, match="mul: unsupported operand type str"):
        x * "a"


def test_fast_dunders_record_the_same_graph():
    a, b = leaf(2, 3), leaf(3)
    (a * b - b / a).sum().backward()
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(), requires_grad=True)
    (ta * tb - tb / ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- version counters

def test_in_place_change_of_one_saved_array_is_caught_and_others_are_not_confused():
    x = leaf(3)
    e1 = x.exp()            # saves its own output
    e2 = (x * 2).exp()      # another node with one saved array
    loss1, loss2 = e1.sum(), e2.sum()
    with mt.no_grad():
        e1.add_(1.0)
    loss2.backward()        # e2's node is untouched
    with pytest.raises(RuntimeError, match="a tensor saved by Exp for backward"):
        loss1.backward()


def test_pow_keeps_tracking_its_saved_base():
    x = leaf(3)
    y = x * 1
    loss = (y ** 2).sum()
    with mt.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="a tensor saved by Pow for backward"):
        loss.backward()


@pytest.mark.parametrize("modified", range(4))
def test_every_saved_tensor_is_tracked_when_an_op_saves_many(modified):
    # The first two saved counters are stored inline in the node, the rest in a list: check each slot.
    class Product4(Function):
        @staticmethod
        def forward(ctx, a, b, c, d):
            ctx.save_for_backward(a, b, c, d)
            return a * b * c * d

        @staticmethod
        def backward(ctx, grad):
            a, b, c, d = ctx.saved_tensors
            return grad * b * c * d, grad * a * c * d, grad * a * b * d, grad * a * b * c

    inputs = [leaf(3) * 1 for _ in range(4)]
    loss = Product4.apply(*inputs).sum()
    with mt.no_grad():
        inputs[modified].add_(1.0)
    with pytest.raises(RuntimeError, match="a tensor saved by Product4 for backward"):
        loss.backward()
    untouched = [leaf(3) * 1 for _ in range(4)]
    Product4.apply(*untouched).sum().backward()   # no edit: no error


def test_error_in_backward_leaves_no_parked_gradient():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("boom")

    x = leaf(3)
    y = x * 2
    loss = (Boom.apply(y) + y).sum()
    with pytest.raises(ValueError, match="boom"):
        loss.backward(retain_graph=True)
    assert x.grad is None


# ---------------------------------------------------------------- layouts

def test_linear_weight_gradient_is_contiguous():
    layer = mt.nn.Linear(5, 3)
    layer(mt.randn(4, 5)).sum().backward()
    assert layer.weight.grad.numpy().flags.c_contiguous
    assert layer.weight.grad.shape == layer.weight.shape
