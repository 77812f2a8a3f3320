"""Train an MLP on MNIST, read from the standard IDX files in a folder. Nothing is downloaded.

    python examples/mnist.py DATA_DIR [--out DIR] [--quick] [--epochs N] [--seed S]

DATA_DIR must hold the four MNIST files, each as is or gzipped (.gz):
train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
t10k-labels-idx1-ubyte. The full run trains a 784-128-10 MLP for 3 epochs (well under a
minute); an MLP like this one typically scores about 97% on MNIST. --quick trains one epoch on at most 5,000 images.
The trained weights are saved to DIR/mnist_mlp.npz.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

import microtorch
from microtorch import nn

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# IDX type codes (the third byte of the magic number) and the big-endian dtypes they mean
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array in an IDX file (gzipped when path ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        raw = file.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(raw[4:header], dtype=">u4"))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: the header says shape {shape} ({expected} bytes in all), "
                         f"but the file has {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def find_files(folder):
    """Paths of the four files, each plain or .gz; a clear exit when any is missing."""
    paths, missing = {}, []
    for key, name in FILES.items():
        for candidate in (name, name + ".gz"):
            if os.path.isfile(os.path.join(folder, candidate)):
                paths[key] = os.path.join(folder, candidate)
                break
        else:
            missing.append(name)
    if missing:
        sys.exit(
            f"error: MNIST files missing from {os.path.abspath(folder)}: {', '.join(missing)}.\n"
            "This example never downloads. Put the four standard MNIST IDX files in that folder, "
            "each as is or gzipped (.gz):\n  " + "\n  ".join(FILES.values()))
    return paths


def load_mnist(folder):
    """(train images, train labels, test images, test labels): float32 in [0, 1] and int64."""
    arrays = {key: read_idx(path) for key, path in find_files(folder).items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{split}: expected images (n, rows, cols) and labels (n,), "
                             f"got {images.shape} and {labels.shape}")
        if labels.min() < 0 or labels.max() > 9:
            raise ValueError(f"{split}: labels must be digits 0-9, got {labels.min()}..{labels.max()}")
    flat = [arrays[f"{split}_images"].reshape(len(arrays[f"{split}_images"]), -1).astype(np.float32) / 255
            for split in ("train", "test")]
    return flat[0], arrays["train_labels"].astype(np.int64), flat[1], arrays["test_labels"].astype(np.int64)


def accuracy(model, x, y, batch_size=1000):
    with microtorch.no_grad():
        predicted = np.concatenate([model(microtorch.tensor(x[i:i + batch_size])).argmax(dim=1).numpy()
                                    for i in range(0, len(x), batch_size)])
    return float((predicted == y).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="folder with the MNIST IDX files")
    parser.add_argument("--out", default=".", help="directory for the checkpoint")
    parser.add_argument("--quick", action="store_true", help="one epoch on at most 5,000 images")
    parser.add_argument("--epochs", type=int, default=None, help="epochs to train (default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    x_train, y_train, x_test, y_test = load_mnist(args.data)
    if args.quick:
        x_train, y_train = x_train[:5000], y_train[:5000]
    epochs = args.epochs or (1 if args.quick else 3)
    print(f"{len(x_train)} training and {len(x_test)} test images of {x_train.shape[1]} pixels")

    microtorch.manual_seed(args.seed)
    order = np.random.default_rng(args.seed)
    model = nn.Sequential(nn.Linear(x_train.shape[1], 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = microtorch.optim.Adam(model.parameters(), lr=1e-3)
    batch_size = 128
    start = time.perf_counter()
    for epoch in range(epochs):
        permutation = order.permutation(len(x_train))
        total = 0.0
        for begin in range(0, len(x_train), batch_size):
            batch = permutation[begin:begin + batch_size]
            loss = microtorch.cross_entropy(model(microtorch.tensor(x_train[batch])),
                                            microtorch.tensor(y_train[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(x_train):.4f}, "
              f"test accuracy {accuracy(model, x_test, y_test):.2%}")
    print(f"test accuracy: {accuracy(model, x_test, y_test):.2%} "
          f"after {epochs} epochs ({time.perf_counter() - start:.1f} s)")

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "mnist_mlp.npz")
    microtorch.save(model, checkpoint)
    print(f"saved the model to {checkpoint}")


if __name__ == "__main__":
    main()
