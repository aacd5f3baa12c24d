# Builds every k_h x k_w window at once with as_strided and contracts with the kernel using einsum; learn_kernel uses torch.optim.SGD.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    o_h, o_w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    s0, s1 = X.stride()
    windows = X.as_strided((o_h, o_w, k_h, k_w), (s0, s1, s0, s1))
    return torch.einsum('ijab,ab->ij', windows, K)


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(kernel_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return corr2d(X, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = nn.Parameter(torch.zeros(kernel_size, dtype=X.dtype, device=X.device))
    opt = torch.optim.SGD([K], lr=lr)
    for _ in range(num_epochs):
        opt.zero_grad()
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        loss.backward()
        opt.step()
    return K.detach().clone()
