# A Toeplitz matrix built with Tensor.repeat (the flattened kernel, shifted one step per row by repeating a vector one longer than the image), one matrix-vector product, reshaped back.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    H, W = X.shape
    h, w = K.shape
    oh, ow = H - h + 1, W - w + 1
    # the kernel laid over the flattened image: each kernel row, then W - w zeros
    rows = [torch.cat([K[a], K.new_zeros(W - w)]) for a in range(h - 1)] + [K[h - 1]]
    kflat = torch.cat(rows)
    n = (oh - 1) * W + ow                    # flat offsets of the output's top-left corners
    v = torch.cat([kflat, kflat.new_zeros(H * W - kflat.numel() + 1)])
    T = v.repeat(n)[:n * H * W].reshape(n, H * W)       # row t: the kernel shifted by t
    T = T.to(X.dtype)
    y = T @ X.reshape(-1)
    y = torch.cat([y, y.new_zeros(oh * W - n)])
    return y.reshape(oh, W)[:, :ow]


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
        Y_hat = corr2d(X, K)
        l = ((Y_hat - Y) ** 2).sum()
        grad, = torch.autograd.grad(l, K)
        with torch.no_grad():
            K -= lr * grad
    return K.detach()
