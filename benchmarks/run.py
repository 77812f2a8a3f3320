"""Tensor engine benchmarks: microtorch against a hand-written numpy floor and PyTorch eager.

    python benchmarks/run.py [--quick] [--rounds N] [--json benchmarks/results.json]

The numpy floor is the same math written directly in numpy, with no graph: the fewest
kernel calls that compute the forward pass and the gradients that are needed. Its
distance to microtorch is the engine's cost: method calls, graph nodes, the backward
traversal and any wasted kernel.

Method: every engine first runs each workload in float64 and its gradients must agree
with the floor's. Then, after a warm-up, each round times one block of every engine
back to back (the order rotates from round to round); the table reports the median
block time and the median of the same-round ratios, so that slow phases of the machine
cancel. Timings use one thread (numpy's BLAS through threadpoolctl, torch.set_num_threads);
the large workloads are timed again with the default thread count. Peak memory is
tracemalloc's peak over one training step (numpy reports its buffers to tracemalloc,
PyTorch does not).

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for this process only, before numpy
loads: they are set on this machine for old OpenBLAS builds and make the current one
pick slower kernels. The kernel OpenBLAS runs is printed (threadpoolctl). Pass
--keep-openblas-env to keep them.
"""
import os
import sys

if "--keep-openblas-env" not in sys.argv:
    for _variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(_variable, None)

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))          # the sibling benchmark scripts

from _which import import_microtorch, missing_peer  # noqa: E402

mt, TIMED = import_microtorch()
import microtorch.nn.functional as F  # noqa: E402

try:
    import torch
except ImportError:  # the floor and microtorch still run
    torch = None

ENGINES = ("numpy", "microtorch", "torch")

# workload -> the most microtorch may take, as a multiple of the numpy floor (1 thread)
TARGETS = {
    "chain (8,8) x2000": 1.5,
    "chain (4,) x10000": 1.5,
    "mlp batch 32": 1.2,
    "mlp batch 512": 1.1,
    "matmul 10x(512,512)": 1.05,
}
TORCH_OVER_OURS_TARGET = 2.5   # on the op chains, PyTorch eager / microtorch at least this
MEMORY_TARGET = 1.3            # MLP batch 512 step: microtorch peak / numpy floor peak at most this


# ---------------------------------------------------------------- op chain
# One cycle of elementwise ops, the same in every engine: x, w and c need gradients.
CYCLE = "h*w, h+c, tanh, h-w, h*0.5, exp, h*c, tanh"
CYCLE_LENGTH = 8


def chain_ours(x, w, c, cycles):
    h = x
    for _ in range(cycles):
        h = (h * w + c).tanh()
        h = ((h - w) * 0.5).exp()
        h = (h * c).tanh()
    return h.sum()


def chain_torch(x, w, c, cycles):
    h = x
    for _ in range(cycles):
        h = torch.tanh(h * w + c)
        h = torch.exp((h - w) * 0.5)
        h = torch.tanh(h * c)
    return h.sum()


def chain_floor(x, w, c, cycles):
    """Forward, keeping what backward needs, then the backward pass by hand."""
    saved = []
    h = x
    for _ in range(cycles):
        t1 = np.tanh(h * w + c)
        e = np.exp((t1 - w) * 0.5)
        t2 = np.tanh(e * c)
        saved.append((h, t1, e, t2))
        h = t2
    loss = h.sum()
    g = np.ones_like(h)
    grad_w = np.zeros_like(w)
    grad_c = np.zeros_like(c)
    for h, t1, e, t2 in reversed(saved):
        g = g * (1 - t2 * t2)      # tanh
        grad_c += g * e            # h*c
        g = g * c
        g = g * e                  # exp
        g = g * 0.5                # h*0.5
        grad_w -= g                # h-w
        g = g * (1 - t1 * t1)      # tanh
        grad_c += g                # h+c
        grad_w += g * h            # h*w
        g = g * w
    return loss, g, grad_w, grad_c


