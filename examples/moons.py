"""Train a scalar MLP(2, [16, 16, 1]) on two moons, as in micrograd's demo, and draw its decision boundary.

    python examples/moons.py [--out moons.png] [--quick] [--act tanh|relu]

Max-margin (SVM) loss plus L2 regularization, full-batch gradient descent with a
decaying learning rate. The full run reaches 100% training accuracy in a few seconds;
--quick trains briefly (for the test suite) and draws a coarser grid.
"""
import argparse
import random
import time

import numpy as np

from microtorch._grad_mode import no_grad
from microtorch.scalar import MLP, Var


def make_data(n_samples=100, seed=1):
    from sklearn.datasets import make_moons
    x, y = make_moons(n_samples=n_samples, noise=0.1, random_state=seed)
    return x.tolist(), (2 * y - 1).tolist()     # labels -1 / +1 for the max-margin loss


def loss_and_accuracy(model, xs, ys, alpha=1e-4):
    scores = [model(x) for x in xs]
    data_loss = sum((1 - y * score).relu() for y, score in zip(ys, scores)) / len(xs)
    reg_loss = alpha * sum(p * p for p in model.parameters())
    accuracy = sum((y > 0) == (score.val > 0) for y, score in zip(ys, scores)) / len(xs)
    return data_loss + reg_loss, accuracy


def train(model, xs, ys, steps, log_every=10):
    for step in range(steps):
        loss, accuracy = loss_and_accuracy(model, xs, ys)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / steps
        for p in model.parameters():
            p.val -= learning_rate * p.grad
        if step % log_every == 0 or step == steps - 1:
            print(f"step {step:3d} loss {loss.val:.4f}, accuracy {accuracy:.0%}")
    return loss_and_accuracy(model, xs, ys)[1]


def draw_boundary(model, xs, ys, path, grid=80):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.array(xs)
    x_min, y_min = points.min(axis=0) - 1
    x_max, y_max = points.max(axis=0) + 1
    gx, gy = np.meshgrid(np.linspace(x_min, x_max, grid), np.linspace(y_min, y_max, grid))
    with no_grad():     # nothing to backpropagate: record no graph
        scores = [model([Var(a), Var(b)]).val for a, b in zip(gx.ravel(), gy.ravel())]
    zz = (np.array(scores) > 0).reshape(gx.shape)

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(gx, gy, zz, cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(points[:, 0], points[:, 1], c=ys, s=40, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set_title("microtorch.scalar MLP(2, [16, 16, 1]) on two moons")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="moons.png", help="where to save the decision boundary PNG")
    parser.add_argument("--quick", action="store_true", help="train 10 steps and draw a coarse grid")
    parser.add_argument("--act", default="tanh", choices=["tanh", "relu"], help="hidden activation")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 100, quick 10)")
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)

    random.seed(args.seed)
    xs, ys = make_data()
    model = MLP(2, [16, 16, 1], act=args.act)
    print(f"{model}\nparameters: {len(model.parameters())}")
    steps = args.steps if args.steps is not None else (10 if args.quick else 100)
    start = time.perf_counter()
    accuracy = train(model, xs, ys, steps)
    print(f"training accuracy {accuracy:.1%} after {steps} steps, {time.perf_counter() - start:.1f} s")
    draw_boundary(model, xs, ys, args.out, grid=25 if args.quick else 80)
    print(f"saved {args.out}")
    return accuracy


if __name__ == "__main__":
    main()
