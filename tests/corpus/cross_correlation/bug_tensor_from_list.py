# Builds the result with torch.tensor(list of float(...)) values, which detaches it from autograd.
# breaks: corr2d
# symptom: gradient|raised RuntimeError
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    rows = []
    for i in range(X.shape[0] - h + 1):
        rows.append([float((X[i:i + h, j:j + w] * K).sum()) for j in range(X.shape[1] - w + 1)])
    return torch.tensor(rows, dtype=X.dtype, device=X.device)


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
