"""Character-level language models of first names, in the style of makemore: learn, then invent names.

    python examples/names.py [--model bigram|mlp|rnn|lstm|gru|transformer] [--steps N]
                             [--plot names_loss.png] [--engine microtorch|torch] [--seed S]

The 32,033 names of examples/data/names.txt (MIT licence, names.LICENSE) are split, seeded,
into 90% for training and 10% for testing. Every model predicts each next character (and the
end of the name, '.') from what came before:

    bigram       a table of next-character logits for each character
    mlp          the previous 3 characters, embedded, through one tanh hidden layer (Bengio et al. 2003)
    rnn/lstm/gru a recurrent layer over the whole name
    transformer  a small causal transformer (pre-norm encoder layers with a causal mask)

It prints the train and test loss in nats per character, samples new names, shows a tqdm
progress bar and saves a loss plot. --engine torch runs the same code on PyTorch: the script
only uses names that both libraries share, so the engine is one module handed around.
"""
import argparse
import importlib
import math
import pathlib
import time

import numpy as np

DATA = pathlib.Path(__file__).resolve().parent / "data" / "names.txt"
CONTEXT = 3  # characters the MLP sees

# the defaults of each model: steps, batch size, learning rate, and the sizes of its layers
DEFAULTS = {
    "bigram": dict(steps=2000, batch=256, lr=0.5),
    "mlp": dict(steps=12000, batch=256, lr=3e-3, embed=16, hidden=256),
    "rnn": dict(steps=3000, batch=64, lr=3e-3, embed=32, hidden=128),
    "lstm": dict(steps=3000, batch=64, lr=3e-3, embed=32, hidden=128),
    "gru": dict(steps=3000, batch=64, lr=3e-3, embed=32, hidden=128),
    "transformer": dict(steps=1200, batch=64, lr=3e-3, embed=64, heads=4, layers=2),
}


# ---------------------------------------------------------------- data

def load_names(seed, limit=None):
    """The vocabulary ('.' first: start and end of a name), and the seeded train/test split of the names
    (of the first `limit` names after shuffling, if given)."""
    words = [w.strip() for w in DATA.read_text().splitlines() if w.strip()]
    chars = ["."] + sorted(set("".join(words)))
    words = [words[i] for i in np.random.default_rng(seed).permutation(len(words))[:limit]]
    test_size = len(words) // 10
    return chars, words[test_size:], words[:test_size]


def as_sequences(words, stoi, length):
    """Inputs '.name' and targets 'name.' as int64 arrays (N, length); -100 (ignored) pads the targets."""
    x = np.zeros((len(words), length), dtype=np.int64)
    y = np.full((len(words), length), -100, dtype=np.int64)
    for row, word in enumerate(words):
        codes = [stoi[c] for c in word]
        x[row, 1:len(codes) + 1] = codes
        y[row, :len(codes)] = codes
        y[row, len(codes)] = 0
    return x, y


def as_windows(words, stoi, context):
    """Every (previous `context` characters, next character) pair, as int64 arrays."""
    xs, ys = [], []
    for word in words:
        window = [0] * context
        for c in word + ".":
            xs.append(window)
            ys.append(stoi[c])
            window = window[1:] + [stoi[c]]
    return np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64)


# ---------------------------------------------------------------- models

def make_model(engine, kind, vocab, length, options):
    nn = engine.nn

    class Bigram(nn.Module):
        def __init__(self):
            super().__init__()
            self.logits = nn.Embedding(vocab, vocab)

        def forward(self, x):
            return self.logits(x)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, options["embed"])
            self.hidden = nn.Linear(CONTEXT * options["embed"], options["hidden"])
            self.out = nn.Linear(options["hidden"], vocab)

        def forward(self, x):
            e = self.embed(x).reshape(x.shape[0], -1)
            return self.out(self.hidden(e).tanh())

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, options["embed"])
            self.rnn = getattr(nn, kind.upper())(options["embed"], options["hidden"], batch_first=True)
            self.out = nn.Linear(options["hidden"], vocab)

        def forward(self, x):
            return self.out(self.rnn(self.embed(x))[0])

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            width = options["embed"]
            self.embed = nn.Embedding(vocab, width)
            self.position = nn.Embedding(length, width)
            layer = nn.TransformerEncoderLayer(width, options["heads"], 4 * width, dropout=0.0, activation="relu",
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, options["layers"], norm=nn.LayerNorm(width))
            self.out = nn.Linear(width, vocab)

        def forward(self, x):
            steps = x.shape[1]
            h = self.embed(x) + self.position(engine.arange(steps))
            mask = nn.Transformer.generate_square_subsequent_mask(steps)
            return self.out(self.blocks(h, mask=mask, is_causal=True))

    if kind == "bigram":
        return Bigram()
    if kind == "mlp":
        return MLP()
    return Transformer() if kind == "transformer" else Recurrent()


# ---------------------------------------------------------------- training

