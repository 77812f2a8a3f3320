"""Train an MLP on scikit-learn's handwritten digits, save it, and check the saved copy.

    python examples/digits.py [--out DIR] [--quick] [--epochs N] [--seed S]

The 1,797 8x8 digit images ship with scikit-learn, so nothing is downloaded.
A quarter of them is held out for testing. Training shows a tqdm progress bar
with the running loss; the full run reaches about 97-98% test accuracy in a few
seconds. Written to DIR: digits_curves.png (loss and accuracy per epoch) and
digits_mlp.npz (the checkpoint), which is then loaded into a fresh model that
must score the same.
"""
import argparse
import os
import sys
import time

import numpy as np

import microtorch
from microtorch import nn

TARGET = 0.96  # the full run must reach this test accuracy


def load_data(seed):
    """Standardised train/test splits of the digits: float32 features, int64 labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images.astype(np.float32), labels.astype(np.int64), test_size=0.25, stratify=labels,
        random_state=seed)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0  # border pixels that are always blank
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


def make_model():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def accuracy(model, x, y):
    model.eval()
    with microtorch.no_grad():
        predicted = model(microtorch.tensor(x)).argmax(dim=1).numpy()
    model.train()
    return float((predicted == y).mean())


def train(model, data, epochs, batch_size, seed):
    from tqdm import tqdm

    x_train, y_train, x_test, y_test = data
    optimizer = microtorch.optim.Adam(model.parameters(), lr=1e-3)
    order = np.random.default_rng(seed)
    batches = -(-len(x_train) // batch_size)
    history = {"loss": [], "accuracy": []}
    running = None
    with tqdm(total=epochs * batches, desc="training", unit="batch", file=sys.stderr) as bar:
        for epoch in range(epochs):
            permutation = order.permutation(len(x_train))
            losses = []
            for start in range(0, len(x_train), batch_size):
                batch = permutation[start:start + batch_size]
                loss = microtorch.cross_entropy(model(microtorch.tensor(x_train[batch])),
                                                microtorch.tensor(y_train[batch]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                running = losses[-1] if running is None else 0.9 * running + 0.1 * losses[-1]
                bar.set_postfix(epoch=epoch + 1, loss=f"{running:.4f}", refresh=False)
                bar.update()
            history["loss"].append(float(np.mean(losses)))
            history["accuracy"].append(accuracy(model, x_test, y_test))
    return history


def plot(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker=".")
    left.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    right.plot(epochs, [100 * a for a in history["accuracy"]], marker=".", color="tab:green")
    right.axhline(100 * TARGET, color="grey", linestyle="--", linewidth=1, label=f"{TARGET:.0%}")
    right.set(title="test accuracy", xlabel="epoch", ylabel="%")
    right.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the curves PNG and the checkpoint")
    parser.add_argument("--quick", action="store_true", help="train 2 epochs (for the test suite)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs to train (default 30, quick 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.quick else 30)
    os.makedirs(args.out, exist_ok=True)

    microtorch.manual_seed(args.seed)
    data = load_data(args.seed)
    model = make_model()
    start = time.perf_counter()
    history = train(model, data, epochs, batch_size=32, seed=args.seed)
    seconds = time.perf_counter() - start
    test_accuracy = history["accuracy"][-1]
    print(f"test accuracy: {test_accuracy:.2%} after {epochs} epochs ({seconds:.1f} s of training)")

    curves = os.path.join(args.out, "digits_curves.png")
    plot(history, curves)
    print(f"saved the loss and accuracy curves to {curves}")

    checkpoint = os.path.join(args.out, "digits_mlp.npz")
    microtorch.save(model, checkpoint)
    reloaded = microtorch.load(make_model(), checkpoint)
    reloaded_accuracy = accuracy(reloaded, data[2], data[3])
    print(f"saved the model to {checkpoint}; reloaded, it scores {reloaded_accuracy:.2%}")
    if reloaded_accuracy != test_accuracy:
        sys.exit(f"error: the reloaded model scores {reloaded_accuracy:.2%}, the trained one {test_accuracy:.2%}")
    if not args.quick and test_accuracy < TARGET:
        sys.exit(f"error: test accuracy {test_accuracy:.2%} is below the {TARGET:.0%} target")


if __name__ == "__main__":
    main()
