# Named layers (OrderedDict), accuracy as float(tensor), SGD written out by hand (p -= lr * grad).
# breaks: none
from collections import OrderedDict

import torch
from torch import nn


def lenet():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, (5, 5), padding=(2, 2))), ("act1", nn.Sigmoid()),
        ("pool1", nn.AvgPool2d((2, 2), stride=(2, 2))),
        ("conv2", nn.Conv2d(6, 16, (5, 5))), ("act2", nn.Sigmoid()),
        ("pool2", nn.AvgPool2d((2, 2), stride=(2, 2))),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120)), ("act3", nn.Sigmoid()),
        ("fc2", nn.Linear(120, 84)), ("act4", nn.Sigmoid()),
        ("fc3", nn.Linear(84, 10)),
    ]))


def evaluate_accuracy(net, data_iter):
    right = torch.tensor(0.0)
    total = 0
    with torch.no_grad():
        for X, y in data_iter:
            right += (net(X).argmax(dim=-1) == y).float().sum()
            total += y.shape[0]
    return float(right / total)


def train_lenet(net, train_iter, test_iter, num_epochs, lr):
    def init(m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            torch.nn.init.xavier_uniform_(m.weight)
    net.apply(init)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(num_epochs):
        s_loss = s_right = s_n = 0.0
        for X, y in train_iter:
            y_hat = net(X)
            loss = loss_fn(y_hat, y)
            for p in net.parameters():
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= lr * p.grad
                s_loss += float(loss) * len(y)
                s_right += float((y_hat.argmax(1) == y).sum())
                s_n += len(y)
        history.append((s_loss / s_n, s_right / s_n, evaluate_accuracy(net, test_iter)))
    return history
