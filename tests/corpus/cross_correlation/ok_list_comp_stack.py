# Nested list comprehension of window sums, turned into a tensor with torch.stack (keeps autograd, dtype and device).
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    rows = X.shape[0] - h + 1
    cols = X.shape[1] - w + 1
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum() for j in range(cols)])
                        for i in range(rows)])


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(*kernel_size))
        self.bias = nn.Parameter(torch.randn(1))

    def forward(self, X):
        Y = corr2d(X, self.weight)
        return Y + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for epoch in range(num_epochs):
        err = corr2d(X, K) - Y
        loss = (err * err).sum()
        loss.backward()
        K.data -= lr * K.grad
        K.grad = None
    return K.detach()
