"""MAML on sine regression, in the idiom of the PyTorch meta-learning tutorials: a functional MLP
(F.linear over a list of parameters), an inner SGD step taken with torch.autograd.grad(...,
create_graph=True) so the outer loss differentiates through it (second order), and an outer Adam.

float64 (torch.set_default_dtype) so that the two engines' losses can be compared closely.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
INNER_LR, TASKS, SHOTS = 0.01, 4, 10


def init(sizes):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(n_in)
        params.append(torch.tensor(rng.uniform(-bound, bound, (n_out, n_in)), requires_grad=True))
        params.append(torch.zeros(n_out, requires_grad=True))
    return params


def forward(x, params):
    for i in range(0, len(params) - 2, 2):
        x = F.relu(F.linear(x, params[i], params[i + 1]))
    return F.linear(x, params[-2], params[-1])


def task():
    amplitude, phase = rng.uniform(0.1, 5.0), rng.uniform(0, math.pi)
    x = torch.tensor(rng.uniform(-5, 5, (2 * SHOTS, 1)))
    return x[:SHOTS], amplitude * torch.sin(x[:SHOTS] + phase), x[SHOTS:], amplitude * torch.sin(x[SHOTS:] + phase)


params = init([1, 40, 40, 1])
meta_optimizer = torch.optim.Adam(params, lr=1e-3)
for step in range(60):
    meta_optimizer.zero_grad()
    meta_loss = 0
    for _ in range(TASKS):
        x_support, y_support, x_query, y_query = task()
        inner_loss = F.mse_loss(forward(x_support, params), y_support)
        grads = torch.autograd.grad(inner_loss, params, create_graph=True)
        adapted = [p - INNER_LR * g for p, g in zip(params, grads)]
        meta_loss = meta_loss + F.mse_loss(forward(x_query, adapted), y_query)
    meta_loss = meta_loss / TASKS
    meta_loss.backward()
    meta_optimizer.step()
    if step % 20 == 0:
        print(step, meta_loss.item())

print(f"final loss: {meta_loss.item():.10f}")