class Chain:
    def __init__(self, shape, ops):
        self.shape, self.ops = shape, ops
        self.name = f"chain ({','.join(map(str, shape))}{',' if len(shape) == 1 else ''}) x{ops}"
        self.cycles = ops // CYCLE_LENGTH
        self.unit = "us/op"
        self.per = ops

    def values(self, dtype, seed=0):
        rng = np.random.default_rng(seed)
        return [rng.uniform(-1, 1, self.shape).astype(dtype) for _ in range(3)]

    def step(self, engine, dtype):
        """A callable running forward and backward once, and one returning (loss, grads)."""
        x, w, c = self.values(dtype)
        cycles = self.cycles
        if engine == "numpy":
            def run():
                return chain_floor(x, w, c, cycles)

            def result():
                loss, *grads = run()
                return float(loss), grads
            return run, result
        make, chain = (mt.tensor, chain_ours) if engine == "microtorch" else (torch.tensor, chain_torch)
        leaves = [make(v, requires_grad=True) for v in (x, w, c)]

        def run():
            for leaf in leaves:
                leaf.grad = None
            loss = chain(*leaves, cycles)
            loss.backward()
            return loss

        def result():
            loss = run()
            return loss.item(), [leaf.grad.numpy() for leaf in leaves]
        return run, result


# ---------------------------------------------------------------- MLP training step
LEARNING_RATE = 0.01


class MLP:
    sizes = (784, 128, 10)

    def __init__(self, batch):
        self.batch = batch
        self.name = f"mlp batch {batch}"
        self.unit = "ms/step"
        self.per = 1

    def values(self, dtype, seed=0):
        rng = np.random.default_rng(seed)
        n_in, n_hidden, n_out = self.sizes
        x = rng.standard_normal((self.batch, n_in)).astype(dtype)
        y = rng.integers(0, n_out, self.batch)
        bound1, bound2 = 1 / np.sqrt(n_in), 1 / np.sqrt(n_hidden)
        params = [rng.uniform(-bound1, bound1, (n_hidden, n_in)), rng.uniform(-bound1, bound1, n_hidden),
                  rng.uniform(-bound2, bound2, (n_out, n_hidden)), rng.uniform(-bound2, bound2, n_out)]
        return x, y, [p.astype(dtype) for p in params]

    def step(self, engine, dtype):
        x, y, params = self.values(dtype)
        if engine == "numpy":
            W1, b1, W2, b2 = params
            rows = np.arange(len(y))

            def run():
                h = np.tanh(x @ W1.T + b1)
                logits = h @ W2.T + b2
                shifted = logits - logits.max(axis=1, keepdims=True)
                exp = np.exp(shifted)
                total = exp.sum(axis=1, keepdims=True)
                loss = (np.log(total[:, 0]) - shifted[rows, y]).mean()
                g = exp / total                      # softmax
                g[rows, y] -= 1
                g /= len(y)
                grad_W2, grad_b2 = g.T @ h, g.sum(axis=0)
                g = (g @ W2) * (1 - h * h)           # through tanh; x needs no gradient
                grad_W1, grad_b1 = g.T @ x, g.sum(axis=0)
                grads = [grad_W1, grad_b1, grad_W2, grad_b2]
                for p, grad in zip(params, grads):
                    p -= LEARNING_RATE * grad
                return loss, grads

            def result():
                loss, grads = run()
                return float(loss), grads
            return run, result
        if engine == "microtorch":
            model = mt.nn.Sequential(mt.nn.Linear(*self.sizes[:2], dtype=dtype), mt.nn.Tanh(),
                                     mt.nn.Linear(*self.sizes[1:], dtype=dtype))
            for p, value in zip(model.parameters(), params):
                p.numpy()[...] = value
            optimizer = mt.optim.SGD(model.parameters(), lr=LEARNING_RATE)
            inputs, targets = mt.tensor(x), mt.tensor(y)
            cross_entropy = F.cross_entropy
        else:
            model = torch.nn.Sequential(torch.nn.Linear(*self.sizes[:2]), torch.nn.Tanh(),
                                        torch.nn.Linear(*self.sizes[1:])).to(getattr(torch, np.dtype(dtype).name))
            with torch.no_grad():
                for p, value in zip(model.parameters(), params):
                    p.copy_(torch.from_numpy(value))
            optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
            inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
            cross_entropy = torch.nn.functional.cross_entropy

        def run():
            optimizer.zero_grad()
            loss = cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            return loss

        def result():
            loss = run()
            return loss.item(), [p.grad.numpy() for p in model.parameters()]
        return run, result


