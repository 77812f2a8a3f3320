"""Write your own op with microtorch.Function, check it with gradcheck, and train with it.

    python examples/custom_op.py [--out DIR] [--quick] [--steps N]

The op is softplus, log(1 + e^x), a smooth ReLU. Its forward and backward are
numpy, side by side, as every built-in op's are. gradcheck compares backward
with finite differences; the script also shows what it says about a backward
with a sign error. Then a small network with softplus activations learns
sin(x), and a plot of the fit is saved to DIR/custom_op_fit.png.
"""
import argparse
import os
import sys

import numpy as np

import microtorch
from microtorch import Function, GradcheckError, gradcheck, nn


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)  # log(e^0 + e^x), without overflow for large x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        sigmoid = 0.5 * (1 + np.tanh(0.5 * x))  # d softplus / dx, stable for any x
        return grad * sigmoid


class SoftplusWithABug(Softplus):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 0.5 * (1 - np.tanh(0.5 * x))  # sigmoid(-x): a sign error


class SoftplusLayer(nn.Module):
    def forward(self, x):
        return Softplus.apply(x)


def check_gradients():
    x = (microtorch.randn(4, 3, dtype=microtorch.float64) * 4).requires_grad_()
    gradcheck(Softplus.apply, (x,))
    print("gradcheck(Softplus): backward agrees with finite differences")
    try:
        gradcheck(SoftplusWithABug.apply, (x,))
    except GradcheckError as error:
        print(f"gradcheck(SoftplusWithABug) caught the bug:\n  {error}")
    else:
        sys.exit("error: gradcheck did not catch the wrong backward")


def fit_sine(steps, out):
    x = np.linspace(-3, 3, 128, dtype=np.float32).reshape(-1, 1)
    inputs, targets = microtorch.tensor(x), microtorch.tensor(np.sin(x))
    model = nn.Sequential(nn.Linear(1, 32), SoftplusLayer(), nn.Linear(32, 32), SoftplusLayer(),
                          nn.Linear(32, 1))
    optimizer = microtorch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(steps):
        loss = microtorch.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"fitting sin(x) with softplus layers: mse {losses[0]:.2g} at step 1, "
          f"{losses[-1]:.2g} after {steps} steps")
    if losses[-1] > losses[0] / 10:
        sys.exit("error: the softplus network did not learn")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with microtorch.no_grad():
        predicted = model(inputs).numpy()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(x, np.sin(x), label="sin(x)")
    ax.plot(x, predicted, "--", label="softplus network")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(out, "custom_op_fit.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved the fit to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the plot")
    parser.add_argument("--quick", action="store_true", help="train 300 steps (for the test suite)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default 1000, quick 300)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    microtorch.manual_seed(0)
    check_gradients()
    fit_sine(args.steps or (300 if args.quick else 1000), args.out)


if __name__ == "__main__":
    main()
