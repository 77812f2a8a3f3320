"""Scalar engine benchmark: one training step of MLP(2, [16, 16, 1]) with tanh over 64 points.

Compares, in one run with interleaved rounds:
  - microtorch Var (forward, backward, whole step) against micrograd 0.1.0 on the same network,
    with the cyclic GC off during each step (the target) and, reported beside it, on,
  - Var forward against the same forward with plain Python floats and math.tanh (no graph).
All three share the weights and the code shape (`sum(map(mul, w, x), b)` per neuron), so the
ratios measure the engines, not the loops around them. "Var backward" is backward() as a
training loop calls it, which also frees the graph; "graph kept" is backward(retain_graph=True),
with the freeing timed separately. Timings are wall clock (run on an idle machine) or, with
--clock cpu, this thread's CPU time. Backward is one loop over the tape the forward pass
just wrote, so its time depends on how much of that tape is still in the CPU caches.

    python benchmarks/bench_scalar.py [--rounds 30] [--clock wall|cpu] [--json benchmarks/results_scalar.json]
"""
import argparse
import datetime
import gc
import json
import math
import operator
import os
import pathlib
import platform
import random
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # the sibling _which.py

from _which import import_microtorch  # noqa: E402

_, TIMED = import_microtorch()
from microtorch.scalar import MLP, Var  # noqa: E402

CLOCK = time.perf_counter     # --clock cpu switches to this thread's CPU time
N_POINTS = 64
SIZES = [2, 16, 16, 1]

TARGETS = {  # name of the ratio -> the least it should be
    "micrograd step / Var step": 25.0,
    "float forward / Var forward": 1 / 3,
    "Var forward / Var backward": 10.0,
    "Var forward / backward, graph kept": 10.0,
}
PEERS = ("micrograd",)  # benchmarks/run.py skips this script, with a note, when one is missing


def make_data(seed=0):
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(N_POINTS)]
    ys = [math.sin(x0) * math.cos(x1) for x0, x1 in xs]
    return xs, ys


# ---- the three engines on one network --------------------------------------------------

def network_loss(layers, xs, ys, tanh):
    """Squared error of the network given as [(weights, bias) per neuron] per layer.

    The same code runs on floats, Vars and micrograd Values; only `tanh` differs.
    """
    total = 0.0
    for x, y in zip(xs, ys):
        for hidden in layers[:-1]:
            x = [tanh(sum(map(operator.mul, w, x), b)) for w, b in hidden]
        (w, b), = layers[-1]
        total = total + (sum(map(operator.mul, w, x), b) - y) ** 2
    return total


def mlp_loss(model, xs, ys):
    """The same loss through microtorch.scalar.MLP, as a user would write it."""
    return sum((model(x) - y) ** 2 for x, y in zip(xs, ys))


def var_layers(model):
    return [[(n.w, n.b) for n in layer.neurons] for layer in model.layers]


def float_layers(model):
    return [[([w.val for w in ws], b.val) for ws, b in layer] for layer in var_layers(model)]


def micrograd_layers(model):
    from micrograd.engine import Value
    return [[([Value(w) for w in ws], Value(b)) for ws, b in layer] for layer in float_layers(model)]


def micrograd_tanh(v):
    # micrograd 0.1.0 has relu only; this is tanh written the way its ops are.
    from micrograd.engine import Value
    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t * t) * out.grad
    out._backward = _backward
    return out


# ---- measurement -------------------------------------------------------------------------

def check_gradients(model, nets, xs, ys):
    model.zero_grad()
    network_loss(nets["Var"], xs, ys, Var.tanh).backward()
    ours = [p.grad for p in model.parameters()]
    model.zero_grad()
    mlp_loss(model, xs, ys).backward()
    via_mlp = [p.grad for p in model.parameters()]
    loss = network_loss(nets["micrograd"], xs, ys, micrograd_tanh)
    loss.backward()
    theirs = [p.grad for layer in nets["micrograd"] for w, b in layer for p in w + [b]]
    assert len(ours) == len(theirs) == len(via_mlp)
    worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(ours + via_mlp, theirs + theirs))
    assert worst < 1e-9, f"Var and micrograd gradients differ: worst relative error {worst:.3g}"
    loss_float = network_loss(nets["float"], xs, ys, math.tanh)
    assert math.isclose(loss_float, loss.data, rel_tol=1e-12), (loss_float, loss.data)
    return worst


