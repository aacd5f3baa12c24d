# im2col by hand: stack the shifted slices as columns of a matrix, then one matmul with the flattened kernel.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    o_h, o_w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    cols = torch.stack([X[a:a + o_h, b:b + o_w].reshape(-1)
                        for a in range(k_h) for b in range(k_w)], dim=1)   # (o_h*o_w, k_h*k_w)
    return (cols @ K.reshape(-1)).reshape(o_h, o_w)


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.register_parameter('weight', nn.Parameter(torch.empty(kernel_size).uniform_(-1, 1)))
        self.register_parameter('bias', nn.Parameter(torch.zeros(1)))

    def forward(self, X):
        return self.corr(X) + self.bias

    def corr(self, X):
        return corr2d(X, self.weight)


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device)
    for _ in range(num_epochs):
        K = K.detach().requires_grad_()
        l = ((corr2d(X, K) - Y) ** 2).sum()
        l.backward()
        K = K - lr * K.grad
    return K.detach()
