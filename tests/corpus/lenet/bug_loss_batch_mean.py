# The epoch's train loss averages the per-batch mean losses instead of the examples' losses.
# breaks: train_lenet
# symptom: averaged over the examples
import torch
from torch import nn


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def evaluate_accuracy(net, data_iter):
    if isinstance(net, nn.Module):
        net.eval()
    right, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            right += (net(X).argmax(axis=1) == y).sum().item()
            total += y.numel()
    return right / total


def train_lenet(net, train_iter, test_iter, num_epochs, lr):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    history = []
    for epoch in range(num_epochs):
        net.train()
        total_loss, right, n, batches = 0.0, 0, 0, 0
        for X, y in train_iter:
            optimizer.zero_grad()
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                total_loss += l.item()
                batches += 1
                right += (y_hat.argmax(axis=1) == y).sum().item()
                n += X.shape[0]
        test_acc = evaluate_accuracy(net, test_iter)
        history.append((total_loss / batches, right / n, test_acc))
    return history
