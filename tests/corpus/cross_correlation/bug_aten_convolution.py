# Calls torch.ops.aten.convolution, the operator behind conv2d (forbidden).
# breaks: corr2d
# symptom: forbidden.*convolution|convolution.*forbidden
import torch
from torch import nn


def corr2d(X, K):
    out = torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    return out[0, 0]


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
