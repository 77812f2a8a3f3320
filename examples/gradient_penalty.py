"""A small WGAN-GP: a generator learns eight Gaussians on a ring, against a critic kept 1-Lipschitz by a
gradient penalty.

    python examples/gradient_penalty.py [--iterations 1500] [--plot wgan_gp.png] [--quick]

The penalty is lambda * (|grad_x critic(x_hat)| - 1)^2 at points x_hat between real and generated
samples. Its gradient with respect to the critic's weights goes through a gradient, so the critic's
training step is a backward through a backward: autograd.grad(..., create_graph=True).
Printed at the end: how many of the eight modes the generator covers, and the share of its samples
that land near a mode.
"""
import argparse
import math
import time

import numpy as np

import microtorch as mt
from microtorch import nn

MODES = np.array([[2 * math.cos(k * math.pi / 4), 2 * math.sin(k * math.pi / 4)] for k in range(8)])
SPREAD = 0.05


def real_batch(rng, size):
    centres = MODES[rng.integers(0, len(MODES), size)]
    return mt.tensor(centres + SPREAD * rng.standard_normal((size, 2)), dtype=mt.float32)


def mlp(inputs, outputs, hidden=64):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


def gradient_penalty(critic, real, fake, rng):
    """lambda-free penalty: mean (|d critic / d x| - 1)^2 at random points between real and fake."""
    mix = mt.tensor(rng.uniform(0, 1, (len(real), 1)), dtype=mt.float32)
    between = (mix * real + (1 - mix) * fake).detach().requires_grad_()
    (slope,) = mt.autograd.grad(critic(between), between, grad_outputs=mt.ones(len(real), 1), create_graph=True)
    norm = ((slope * slope).sum(1) + 1e-12).sqrt()
    return ((norm - 1) ** 2).mean(), norm.mean().item()


def train(iterations, batch=256, critic_steps=5, penalty_weight=0.1, seed=0, log_every=250):
    mt.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator, critic = mlp(2, 2), mlp(2, 1)
    g_opt = mt.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
    c_opt = mt.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for iteration in range(iterations):
        for _ in range(critic_steps):
            real = real_batch(rng, batch)
            with mt.no_grad():
                fake = generator(mt.randn(batch, 2))
            c_opt.zero_grad()
            penalty, slope = gradient_penalty(critic, real, fake, rng)
            wasserstein = critic(real).mean() - critic(fake).mean()
            loss = -wasserstein + penalty_weight * penalty
            loss.backward()
            c_opt.step()
        g_opt.zero_grad()
        (-critic(generator(mt.randn(batch, 2))).mean()).backward()
        g_opt.step()
        if iteration % log_every == 0 or iteration == iterations - 1:
            print(f"iteration {iteration:5d}  critic's Wasserstein estimate {wasserstein.item():.4f}  "
                  f"mean |grad critic| {slope:.3f}")
    return generator


def evaluate(generator, samples=4000):
    with mt.no_grad():
        points = generator(mt.randn(samples, 2)).numpy()
    distances = np.linalg.norm(points[:, None, :] - MODES[None], axis=2)
    nearest, closest = distances.argmin(1), distances.min(1)
    near = closest < 4 * SPREAD
    covered = sum(np.count_nonzero(near & (nearest == k)) >= samples / len(MODES) / 4 for k in range(len(MODES)))
    return points, int(covered), float(near.mean())


def plot(points, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.3, label="generated")
    axes.scatter(MODES[:, 0], MODES[:, 1], c="red", marker="x", label="modes")
    axes.set_aspect("equal")
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--plot", default="wgan_gp.png")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads; on these small matrices extra threads cost more than they give")
    args = parser.parse_args(argv)
    mt.set_num_threads(args.threads)
    iterations = 30 if args.quick else args.iterations
    start = time.perf_counter()
    generator = train(iterations, log_every=10 if args.quick else 250)
    points, covered, near = evaluate(generator)
    print(f"modes covered: {covered} of {len(MODES)}; samples near a mode: {near:.1%} "
          f"({iterations} iterations, {time.perf_counter() - start:.0f} s)")
    plot(points, args.plot)
    return covered, near


if __name__ == "__main__":
    main()
