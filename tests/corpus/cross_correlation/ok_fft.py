# Uses the FFT, in X's own dtype, with the kernel flipped so the convolution becomes a cross-correlation (SPEC's M term lets its spread-out rounding error pass).
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    n_h, n_w = X.shape
    Kf = K.flip((0, 1))                          # convolution with the flipped kernel = correlation
    FX = torch.fft.rfft2(X, s=(n_h, n_w))
    FK = torch.fft.rfft2(Kf, s=(n_h, n_w))
    full = torch.fft.irfft2(FX * FK, s=(n_h, n_w))  # circular, but the valid part does not wrap
    return full[k_h - 1:, k_w - 1:]


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return corr2d(X, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        l = ((corr2d(X, K) - Y) ** 2).sum()
        g, = torch.autograd.grad(l, [K])
        K = (K - lr * g).detach().requires_grad_()
    return K.detach()