# ---------------------------------------------------------------- large matmuls
class MatMuls:
    layers, size = 10, 512
    name = "matmul 10x(512,512)"
    unit = "ms"
    per = 1

    def values(self, dtype, seed=0):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((self.size, self.size)).astype(dtype)
        scale = np.sqrt(2 / self.size)   # keeps relu activations of order one
        return x, [(rng.standard_normal((self.size, self.size)) * scale).astype(dtype) for _ in range(self.layers)]

    def step(self, engine, dtype):
        """x needs no gradient; each W does: relu(h @ W) ten times, sum, backward."""
        x, weights = self.values(dtype)
        if engine == "numpy":
            def run():
                hs = [x]
                for W in weights:
                    hs.append(np.maximum(hs[-1] @ W, 0))
                loss = hs[-1].sum()
                grads = [None] * len(weights)
                g = (hs[-1] > 0).astype(dtype)
                for i in reversed(range(len(weights))):
                    grads[i] = hs[i].T @ g
                    if i:
                        g = g @ weights[i].T
                        g *= hs[i] > 0
                return loss, grads

            def result():
                loss, grads = run()
                return float(loss), grads
            return run, result
        if engine == "microtorch":
            inputs, params, relu = mt.tensor(x), [mt.tensor(W, requires_grad=True) for W in weights], mt.Tensor.relu
        else:
            inputs, params, relu = torch.from_numpy(x), [torch.tensor(W, requires_grad=True) for W in weights], \
                torch.relu

        def run():
            for p in params:
                p.grad = None
            h = inputs
            for W in params:
                h = relu(h @ W)
            loss = h.sum()
            loss.backward()
            return loss

        def result():
            loss = run()
            return loss.item(), [p.grad.numpy() for p in params]
        return run, result


# ---------------------------------------------------------------- model steps against PyTorch
# Layers timed against PyTorch eager alone (no numpy floor: the same model written by hand in numpy
# would be its own project). Both engines hold the same weights; float64 gradients must agree first.
TORCH_RATIO_TARGET = 1.0   # microtorch / PyTorch eager at most this, for each model step (unless it says)


def _load_torch_weights(ours, theirs, dtype):
    ours.load_state_dict({name: value.detach().numpy().astype(dtype) for name, value in theirs.state_dict().items()})


class ModelStep:
    """A model built the same way in both engines (build), its inputs as arrays, and its scalar loss."""
    unit, per = "ms/step", 1
    target = TORCH_RATIO_TARGET

    def step(self, engine, dtype):
        return model_step(self, engine, dtype)


class LSTMLanguageModel(ModelStep):
    """Embedding(65, 64) -> nn.LSTM(64, 128) -> Linear(128, 65) on (16, 32) tokens: cross-entropy, backward."""
    vocab, embed, hidden, batch, steps = 65, 64, 128, 16, 32
    name = "nn.LSTM language model (16x32 tokens)"

    def build(self, lib, dtype):
        nn = lib.nn

        class Model(nn.Module):
            def __init__(model):
                super().__init__()
                model.embed = nn.Embedding(self.vocab, self.embed, dtype=dtype)
                model.lstm = nn.LSTM(self.embed, self.hidden, batch_first=True, dtype=dtype)
                model.head = nn.Linear(self.hidden, self.vocab, dtype=dtype)

            def forward(model, x):
                return model.head(model.lstm(model.embed(x))[0])
        return Model()

    def inputs(self):
        rng = np.random.default_rng(0)
        return [rng.integers(0, self.vocab, (self.batch, self.steps)) for _ in range(2)]

    def loss(self, lib, model, tokens, targets):
        logits = model(tokens)
        return lib.nn.functional.cross_entropy(logits.reshape(-1, self.vocab), targets.reshape(-1))


