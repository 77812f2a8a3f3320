"""Thread safety, as in PyTorch: concurrent backward into shared leaves sums the gradients,
backward through one retained graph from several threads is correct in each, grad mode is per
thread. The short form runs by default; MICROTORCH_LONG=1 runs 8 threads x 1,000 backward calls."""
import os
import sys
import threading

import numpy as np
import pytest

import microtorch as mt

THREADS = 8
CALLS = 1000 if os.environ.get("MICROTORCH_LONG") == "1" else 50


@pytest.fixture(autouse=True)
def _switch_threads_often():
    """Let the interpreter switch threads every microsecond, so that races show up."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_threads(work, count=THREADS):
    """Run work(index) in count threads started together; re-raise the first error."""
    errors = []
    barrier = threading.Barrier(count)

    def target(index):
        try:
            barrier.wait()
            work(index)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("shape", [(3,), (64, 64)], ids=["small", "large"])
def test_concurrent_backward_into_a_shared_leaf_sums_every_gradient(shape):
    # The large leaf makes numpy release the GIL inside each in-place add.
    w = mt.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)

    def work(index):
        for _ in range(CALLS):
            ((w * (index + 1.0)).tanh() * 0 + w * (index + 1.0)).sum().backward()

    run_threads(work)
    expected = sum(index + 1.0 for index in range(THREADS)) * CALLS
    np.testing.assert_allclose(w.grad.numpy(), np.full(shape, expected))


def test_concurrent_backward_into_leaves_with_hooks_and_retained_grads():
    w = mt.randn(5, dtype=mt.float64, requires_grad=True)
    w.register_hook(lambda grad: grad * 2)

    def work(index):
        for _ in range(CALLS):
            h = w * 3.0
            h.retain_grad()
            (h * h).sum().backward()
            np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())

    run_threads(work)
    np.testing.assert_allclose(w.grad.numpy(), THREADS * CALLS * 2 * 18 * w.numpy())


def test_backward_through_one_retained_graph_from_several_threads():
    # Every thread backpropagates through the same nodes (h's) at once; each has its own leaf,
    # whose gradient says whether its pass saw exactly its own gradients.
    x = mt.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    h = (x * 2.0).tanh()
    scales = [mt.tensor(np.full(6, i + 1.0), requires_grad=True) for i in range(THREADS)]
    outputs = [(h * h * scale).sum() for scale in scales]

    def work(index):
        for _ in range(CALLS):
            outputs[index].backward(retain_graph=True)

    run_threads(work)
    t = np.tanh(2 * np.linspace(-1, 1, 6))
    for scale in scales:
        np.testing.assert_allclose(scale.grad.numpy(), CALLS * t * t, rtol=1e-10)
    total = sum(i + 1.0 for i in range(THREADS)) * CALLS
    np.testing.assert_allclose(x.grad.numpy(), total * 2 * t * (1 - t * t) * 2, rtol=1e-10)


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def disabled():
        with mt.no_grad():
            inside.set()
            release.wait(10)
            seen["disabled"] = (mt.is_grad_enabled(), (mt.ones(2, requires_grad=True) * 2).requires_grad)

    thread = threading.Thread(target=disabled)
    thread.start()
    inside.wait(10)
    seen["main"] = (mt.is_grad_enabled(), (mt.ones(2, requires_grad=True) * 2).requires_grad)
    release.set()
    thread.join()
    assert seen == {"disabled": (False, False), "main": (True, True)}


def test_a_new_thread_starts_with_grad_mode_on():
    seen = []
    with mt.no_grad():
        thread = threading.Thread(target=lambda: seen.append(mt.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
