# Uses the FFT (in float64) with the kernel flipped so the convolution becomes a cross-correlation; float64 inputs use the direct sum since the FFT cannot be more exact than its own dtype.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    k_h, k_w = K.shape
    n_h, n_w = X.shape
    if X.dtype == torch.float64:
        # FFT rounding in float64 is not exact enough for float64 inputs: sum the shifted slices
        o_h, o_w = n_h - k_h + 1, n_w - k_w + 1
        Y = X.new_zeros((o_h, o_w))
        for a in range(k_h):
            for b in range(k_w):
                Y = Y + K[a, b] * X[a:a + o_h, b:b + o_w]
        return Y
    X64 = X.to(torch.float64)
    K64 = K.to(torch.float64).flip((0, 1))       # convolution with the flipped kernel = correlation
    FX = torch.fft.rfft2(X64, s=(n_h, n_w))
    FK = torch.fft.rfft2(K64, s=(n_h, n_w))
    full = torch.fft.irfft2(FX * FK, s=(n_h, n_w))  # circular, but the valid part does not wrap
    return full[k_h - 1:, k_w - 1:].to(X.dtype)


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
