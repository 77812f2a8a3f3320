"""Fit sin(x) with a cubic polynomial: hand-written SGD on tensors that require grad.

The idiom of "Learning PyTorch with Examples" (PyTorch: Tensors and autograd): torch.linspace,
torch.sin, manual updates `a -= learning_rate * a.grad` under torch.no_grad(), then grad = None.
"""
import math

import numpy as np
import torch

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# the tutorial draws a, b, c, d with torch.randn; numpy draws them here so both engines start equal
rng = np.random.default_rng(0)
a, b, c, d = (torch.tensor(float(v), device=device, dtype=dtype, requires_grad=True)
              for v in rng.standard_normal(4))

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
print("final loss:", loss.item())
