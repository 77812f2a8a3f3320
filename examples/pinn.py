"""A physics-informed network: solve the 1-D Poisson problem -u''(x) = pi^2 sin(pi x) on [0, 1],
u(0) = u(1) = 0, whose exact solution is u(x) = sin(pi x).

    python examples/pinn.py [--steps 3000] [--plot pinn.png] [--quick]

The network u(x) is an MLP. Its loss is the mean squared residual of the equation at collocation
points plus the squared boundary values. u'' comes from differentiating the network twice with
autograd.grad(create_graph=True), so the loss itself is differentiated through a gradient:
the training step needs third derivatives of the tanh layers.
"""
import argparse
import math
import time

import numpy as np

import microtorch as mt
from microtorch import nn


def second_derivative(u, x):
    """d^2u/dx^2 at each point, kept in the graph (so that a loss of it can be trained)."""
    (du,) = mt.autograd.grad(u, x, grad_outputs=mt.ones_like(u), create_graph=True)
    (d2u,) = mt.autograd.grad(du, x, grad_outputs=mt.ones_like(du), create_graph=True)
    return d2u


def train(steps, points, seed=0, log_every=500):
    mt.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)).double()
    optimizer = mt.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = mt.optim.lr_scheduler.StepLR(optimizer, step_size=max(steps // 3, 1), gamma=0.3)
    x = mt.tensor(np.linspace(0, 1, points)[:, None], dtype=mt.float64, requires_grad=True)
    source = math.pi ** 2 * mt.tensor(np.sin(math.pi * np.linspace(0, 1, points))[:, None], dtype=mt.float64)
    edges = mt.tensor([[0.0], [1.0]], dtype=mt.float64)
    for step in range(steps):
        optimizer.zero_grad()
        residual = -second_derivative(model(x), x) - source
        loss = (residual * residual).mean() + (model(edges) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % log_every == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.3e}")
    return model


def relative_error(model, points=201):
    grid = np.linspace(0, 1, points)[:, None]
    with mt.no_grad():
        predicted = model(mt.tensor(grid, dtype=mt.float64)).numpy()
    exact = np.sin(math.pi * grid)
    return float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact)), grid, predicted, exact


def plot(grid, predicted, exact, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(grid, exact, label="exact sin(pi x)")
    left.plot(grid, predicted, "--", label="network")
    left.set_xlabel("x")
    left.legend()
    right.semilogy(grid, np.abs(predicted - exact) + 1e-16)
    right.set_xlabel("x")
    right.set_title("|network - exact|")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--points", type=int, default=64, help="collocation points in [0, 1]")
    parser.add_argument("--plot", default="pinn.png")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads; on these small matrices extra threads cost more than they give")
    args = parser.parse_args(argv)
    mt.set_num_threads(args.threads)
    steps = 300 if args.quick else args.steps
    start = time.perf_counter()
    model = train(steps, args.points)
    error, grid, predicted, exact = relative_error(model)
    print(f"relative L2 error against the exact solution: {error:.2e} ({steps} steps, "
          f"{time.perf_counter() - start:.1f} s)")
    plot(grid, predicted, exact, args.plot)
    return error


if __name__ == "__main__":
    main()
