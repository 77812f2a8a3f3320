"""Linear regression on generated data with nn.Linear, MSELoss, SGD with momentum and an
ExponentialLR schedule, batched by a DataLoader over a TensorDataset."""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(42)
X = rng.standard_normal((400, 5)).astype(np.float32)
true_w = np.array([[1.5], [-2.0], [0.5], [3.0], [-1.0]], dtype=np.float32)
Y = (X @ true_w + 0.7 + 0.1 * rng.standard_normal((400, 1))).astype(np.float32)

loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=16)
model = nn.Linear(5, 1)
nn.init.zeros_(model.weight)
nn.init.constant_(model.bias, 0.1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)

for epoch in range(6):
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()
    print(f"epoch {epoch} loss {total / len(loader.dataset):.6f} lr {scheduler.get_last_lr()[0]:.5f}")

with torch.no_grad():
    final = criterion(model(torch.tensor(X)), torch.tensor(Y)).item()
print("weights:", model.weight.detach().numpy().round(3).tolist(), "bias:", model.bias.item())
print("final loss:", final)
