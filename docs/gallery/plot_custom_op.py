"""
Your own op: a Function, gradcheck, and training with it
========================================================

``examples/custom_op.py``: a softplus written as a ``microtorch.autograd.Function`` (numpy forward and
backward side by side), checked by ``gradcheck`` against finite differences, which also catches a
deliberately wrong backward; then a small network of these layers fits ``sin(x)``. Here it trains
300 steps instead of 1000.
"""
import tempfile

import matplotlib.pyplot as plt

import custom_op  # examples/custom_op.py
import microtorch

microtorch.manual_seed(0)
custom_op.check_gradients()

# %%
# Train, and show the example's plot of the fit:
with tempfile.TemporaryDirectory() as folder:
    custom_op.fit_sine(300, folder)
    plt.figure(figsize=(5, 3.5))
    plt.imshow(plt.imread(f"{folder}/custom_op_fit.png"))
    plt.axis("off")
