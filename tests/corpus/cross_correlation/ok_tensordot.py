# Stacks the k_h*k_w shifted views into a (k_h, k_w, o_h, o_w) tensor and contracts with tensordot; learn_kernel uses a bias-free copy of Conv2D.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    o_h, o_w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    shifts = torch.stack([torch.stack([X[a:a + o_h, b:b + o_w] for b in range(k_w)]) for a in range(k_h)])
    return torch.tensordot(K, shifts, dims=([0, 1], [0, 1]))


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return corr2d(X, self.weight) + self.bias


class _NoBiasConv(nn.Module):
    def __init__(self, kernel_size, dtype, device):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(kernel_size, dtype=dtype, device=device))

    def forward(self, X):
        return corr2d(X, self.weight)


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    net = _NoBiasConv(kernel_size, X.dtype, X.device)
    for i in range(num_epochs):
        l = ((net(X) - Y) ** 2).sum()
        net.zero_grad()
        l.backward()
        with torch.no_grad():
            net.weight -= lr * net.weight.grad
    return net.weight.detach().clone()
