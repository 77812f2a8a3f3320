"""A make_moons classifier in the style of many tutorials: model.apply(init_weights) with nn.init,
nn.Sequential with Tanh, BCEWithLogitsLoss, Adam, model.eval() and torch.no_grad() for accuracy."""
import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_moons

X, y = make_moons(n_samples=300, noise=0.15, random_state=1)
X = torch.tensor(X.astype(np.float32))
y = torch.tensor(y.astype(np.float32)).unsqueeze(1)

rng = np.random.default_rng(11)


def init_weights(m):
    if isinstance(m, nn.Linear):
        fan_out, fan_in = m.weight.shape
        bound = float(np.sqrt(6.0 / (fan_in + fan_out)))  # xavier_uniform_'s bound, drawn by numpy
        m.weight.data = torch.tensor(rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32))
        nn.init.zeros_(m.bias)


model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
model.apply(init_weights)
print(model)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)

for step in range(300):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    predictions = (torch.sigmoid(model(X)) > 0.5).float()
    accuracy = (predictions == y).float().mean().item()
print("final loss:", loss.item())
print("accuracy:", accuracy)
