# LeNet built from a list of layers; accuracy with max(1); init over net.modules(); F.cross_entropy.
# breaks: none
import torch
import torch.nn.functional as F
from torch import nn


def lenet():
    layers = []
    for c_in, c_out, pad in [(1, 6, 2), (6, 16, 0)]:
        layers += [nn.Conv2d(c_in, c_out, 5, padding=pad), nn.Sigmoid(), nn.AvgPool2d(2)]
    layers.append(nn.Flatten())
    sizes = [400, 120, 84, 10]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def evaluate_accuracy(net, data_iter):
    net.eval()
    right = total = 0
    with torch.no_grad():
        for X, y in data_iter:
            _, pred = net(X).max(1)
            right += int((pred == y).sum())
            total += len(y)
    return float(right) / total


def train_lenet(net, train_iter, test_iter, num_epochs, lr):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
    opt = torch.optim.SGD(net.parameters(), lr)
    out = []
    for _ in range(num_epochs):
        losses, right, n = [], 0, 0
        for X, y in train_iter:
            y_hat = net(X)
            loss = F.cross_entropy(y_hat, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item() * len(y))
            right += (y_hat.argmax(1) == y).sum().item()
            n += len(y)
        out.append([sum(losses) / n, right / n, evaluate_accuracy(net, test_iter)])
    return out
