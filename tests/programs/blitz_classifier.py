"""The 60-minute blitz "Training a classifier", on scikit-learn's digits (8x8, one channel):
a Net with conv/pool/fc layers, CrossEntropyLoss, SGD with momentum, a running loss printed every
few mini-batches, and accuracy with `_, predicted = torch.max(outputs.data, 1)`."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.datasets import load_digits


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


digits = load_digits()
images = torch.tensor((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
labels = torch.tensor(digits.target)
trainset = torch.utils.data.TensorDataset(images[:1500], labels[:1500])
testset = torch.utils.data.TensorDataset(images[1500:], labels[1500:])
trainloader = torch.utils.data.DataLoader(trainset, batch_size=20, shuffle=False)
testloader = torch.utils.data.DataLoader(testset, batch_size=20, shuffle=False)

net = Net()
rng = np.random.default_rng(7)
for p in net.parameters():
    p.data = torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(p.shape)).astype(np.float32))

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 25 == 24:
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 25:.3f}')
            last_running = running_loss / 25
            running_loss = 0.0

correct = 0
total = 0
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print(f'Accuracy of the network on the test images: {100 * correct // total} %')
print("final loss:", last_running)
print("accuracy:", correct / total)