def time_round(model, nets, xs, ys):
    """One round: each engine's step, with the cyclic GC off during the step and a collection
    before it (micrograd makes reference cycles: this gives it its best case, spares the others,
    and keeps the graph in cache between forward and backward, as in training); then the Var
    and micrograd steps again with the GC on, as a training loop runs by default."""
    times = {}
    clock = CLOCK

    def var_step():
        t0 = clock()
        loss = network_loss(nets["Var"], xs, ys, Var.tanh)
        t1 = clock()
        loss.backward()
        t2 = clock()
        times.update({"Var forward": t1 - t0, "Var backward": t2 - t1, "Var step": t2 - t0})

    def var_kept():
        loss = [network_loss(nets["Var"], xs, ys, Var.tanh)]
        t0 = clock()
        loss[0].backward(retain_graph=True)
        t1 = clock()
        loss.clear()
        t2 = clock()
        times.update({"Var backward, graph kept": t1 - t0, "Var freeing the kept graph": t2 - t1})

    def timed(name, fn):
        t0 = clock()
        fn()
        times[name] = clock() - t0

    steps = [
        var_step,
        var_kept,
        lambda: timed("Var step via scalar.MLP", lambda: mlp_loss(model, xs, ys).backward()),
        lambda: timed("float forward", lambda: network_loss(nets["float"], xs, ys, math.tanh)),
        lambda: timed("micrograd step",
                      lambda: network_loss(nets["micrograd"], xs, ys, micrograd_tanh).backward()),
    ]
    for step in steps:
        gc.collect()
        gc.disable()
        try:
            step()
        finally:
            gc.enable()
    # The same two steps as a training loop runs them by default: the cyclic GC on throughout.
    gc.collect()
    timed("Var step, GC on", lambda: network_loss(nets["Var"], xs, ys, Var.tanh).backward())
    timed("micrograd step, GC on", lambda: network_loss(nets["micrograd"], xs, ys, micrograd_tanh).backward())
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: time.thread_time, which ignores time spent preempted on a busy machine")
    parser.add_argument("--json", default=str(pathlib.Path(__file__).with_name("results_scalar.json")))
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter

    import micrograd
    import microtorch._version
    random.seed(0)
    model = MLP(SIZES[0], SIZES[1:])
    nets = {"Var": var_layers(model), "float": float_layers(model), "micrograd": micrograd_layers(model)}
    xs, ys = make_data()
    n_nodes = count_nodes(nets["Var"], xs, ys)
    worst = check_gradients(model, nets, xs, ys)

    for _ in range(args.warmup):
        time_round(model, nets, xs, ys)
    rounds = [time_round(model, nets, xs, ys) for _ in range(args.rounds)]

    medians = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    ratios = {
        "micrograd step / Var step": statistics.median(r["micrograd step"] / r["Var step"] for r in rounds),
        "micrograd step / Var step, GC on": statistics.median(
            r["micrograd step, GC on"] / r["Var step, GC on"] for r in rounds),
        "float forward / Var forward": statistics.median(r["float forward"] / r["Var forward"] for r in rounds),
        "Var forward / Var backward": statistics.median(r["Var forward"] / r["Var backward"] for r in rounds),
        "Var forward / backward, graph kept": statistics.median(
            r["Var forward"] / r["Var backward, graph kept"] for r in rounds),
    }

    versions = {"python": platform.python_version(), "microtorch": microtorch._version.__version__,
                "micrograd": getattr(micrograd, "__version__", "0.1.0"), "platform": platform.platform()}
    date = datetime.datetime.now().isoformat(timespec="seconds")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"scalar benchmark, {date}, {os.cpu_count()} CPUs, load average {load:.2f} at the end, "
          f"{args.clock} clock")
    print(f"python {versions['python']}, microtorch {versions['microtorch']}, "
          f"micrograd {versions['micrograd']}, {versions['platform']}")
    print(f"MLP{SIZES} tanh, {N_POINTS} points, squared error: {n_nodes} Vars per step; "
          f"{args.rounds} rounds after {args.warmup} warm-up; gradients agree with micrograd to {worst:.1e}")
    print()
    width = max(map(len, list(medians) + list(ratios))) + 2
    print(f"{'timing (median)':<{width}}{'ms':>10}{'ns/Var':>10}")
    for name, seconds in medians.items():
        print(f"{name:<{width}}{seconds * 1e3:>10.3f}{seconds * 1e9 / n_nodes:>10.1f}")
    print()
    print(f"{'ratio (median of same-round)':<{width}}{'value':>10}{'target':>10}  met")
    met = {name: value >= TARGETS[name] for name, value in ratios.items() if name in TARGETS}
    for name, value in ratios.items():   # the GC-on ratio is reported without a target
        target = f">= {TARGETS[name]:.2f}" if name in TARGETS else "-"
        verdict = ("yes" if met[name] else "NO") if name in met else "-"
        print(f"{name:<{width}}{value:>10.2f}{target:>10}  {verdict}")

    result = {"date": date, "cpus": os.cpu_count(), "load_average": load, "clock": args.clock,
              "versions": versions,
              "network": SIZES, "points": N_POINTS, "vars_per_step": n_nodes, "rounds": args.rounds,
              "median_seconds": medians, "ratios": ratios, "targets": TARGETS, "met": met}
    pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    return 0


def count_nodes(layers, xs, ys):
    """Vars in one step's graph that backward visits: the recorded ops and the parameters."""
    seen, stack = set(), [network_loss(layers, xs, ys, Var.tanh)]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(i for i in v.inputs if i.requires_grad)   # not number operands
    return len(seen)


if __name__ == "__main__":
    gc.collect()
    sys.exit(main())
