# Loops over the k_h*k_w kernel positions and adds K[a, b] times a shifted slice of X; learn_kernel uses backward().
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    o_h, o_w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    Y = X.new_zeros((o_h, o_w))
    for a in range(k_h):
        for b in range(k_w):
            Y = Y + K[a, b] * X[a:a + o_h, b:b + o_w]
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return corr2d(X, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device)
    K.requires_grad_(True)
    for epoch in range(num_epochs):
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            K -= lr * K.grad
        K.grad.zero_()
    return K.detach()
