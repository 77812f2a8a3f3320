"""Convolution benchmark: nn.Conv2d(16, 32, 3) forward + backward on a float32 batch (64, 16, 28, 28).

microtorch against PyTorch eager, both on one thread (threadpoolctl for numpy's BLAS,
torch.set_num_threads(1)), in one run: each round times a block of steps in each library,
alternating which goes first, and the reported ratio is the median of the same-round
ratios, so slow phases of the machine cancel. The input, the weight and the bias all need
gradients. Before timing, the two libraries' outputs and gradients are compared.

Memory (tracemalloc, which sees numpy's buffers): the peak of one step, the im2col columns
it holds, and what is still allocated once backward has returned; the columns must be
gone by then.

    python benchmarks/bench_conv.py [--quick]
"""
import os
import sys

if __name__ == "__main__" and "--keep-openblas-env" not in sys.argv:
    # set on this machine for old OpenBLAS builds; they make the current one pick slower kernels
    for _variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(_variable, None)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # the sibling _which.py

from _which import import_microtorch  # noqa: E402

mt, TIMED = import_microtorch()

BATCH, IN_CHANNELS, OUT_CHANNELS, KERNEL, SIZE = 64, 16, 32, 3, 28
TARGET = 1.1  # microtorch time / PyTorch time, at most (issue 19)
PEERS = ("torch",)  # benchmarks/run.py skips this script, with a note, when one is missing


def _one_thread():
    """numpy's BLAS limited to one thread, when threadpoolctl is there to do it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    mt.manual_seed(seed)
    layer = mt.nn.Conv2d(IN_CHANNELS, OUT_CHANNELS, KERNEL)
    x = rng.standard_normal((BATCH, IN_CHANNELS, SIZE, SIZE)).astype(np.float32)
    upstream = rng.standard_normal((BATCH, OUT_CHANNELS, SIZE - KERNEL + 1, SIZE - KERNEL + 1)).astype(np.float32)
    return layer, x, upstream


def _step_ours(layer, x, upstream):
    layer.zero_grad()
    inputs = mt.tensor(x, requires_grad=True)
    out = layer(inputs)
    out.backward(upstream)
    return out, inputs


def _step_torch(layer, x, upstream):
    import torch
    layer.zero_grad()
    inputs = torch.tensor(x, requires_grad=True)
    out = layer(inputs)
    out.backward(torch.from_numpy(upstream))
    return out, inputs


def _torch_twin(layer):
    import torch
    twin = torch.nn.Conv2d(IN_CHANNELS, OUT_CHANNELS, KERNEL)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.numpy()))
        twin.bias.copy_(torch.from_numpy(layer.bias.numpy()))
    return twin


def _agreement(layer, twin, x, upstream):
    """The largest relative difference between the two libraries' outputs and gradients."""
    out, inputs = _step_ours(layer, x, upstream)
    reference, reference_inputs = _step_torch(twin, x, upstream)
    pairs = [(out.numpy(), reference), (inputs.grad.numpy(), reference_inputs.grad),
             (layer.weight.grad.numpy(), twin.weight.grad), (layer.bias.grad.numpy(), twin.bias.grad)]
    worst = 0.0
    for mine, theirs in pairs:
        theirs = theirs.detach().numpy()
        worst = max(worst, float(np.abs(mine - theirs).max() / (np.abs(theirs).max() + 1e-12)))
    return worst


def _block_time(step, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def _memory(layer, x, upstream):
    """tracemalloc bytes: peak of one step, the columns' size, and what remains after backward."""
    columns = BATCH * IN_CHANNELS * KERNEL * KERNEL * (SIZE - KERNEL + 1) ** 2 * 4
    layer.zero_grad()
    inputs = mt.tensor(x, requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        out = layer(inputs)
        after_forward, _ = tracemalloc.get_traced_memory()
        out.backward(upstream)
        gradients = sum(a.nbytes for a in (inputs.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy()))
        del out  # the output itself is the caller's, not a buffer of the op
        gc.collect()
        after_backward, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"columns_bytes": columns, "held_after_forward_bytes": after_forward - start,
            "peak_bytes": peak - start,
            "held_after_backward_bytes_besides_grads": after_backward - start - gradients}


def run(quick=False):
    """Time the workload in both libraries; returns a dict of the figures (see the module docstring)."""
    import torch
    rounds, repeats = (5, 2) if quick else (15, 4)
    layer, x, upstream = _problem()
    twin = _torch_twin(layer)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _one_thread():
            worst = _agreement(layer, twin, x, upstream)
            if worst > 1e-4:
                raise AssertionError(f"bench_conv: microtorch and PyTorch disagree (relative difference {worst:.2e})")
            ours = (lambda: _step_ours(layer, x, upstream))
            theirs = (lambda: _step_torch(twin, x, upstream))
            for step in (ours, theirs):  # warm-up
                _block_time(step, 2)
            times = {"microtorch": [], "torch": []}
            ratios = []
            for round_index in range(rounds):
                order = [("microtorch", ours), ("torch", theirs)]
                if round_index % 2:
                    order.reverse()
                block = {name: _block_time(step, repeats) for name, step in order}
                for name, seconds in block.items():
                    times[name].append(seconds)
                ratios.append(block["microtorch"] / block["torch"])
            memory = _memory(layer, x, upstream)
    finally:
        torch.set_num_threads(threads)
    ratio = statistics.median(ratios)
    result = {
        "workload": f"Conv2d({IN_CHANNELS}->{OUT_CHANNELS}, {KERNEL}x{KERNEL}) forward+backward, "
                    f"batch {BATCH} at {SIZE}x{SIZE}, float32, 1 thread",
        "rounds": rounds, "steps_per_block": repeats,
        "microtorch_ms": 1e3 * statistics.median(times["microtorch"]),
        "torch_ms": 1e3 * statistics.median(times["torch"]),
        "ratio_microtorch_over_torch": ratio,
        "target_ratio_at_most": TARGET, "target_met": ratio <= TARGET,
        "max_relative_difference": worst,
        **memory,
        "columns_freed_after_backward": memory["held_after_backward_bytes_besides_grads"] < memory["columns_bytes"],
    }
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--keep-openblas-env", action="store_true", help="keep OPENBLAS_* settings")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(result["workload"])
    print(f"  microtorch {result['microtorch_ms']:.1f} ms, PyTorch {result['torch_ms']:.1f} ms: "
          f"ratio {result['ratio_microtorch_over_torch']:.2f}x (target <= {TARGET}x: "
          f"{'met' if result['target_met'] else 'NOT met'})")
    print(f"  outputs and gradients agree to {result['max_relative_difference']:.1e} (relative)")
    mib = 2 ** 20
    print(f"  memory: im2col columns {result['columns_bytes'] / mib:.1f} MiB, held after forward "
          f"{result['held_after_forward_bytes'] / mib:.1f} MiB, peak {result['peak_bytes'] / mib:.1f} MiB, "
          f"held after backward besides the gradients {result['held_after_backward_bytes_besides_grads'] / mib:.1f} MiB"
          f" (columns freed: {result['columns_freed_after_backward']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