class LSTMFromPrimitives(LSTMLanguageModel):
    """The same language model with the LSTM cell written out per time step, as a user writes it."""
    name = "LSTM from primitives (16x32 tokens)"

    def loss(self, lib, model, tokens, targets):
        p = dict(model.lstm.named_parameters())
        x = model.embed(tokens)
        h = c = lib.zeros(self.batch, self.hidden, dtype=x.dtype)
        bias = p["bias_ih_l0"] + p["bias_hh_l0"]
        outputs = []
        for t in range(self.steps):
            gates = x[:, t] @ p["weight_ih_l0"].T + h @ p["weight_hh_l0"].T + bias
            i, f, g, o = gates.chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            outputs.append(h)
        logits = model.head(lib.stack(outputs, 1))
        return lib.nn.functional.cross_entropy(logits.reshape(-1, self.vocab), targets.reshape(-1))


class ConvStep(ModelStep):
    """Conv2d(1, 16, 3, padding=1) -> relu -> max_pool2d(2) -> Linear(16*14*14, 10) on (32, 1, 28, 28): cross-entropy."""
    batch, channels, size, classes = 32, 16, 28, 10
    name = "conv step (32x1x28x28)"
    target = 1.1

    def build(self, lib, dtype):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, self.channels, 3, padding=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(self.channels * (self.size // 2) ** 2, self.classes, dtype=dtype))

    def inputs(self):
        rng = np.random.default_rng(0)
        return [rng.standard_normal((self.batch, 1, self.size, self.size)), rng.integers(0, self.classes, self.batch)]

    def loss(self, lib, model, x, targets):
        return lib.nn.functional.cross_entropy(model(x), targets)


class TransformerBlock(ModelStep):
    """nn.TransformerEncoderLayer(64, 4 heads, 256, pre-norm, causal) on (16, 32, 64): mean square, backward."""
    width, heads, feedforward, batch, steps = 64, 4, 256, 16, 32
    name = "nn.TransformerEncoderLayer (16x32x64)"

    def build(self, lib, dtype):
        return lib.nn.TransformerEncoderLayer(self.width, self.heads, self.feedforward, dropout=0.0,
                                              batch_first=True, norm_first=True, dtype=dtype)

    def inputs(self):
        rng = np.random.default_rng(0)
        return [rng.standard_normal((self.batch, self.steps, self.width))]

    def loss(self, lib, model, x):
        mask = lib.nn.Transformer.generate_square_subsequent_mask(self.steps)
        return (model(x, src_mask=mask, is_causal=True) ** 2).mean()


class TransformerBlockFromPrimitives(TransformerBlock):
    """The same block written with matmul, softmax and layer_norm, as a user writes it (nanoGPT style)."""
    name = "transformer block from primitives (16x32x64)"

    def loss(self, lib, model, x):
        F_ = lib.nn.functional
        p = dict(model.named_parameters())
        batch, steps, width = x.shape
        heads, size = self.heads, width // self.heads

        def split_heads(t):
            return t.reshape(batch, steps, heads, size).transpose(1, 2)

        h = F_.layer_norm(x, (width,), p["norm1.weight"], p["norm1.bias"])
        q, k, v = (split_heads(t) for t in (h @ p["self_attn.in_proj_weight"].T + p["self_attn.in_proj_bias"])
                   .split(width, dim=-1))
        scores = (q @ k.transpose(-2, -1)) * (1 / np.sqrt(size))
        causal = lib.tensor(np.triu(np.full((steps, steps), -np.inf), 1))  # float64: cast to the scores' dtype
        scores = scores + (causal.double() if scores.dtype in (np.float64, torch.float64) else causal.float())
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, steps, width)
        x = x + y @ p["self_attn.out_proj.weight"].T + p["self_attn.out_proj.bias"]
        h = F_.layer_norm(x, (width,), p["norm2.weight"], p["norm2.bias"])
        h = (h @ p["linear1.weight"].T + p["linear1.bias"]).relu()
        x = x + h @ p["linear2.weight"].T + p["linear2.bias"]
        return (x ** 2).mean()


MODEL_STEPS = (ConvStep(), LSTMLanguageModel(), LSTMFromPrimitives(), TransformerBlock(),
               TransformerBlockFromPrimitives())


def model_step(workload, engine, dtype):
    """A callable running forward and backward once, and one returning (loss, parameter gradients)."""
    torch.manual_seed(0)
    reference = workload.build(torch, getattr(torch, np.dtype(dtype).name))
    if engine == "torch":
        model, lib = reference, torch
    else:
        model, lib = workload.build(mt, dtype), mt
        _load_torch_weights(model, reference, dtype)
    arrays = [a if a.dtype.kind == "i" else a.astype(dtype) for a in workload.inputs()]
    inputs = [lib.tensor(a) for a in arrays]
    params = [p for _, p in sorted(model.named_parameters())]

    def run():
        for p in params:
            p.grad = None
        loss = workload.loss(lib, model, *inputs)
        loss.backward()
        return loss

    def result():
        loss = run()
        return loss.item(), [np.asarray(p.grad.numpy()) for p in params]
    return run, result


def run_model_steps(rounds, warmup, budget, wanted=None):
    """Each model step (or those whose names contain one of `wanted`): float64 gradients equal to
    PyTorch's, then same-round time ratios at 1 thread."""
    results = {}
    set_threads(1)
    for workload in MODEL_STEPS:
        if wanted and not any(name in workload.name for name in wanted):
            continue
        loss_ours, grads_ours = workload.step("microtorch", np.float64)[1]()
        loss_torch, grads_torch = workload.step("torch", np.float64)[1]()
        worst = max([abs(loss_ours - loss_torch) / (1 + abs(loss_torch))] +
                    [float(np.max(np.abs(o - t) / (1 + np.abs(t)))) for o, t in zip(grads_ours, grads_torch)])
        if not worst < 1e-9:
            raise AssertionError(f"{workload.name}: microtorch's float64 gradients differ from PyTorch's "
                                 f"(relative error {worst:.3g})")
        samples = time_workload(workload, ["microtorch", "torch"], np.float32, rounds, warmup, budget)
        ratio = statistics.median(o / t for o, t in zip(samples["microtorch"], samples["torch"]))
        results[workload.name] = {"unit": workload.unit, "gradient_check_worst_relative_error": worst,
                                  "median": {e: statistics.median(v) * 1e3 for e, v in samples.items()},
                                  "microtorch_over_torch": ratio, "target": f"<= {workload.target}",
                                  "met": ratio <= workload.target}
        medians = "  ".join(f"{e} {v:.3g}" for e, v in results[workload.name]["median"].items())
        print(f"{workload.name:<46} {workload.unit}: {medians}   microtorch / PyTorch {ratio:.2f}x "
              f"(target <= {workload.target}: {'met' if ratio <= workload.target else 'NOT MET'})")
    return results


# ---------------------------------------------------------------- checking and timing

def check_gradients(workload, engines):
    """Every engine's loss and gradients in float64 must match the numpy floor's."""
    _, reference = workload.step("numpy", np.float64)
    loss_ref, grads_ref = reference()
    worst = 0.0
    for engine in engines:
        if engine == "numpy":
            continue
        _, result = workload.step(engine, np.float64)
        loss, grads = result()
        if len(grads) != len(grads_ref):
            raise AssertionError(f"{workload.name}: {engine} returned {len(grads)} gradients, expected {len(grads_ref)}")
        for ours, theirs in zip([np.asarray(loss)] + list(grads), [np.asarray(loss_ref)] + list(grads_ref)):
            ours = np.asarray(ours)
            if ours.shape != theirs.shape:
                raise AssertionError(f"{workload.name}: {engine} gradient shape {ours.shape} != {theirs.shape}")
            error = float(np.max(np.abs(ours - theirs) / (1 + np.abs(theirs)))) if ours.size else 0.0
            worst = max(worst, error)
            if not error < 1e-9:
                raise AssertionError(f"{workload.name}: {engine} disagrees with the numpy floor "
                                     f"(relative error {error:.3g})")
    return worst


def block_size(run, budget):
    """How many calls fill about `budget` seconds (at least one)."""
    start = time.perf_counter()
    run()
    once = time.perf_counter() - start
    return max(1, int(budget / max(once, 1e-9)))


def time_workload(workload, engines, dtype, rounds, warmup, budget):
    runs = {engine: workload.step(engine, dtype)[0] for engine in engines}
    for run in runs.values():
        for _ in range(warmup):
            run()
    reps = {engine: block_size(run, budget) for engine, run in runs.items()}
    samples = {engine: [] for engine in engines}
    for r in range(rounds):
        order = engines[r % len(engines):] + engines[:r % len(engines)]
        for engine in order:
            run, n = runs[engine], reps[engine]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                run()
            samples[engine].append((time.perf_counter() - start) / n)
    return samples


def summarize(workload, samples):
    per = workload.per
    scale = 1e6 if workload.unit.startswith("us") else 1e3
    floor = samples["numpy"]
    row = {"unit": workload.unit, "median": {}, "ratio_to_numpy": {}}
    for engine, times in samples.items():
        row["median"][engine] = statistics.median(times) * scale / per
        row["ratio_to_numpy"][engine] = statistics.median(t / f for t, f in zip(times, floor))
    if "torch" in samples:
        row["torch_over_microtorch"] = statistics.median(
            t / o for t, o in zip(samples["torch"], samples["microtorch"]))
    return row


def peak_memory(workload, engine, dtype):
    """tracemalloc peak during one step, above what was allocated when the step began."""
    run, _ = workload.step(engine, dtype)
    for _ in range(3):
        run()
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - start


def run_extra(module_name, quick):
    """Results of a sibling benchmark script (run(quick) -> dict), or None when it is missing."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        print(f"note: {module_name} not run ({error})")
        return None
    for peer in getattr(module, "PEERS", ()):
        note = missing_peer(peer)
        if note is not None:
            print(f"{note}; {module_name} not run")
            return None
    print(f"\n---- {module_name} ----")
    if hasattr(module, "run"):
        return module.run(quick=quick)
    if hasattr(module, "main"):  # a script with its own command line that writes a JSON file
        import tempfile
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "result.json"
            module.main((["--rounds", "5"] if quick else []) + ["--json", str(path)])
            return json.loads(path.read_text())
    print(f"note: {module_name} has neither run(quick=...) nor main(argv); not run")
    return None


def versions():
    info = {"python": platform.python_version(), "numpy": np.__version__, "microtorch": mt.__version__,
            "platform": platform.platform(), "processor": _cpu_name()}
    if torch is not None:
        info["torch"] = torch.__version__
    blas = [f"{lib['internal_api']} {lib['version']} ({lib.get('architecture')})"
            for lib in threadpool_info() if lib["user_api"] == "blas"]
    info["numpy_blas"] = ", ".join(blas)
    info["openblas_env_unset"] = "--keep-openblas-env" not in sys.argv
    return info


def _cpu_name():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def set_threads(n):
    """n threads for numpy's BLAS and torch; None restores the defaults."""
    global _limits
    if _limits is not None:
        _limits.restore_original_limits()
        _limits = None
    if n is not None:
        _limits = threadpool_limits(n)
    if torch is not None:
        torch.set_num_threads(n or _TORCH_DEFAULT_THREADS)


_limits = None
_TORCH_DEFAULT_THREADS = torch.get_num_threads() if torch is not None else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter blocks (a smoke run)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--json", default=str(HERE / "results.json"))
    parser.add_argument("--only", default=None, help="comma-separated workload names to run (substring match)")
    parser.add_argument("--keep-openblas-env", action="store_true", help="keep OPENBLAS_CORETYPE/L2_SIZE")
    parser.add_argument("--models-only", action="store_true", help="only the model steps against PyTorch")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 15)
    warmup, budget = (1, 0.02) if args.quick else (3, 0.05)
    engines = ENGINES if torch is not None else ENGINES[:2]
    print(TIMED)
    if torch is None:
        print(missing_peer("torch"))

    if args.models_only:
        if torch is None:
            raise SystemExit("the model steps are timed against PyTorch, which is not installed")
        print("model steps against PyTorch eager, 1 thread")
        model_steps = run_model_steps(rounds, warmup, budget, args.only and args.only.split(","))
        pathlib.Path(args.json).write_text(json.dumps({"model_steps": model_steps}, indent=2, default=str) + "\n")
        return 0
    workloads = [Chain((8, 8), 2000), Chain((4,), 10000), MLP(32), MLP(512), MatMuls()]
    large = {"mlp batch 512", "matmul 10x(512,512)"}
    if args.only:
        wanted = args.only.split(",")
        workloads = [w for w in workloads if any(name in w.name for name in wanted)]

    info = versions()
    date = datetime.datetime.now().isoformat(timespec="seconds")
    print(f"microtorch tensor benchmarks, {date}")
    print(", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"op chain cycle: {CYCLE}; {rounds} rounds, blocks of ~{budget * 1e3:.0f} ms after {warmup} warm-up calls")

    set_threads(1)
    checks = {}
    for workload in workloads:
        checks[workload.name] = check_gradients(workload, engines)
    if checks:
        print("float64 gradients agree with the numpy floor (worst relative error "
              f"{max(checks.values()):.1e})\n")

    results = {}
    for threads in (1, None):
        set_threads(threads)
        label = "1 thread" if threads == 1 else f"default threads ({_TORCH_DEFAULT_THREADS})"
        for workload in workloads:
            if threads is None and workload.name not in large:
                continue
            dtype = np.float64 if workload.name.startswith("chain") else np.float32
            samples = time_workload(workload, list(engines), dtype, rounds, warmup, budget)
            row = summarize(workload, samples)
            row["threads"] = label
            results[f"{workload.name}, {label}"] = row
            print_row(f"{workload.name}, {label}", row)
    set_threads(1)

    memory = {}
    if any(w.name == "mlp batch 512" for w in workloads):
        mlp = MLP(512)
        memory = {engine: peak_memory(mlp, engine, np.float32) for engine in ("numpy", "microtorch")}
        memory["ratio"] = memory["microtorch"] / memory["numpy"]

    set_threads(None)
    wanted = args.only and args.only.split(",")
    extras = {}
    for name in ("bench_scalar", "bench_conv"):
        if not wanted or any(n in name for n in wanted):
            extras[name] = run_extra(name, args.quick)

    model_steps = {}
    if torch is not None and (not wanted or any(n in w.name for n in wanted for w in MODEL_STEPS)):
        print("\n---- model steps against PyTorch eager, 1 thread ----")
        model_steps = run_model_steps(rounds, warmup, budget, wanted)
        set_threads(None)

    table = format_table(results, memory) + format_model_steps(model_steps) + format_extras(extras)
    print("\n" + table)
    verdicts = check_targets(results, memory)
    for line in verdicts["lines"]:
        print(line)
    output = {"date": date, "versions": info, "rounds": rounds, "quick": args.quick, "cycle": CYCLE,
              "gradient_check_worst_relative_error": checks, "results": results,
              "peak_memory_bytes": memory, "targets": verdicts["targets"], "all_targets_met": verdicts["all_met"],
              "table": table, "extras": extras, "model_steps": model_steps}
    pathlib.Path(args.json).write_text(json.dumps(output, indent=2, default=str) + "\n")
    print(f"\nwrote {args.json}")
    return 0


def print_row(name, row):
    medians = "  ".join(f"{e} {v:.3g}" for e, v in row["median"].items())
    ratios = "  ".join(f"{e} {v:.2f}x" for e, v in row["ratio_to_numpy"].items() if e != "numpy")
    print(f"{name:<42} {row['unit']}: {medians}   vs numpy: {ratios}")


def format_table(results, memory):
    lines = ["| workload | threads | numpy floor | microtorch | PyTorch eager | microtorch / floor "
             "| PyTorch / floor | PyTorch / microtorch |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in results.items():
        workload = name.rsplit(", ", 1)[0]
        unit = row["unit"]
        cells = [f"{row['median'][e]:.3g} {unit}" if e in row["median"] else "-" for e in ENGINES]
        ratios = [f"{row['ratio_to_numpy'][e]:.2f}x" if e in row["ratio_to_numpy"] else "-"
                  for e in ("microtorch", "torch")]
        torch_over = f"{row['torch_over_microtorch']:.2f}x" if "torch_over_microtorch" in row else "-"
        lines.append(f"| {workload} | {row['threads']} | {' | '.join(cells)} | {' | '.join(ratios)} | {torch_over} |")
    if memory:
        lines.append(f"| mlp batch 512, peak memory (tracemalloc) | 1 thread | {memory['numpy'] / 2**20:.2f} MiB "
                     f"| {memory['microtorch'] / 2**20:.2f} MiB | - | {memory['ratio']:.2f}x | - | - |")
    return "\n".join(lines)


def format_model_steps(model_steps):
    """The model steps timed against PyTorch eager alone, one row each."""
    lines = ["", "", "| model step (float32, 1 thread) | microtorch | PyTorch eager | microtorch / PyTorch | target |",
             "|---|---|---|---|---|"]
    for name, row in model_steps.items():
        median = row["median"]
        lines.append(f"| {name} | {median['microtorch']:.3g} {row['unit']} | {median['torch']:.3g} {row['unit']} "
                     f"| {row['microtorch_over_torch']:.2f}x | {row['target']} {'met' if row['met'] else 'NOT MET'} |")
    return "\n".join(lines) if model_steps else ""


def format_extras(extras):
    """One line per ratio that a sibling benchmark reports (its own script prints the details)."""
    lines = []
    for name, result in extras.items():
        if not isinstance(result, dict):
            continue
        ratios = dict(result.get("ratios", {}))
        if "ratio_microtorch_over_torch" in result:
            ratios["microtorch / PyTorch"] = result["ratio_microtorch_over_torch"]
        for ratio, value in ratios.items():
            lines.append(f"| {name} | {ratio} | {value:.2f} |")
    header = ["", "", "| other benchmark | ratio (its own script states the targets) | value |", "|---|---|---|"]
    return "\n".join(header + lines) if lines else ""


def check_targets(results, memory):
    lines, targets, all_met = [], {}, True

    def verdict(name, value, limit, at_most=True):
        nonlocal all_met
        met = value <= limit if at_most else value >= limit
        all_met &= met
        targets[name] = {"value": value, "target": f"{'<=' if at_most else '>='} {limit}", "met": met}
        lines.append(f"{name:<52} {value:6.2f}  {'<=' if at_most else '>='} {limit:<5} {'met' if met else 'NOT MET'}")

    lines.append("targets (1 thread, same-round ratios):")
    for workload, limit in TARGETS.items():
        key = f"{workload}, 1 thread"
        if key in results:
            verdict(f"{workload}: microtorch / numpy floor", results[key]["ratio_to_numpy"]["microtorch"], limit)
            if workload.startswith("chain") and "torch_over_microtorch" in results[key]:
                verdict(f"{workload}: PyTorch / microtorch", results[key]["torch_over_microtorch"],
                        TORCH_OVER_OURS_TARGET, at_most=False)
    if memory:
        verdict("mlp batch 512: peak memory microtorch / numpy floor", memory["ratio"], MEMORY_TARGET)
    return {"lines": lines, "targets": targets, "all_met": all_met}


if __name__ == "__main__":
    sys.exit(main())
