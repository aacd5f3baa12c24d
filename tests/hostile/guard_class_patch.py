# Hostile submission for tests/test_isolation.py: patches the guard class found in sys.modules to let every call through.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import sys


def corr2d(X, K):
    for name, mod in list(sys.modules.items()):
        g = getattr(mod, "Gu" + "ard", None)
        if isinstance(g, type) and hasattr(g, "__torch_function__"):
            g.__torch_function__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
            g.flag = lambda self, what: None
    return F.conv2d(X[None, None], K[None, None])[0, 0]


def _corr2d_ok(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return _corr2d_ok(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        l = ((_corr2d_ok(X, K) - Y) ** 2).sum()
        l.backward()
        with torch.no_grad():
            K -= lr * K.grad
            K.grad.zero_()
    return K.detach()
