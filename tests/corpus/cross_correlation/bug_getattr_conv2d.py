# Reaches conv2d through getattr with a split name to dodge a text search (forbidden).
# breaks: corr2d
# symptom: forbidden.*conv2d|conv2d.*forbidden
import torch
from torch import nn

import torch.nn.functional


def corr2d(X, K):
    helper = getattr(torch.nn.functional, "con" + "v2d")
    return helper(X[None, None], K[None, None])[0, 0]


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for i in range(num_epochs):
        l = ((corr2d(X, K) - Y) ** 2).sum()
        grad, = torch.autograd.grad(l, K)
        with torch.no_grad():
            K -= lr * grad
    return K.detach()
