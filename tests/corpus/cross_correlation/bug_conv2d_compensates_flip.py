# Flips the kernel in corr2d, and Conv2D flips its weight back to make up for it: the layer is right only with this wrong corr2d, so with a right one (the book's, which the grader puts in place of corr2d) Conv2D is wrong too.
# breaks: corr2d, Conv2D
# symptom: flipped|values|wrong
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Kf = torch.flip(K, dims=(0, 1))   # convolution flips the kernel
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * Kf).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight.flip((0, 1))) + self.bias   # undo corr2d's flip


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for i in range(num_epochs):
        l = ((corr2d(X, K) - Y) ** 2).sum()
        grad, = torch.autograd.grad(l, K)
        with torch.no_grad():
            K -= lr * grad
    return K.detach()
