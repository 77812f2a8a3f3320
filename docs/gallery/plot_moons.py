"""
A scalar MLP on two moons
=========================

micrograd's demo, on microtorch's compiled scalar engine ``Var``: an ``MLP(2, [16, 16, 1])`` made
of ``Var`` numbers learns to separate two moons with a max-margin loss. The code is
``examples/moons.py``; here it trains for 20 steps instead of 100.
"""
import random
import tempfile

import matplotlib.pyplot as plt

import moons  # examples/moons.py
from microtorch.scalar import MLP

random.seed(1337)  # the scalar MLP draws its weights from Python's random, as micrograd
xs, ys = moons.make_data()
model = MLP(2, [16, 16, 1])
print(f"{model}\nparameters: {len(model.parameters())}")
accuracy = moons.train(model, xs, ys, steps=20, log_every=5)

# %%
# The decision boundary, drawn by the example's own function on a coarse grid:
with tempfile.TemporaryDirectory() as folder:
    path = f"{folder}/moons.png"
    moons.draw_boundary(model, xs, ys, path, grid=30)
    plt.figure(figsize=(6, 5))
    plt.imshow(plt.imread(path))
    plt.axis("off")
