"""A DataLoader pipeline with worker processes: a custom Dataset over make_moons arrays,
DataLoader(num_workers=2, pin_memory=True, worker_init_fn=...), an nn.Sequential built from an
OrderedDict with ReLU(inplace=True), CrossEntropyLoss and Adam."""
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from torch.utils.data import DataLoader, Dataset


class MoonsDataset(Dataset):
    def __init__(self, n_samples, seed):
        self.points, self.labels = make_moons(n_samples=n_samples, noise=0.2, random_state=seed)
        self.points = self.points.astype(np.float32)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.points[idx], int(self.labels[idx])


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2 ** 32
    np.random.seed(worker_seed)


def main():
    torch.manual_seed(0)
    train_loader = DataLoader(MoonsDataset(512, seed=0), batch_size=32, shuffle=False, num_workers=2,
                              pin_memory=True, worker_init_fn=seed_worker)
    model = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(2, 16)),
        ("relu1", nn.ReLU(inplace=True)),
        ("fc2", nn.Linear(16, 16)),
        ("relu2", nn.ReLU(inplace=True)),
        ("out", nn.Linear(16, 2)),
    ]))
    rng = np.random.default_rng(3)
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(param.shape)).astype(np.float32)))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(4):
        running_loss, seen = 0.0, 0
        for inputs, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            seen += inputs.size(0)
        print(f"epoch {epoch}: loss {running_loss / seen:.4f}")
    print("final loss:", running_loss / seen)


if __name__ == "__main__":
    main()