def batch_loss(engine, model, x, y):
    if y.ndim == 2:  # sequences: drop the columns that are padding in every row of this batch
        steps = int((y != -100).sum(axis=1).max())
        x, y = x[:, :steps], y[:, :steps]
    logits = model(engine.tensor(x))
    return engine.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), engine.tensor(y.reshape(-1)),
                                              ignore_index=-100)


def evaluate(engine, model, x, y, batch=1000):
    """Mean loss per predicted character over the whole split."""
    total, count = 0.0, 0
    with engine.no_grad():
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            n = int((yb != -100).sum())
            total += batch_loss(engine, model, xb, yb).item() * n
            count += n
    return total / count


def sample(engine, model, kind, chars, length, count, rng):
    """New names, one character at a time from the model's predicted distribution."""
    names = []
    with engine.no_grad():
        for _ in range(count):
            codes = [0] * (CONTEXT if kind == "mlp" else 1)  # start: '.'
            name = ""
            while len(name) < length:
                context = codes[-CONTEXT:] if kind == "mlp" else codes[-1:] if kind == "bigram" else codes
                logits = model(engine.tensor(np.array([context] if kind != "bigram" else context)))
                last = logits[0] if kind in ("mlp", "bigram") else logits[0, -1]
                probs = engine.nn.functional.softmax(last, dim=-1).numpy().astype(np.float64)
                code = int(rng.choice(len(chars), p=probs / probs.sum()))
                if code == 0:
                    break
                codes.append(code)
                name += chars[code]
            names.append(name)
    return names


def train(args):
    engine = importlib.import_module(args.engine)
    # on a small shared machine, BLAS threads fighting over cores cost more than they give
    engine.set_num_threads(args.threads)
    engine.manual_seed(args.seed)
    options = {**DEFAULTS[args.model], **{k: v for k, v in (("steps", args.steps), ("batch", args.batch_size),
                                                               ("lr", args.lr)) if v is not None}}
    chars, train_words, test_words = load_names(args.seed, args.names)
    stoi = {c: i for i, c in enumerate(chars)}
    length = max(len(w) for w in train_words + test_words) + 1
    if args.model in ("bigram", "mlp"):
        context = 1 if args.model == "bigram" else CONTEXT
        (x_train, y_train), (x_test, y_test) = as_windows(train_words, stoi, context), \
            as_windows(test_words, stoi, context)
        if args.model == "bigram":
            x_train, x_test = x_train[:, 0], x_test[:, 0]
    else:
        (x_train, y_train), (x_test, y_test) = as_sequences(train_words, stoi, length), \
            as_sequences(test_words, stoi, length)
    model = make_model(engine, args.model, len(chars), length, options)
    optimizer = engine.optim.AdamW(model.parameters(), lr=options["lr"], weight_decay=0.01)
    rng = np.random.default_rng(args.seed)
    steps, losses = options["steps"], []
    from tqdm import tqdm

    start = time.perf_counter()
    bar = tqdm(range(steps), desc=f"{args.model} ({args.engine})", mininterval=1.0)
    for step in bar:
        # cosine decay to a tenth of the learning rate
        for group in optimizer.param_groups:
            group["lr"] = options["lr"] * (0.55 + 0.45 * math.cos(math.pi * step / steps))
        rows = rng.integers(0, len(x_train), options["batch"])
        loss = batch_loss(engine, model, x_train[rows], y_train[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 100 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-100:]):.3f}")
    seconds = time.perf_counter() - start
    model.eval()
    # the train loss over a random sample of the train split as large as the test split: the whole split would
    # take longer than it tells
    subset = rng.choice(len(x_train), len(x_test), replace=False)
    train_loss = evaluate(engine, model, x_train[subset], y_train[subset])
    test_loss = evaluate(engine, model, x_test, y_test)
    params = sum(int(np.prod(p.shape)) for p in model.parameters())
    print(f"{args.model} on {args.engine}: {params} parameters, {steps} steps of {options['batch']} in "
          f"{seconds:.0f} s")
    print(f"train loss {train_loss:.4f} nats/char, test loss {test_loss:.4f} nats/char")
    print("samples:", ", ".join(sample(engine, model, args.model, chars, length, args.samples, rng)))
    if args.plot:
        plot(losses, test_loss, args)
    return train_loss, test_loss


def plot(losses, test_loss, args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = max(1, min(100, len(losses) // 10))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(losses, alpha=0.3, label="train batch loss")
    ax.plot(np.arange(window - 1, len(losses)), smooth, label=f"mean of {window}")
    ax.axhline(test_loss, color="k", linestyle="--", label=f"test loss {test_loss:.3f}")
    ax.set_xlabel("step")
    ax.set_ylabel("nats / character")
    ax.set_title(f"names: {args.model} on {args.engine}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot)
    print(f"wrote {args.plot}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=list(DEFAULTS), default="mlp")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the model's)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--names", type=int, default=None, help="use only this many names (a quick run)")
    parser.add_argument("--samples", type=int, default=10, help="names to invent at the end")
    parser.add_argument("--plot", default="names_loss.png", help="where to save the loss plot ('' for none)")
    parser.add_argument("--engine", choices=["microtorch", "torch"], default="microtorch")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (numpy's, and torch's with --engine torch)")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
