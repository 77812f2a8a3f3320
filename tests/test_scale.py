"""Big graphs, long runs and threads: deep and wide graphs backpropagate correctly,
memory stays flat, dropped graphs are freed at once, grad mode is per thread."""
import gc
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import microtorch as mt
from microtorch.nn import functional as F


@pytest.fixture
def no_cyclic_gc():
    """Everything must be freed by reference counting alone."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


# ---------------------------------------------------------------- deep and wide graphs

def test_a_million_op_chain():
    # y = ((x * c0) + d0) * c1 + d1 ...: 500,000 Muls and 500,000 Adds, one after another.
    steps = 500_000
    rng = np.random.default_rng(0)
    scales = 1 + rng.uniform(-1e-3, 1e-3, steps)
    shifts = rng.uniform(-1, 1, steps)
    x = mt.tensor(np.float64(0.5), requires_grad=True)
    y = x
    for c, d in zip(scales.tolist(), shifts.tolist()):
        y = y * c + d
    expected = 0.5
    for c, d in zip(scales.tolist(), shifts.tolist()):
        expected = expected * c + d
    np.testing.assert_allclose(y.item(), expected, rtol=1e-12)
    y.backward()
    np.testing.assert_allclose(x.grad.item(), np.prod(scales), rtol=1e-9)
    assert y.grad_fn.is_released  # the saved arrays were freed as backward went


def test_one_tensor_used_by_a_hundred_thousand_ops():
    uses = 100_000
    rng = np.random.default_rng(1)
    scales = rng.uniform(-1, 1, uses)
    x = mt.tensor(rng.standard_normal(3), requires_grad=True)
    products = [x * c for c in scales.tolist()]
    weights = rng.standard_normal((uses, 3))
    (mt.stack(products) * mt.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (scales[:, None] * weights).sum(axis=0), rtol=1e-9)


def test_a_million_node_graph_that_shares_subexpressions():
    # y_{k+1} = y_k * a_k + y_k * b_k: y_k feeds two ops, so dy_n/dx = prod(a_k + b_k). A traversal
    # without dependency counting would run a node before both gradients arrived, or run it twice
    # (2^333,333 paths); one that keeps only one branch would give prod(a_k).
    steps = 1_000_000 // 3 + 1
    rng = np.random.default_rng(2)
    a = rng.uniform(0.2, 0.8, steps)
    b = 1 - a + rng.uniform(-1e-3, 1e-3, steps)
    x = mt.tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = x
    for a_k, b_k in zip(a.tolist(), b.tolist()):
        y = y * a_k + y * b_k
    y.backward(mt.tensor(np.array([1.0, 3.0])))
    growth = np.prod(a + b)
    np.testing.assert_allclose(y.numpy(), x.numpy() * growth, rtol=1e-9)
    np.testing.assert_allclose(x.grad.numpy(), np.array([1.0, 3.0]) * growth, rtol=1e-9)


def test_deep_graph_is_freed_without_recursion_when_dropped(no_cyclic_gc):
    x = mt.tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y.tanh()  # each node saves its output
    tracker = weakref.ref(y)
    del y  # releasing a 200,000-deep chain of nodes must not overflow the C stack
    assert tracker() is None


def test_a_0d_tensor_used_three_times():
    x = mt.tensor(np.float64(2.0), requires_grad=True)
    (x * 1.0 + x * 2.0 + x * 3.0).backward()
    assert x.grad.item() == 6.0


# ---------------------------------------------------------------- memory

def _mlp_step_fn():
    mt.manual_seed(0)
    model = mt.Sequential(mt.Linear(4, 16), mt.ReLU(), mt.Linear(16, 16), mt.Tanh(), mt.Linear(16, 3))
    opt = mt.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    target = mt.tensor(rng.integers(0, 3, 32))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def test_memory_is_flat_over_5000_training_steps(no_cyclic_gc):
    step = _mlp_step_fn()
    first = [step() for _ in range(200)]  # warm-up: optimizer state, freelists, caches
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(5000):
            last = step()
        growth = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert last < first[0]  # it did train
    assert growth < 1_000_000, f"memory grew by {growth} bytes over 5000 steps"


def test_dropped_graph_is_freed_at_once(no_cyclic_gc):
    w = mt.randn(1000, 1000, requires_grad=True)  # 4 MB
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        hidden = (w * 2.0).tanh()
        saved = weakref.ref(hidden.numpy())  # saved by Tanh (its output) and by the Mul that uses it
        loss = (hidden * w).exp().sum()
        del hidden
        assert saved() is not None  # kept alive by the graph only
        assert tracemalloc.get_traced_memory()[0] - baseline > 7_500_000  # tanh and exp outputs, 4 MB each
        del loss  # no backward: dropping the result must free every node and saved array
        assert saved() is None
        assert tracemalloc.get_traced_memory()[0] - baseline < 100_000
    finally:
        tracemalloc.stop()


def test_backward_frees_saved_arrays_as_it_goes(no_cyclic_gc):
    w = mt.randn(500, 500, requires_grad=True)
    hidden = w.exp()
    saved = weakref.ref(hidden.numpy())
    loss = hidden.sum()
    del hidden
    loss.backward()
    assert saved() is None  # freed by backward, though `loss` (and so the graph root) is still alive
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_no_grad_evaluation_records_nothing(no_cyclic_gc):
    model = mt.Sequential(mt.Linear(3, 8), mt.ReLU(), mt.Linear(8, 2))
    x = mt.randn(5, 3)
    with mt.no_grad():
        out = model(x)
        loss = F.cross_entropy(out, mt.tensor([0, 1, 0, 1, 1]))
    for result in (out, loss):
        assert result.grad_fn is None and not result.requires_grad and result.is_leaf
    assert all(p._version == 0 for p in model.parameters())

    @mt.no_grad()
    def evaluate(inputs):
        return model(inputs)

    assert evaluate(x).grad_fn is None
    with mt.set_grad_enabled(False):
        assert (model(x) * 2).grad_fn is None
    assert model(x).grad_fn is not None  # and grad mode is back on


# ---------------------------------------------------------------- threads

def test_grad_mode_is_per_thread():
    entered, checked = threading.Event(), threading.Event()
    seen = {}
    w = mt.randn(3, requires_grad=True)

    def evaluator():
        with mt.no_grad():
            entered.set()
            checked.wait(10)
            seen["worker"] = (mt.is_grad_enabled(), (w * 2).grad_fn)

    thread = threading.Thread(target=evaluator)
    thread.start()
    assert entered.wait(10)
    seen["main"] = (mt.is_grad_enabled(), (w * 2).grad_fn)  # the other thread is inside no_grad
    checked.set()
    thread.join(10)
    assert seen["main"][0] is True and seen["main"][1] is not None
    assert seen["worker"] == (False, None)


def _train(seed, steps, barrier=None, evaluate=False):
    """Train a small model; returns its final parameters. With a barrier, threads take steps in lockstep."""
    rng = np.random.default_rng(seed)
    model = mt.Sequential(mt.Linear(3, 16), mt.Tanh(), mt.Linear(16, 2))
    for p in model.parameters():  # seed-determined weights, independent of the shared global generator
        p.data = rng.standard_normal(p.shape).astype(np.float32) * 0.5
    opt = mt.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = mt.tensor(rng.standard_normal((64, 3)).astype(np.float32))
    target = mt.tensor(rng.integers(0, 2, 64))
    for _ in range(steps):
        if barrier is not None:
            barrier.wait(10)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        if evaluate:
            with mt.no_grad():  # the other thread is training meanwhile
                model(x).sum()
        loss.backward()
        opt.step()
    return [p.numpy().copy() for p in model.parameters()]


def test_two_threads_train_two_models_like_one_after_the_other():
    steps = 150
    sequential = [_train(10, steps, evaluate=True), _train(20, steps)]
    results = [None, None]
    barrier = threading.Barrier(2)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=lambda i=i, seed=seed, ev=ev: results.__setitem__(
                       i, _train(seed, steps, barrier, evaluate=ev)))
                   for i, (seed, ev) in enumerate([(10, True), (20, False)])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    for alone, together in zip(sequential, results):
        assert together is not None, "a training thread failed"
        for a, b in zip(alone, together):
            np.testing.assert_array_equal(a, b)
