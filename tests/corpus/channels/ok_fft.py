# Batched FFT over channels in X's dtype (flipped kernels, products summed over input channels). 1x1 via torch.mm.
# breaks: none
# symptom: 
import torch
from torch import nn


def _corr_batched(X, K):
    # X (c_i, n_h, n_w), K (c_o, c_i, k_h, k_w) -> (c_o, o_h, o_w)
    c_o, c_i, k_h, k_w = K.shape
    n_h, n_w = X.shape[1:]
    o_h, o_w = n_h - k_h + 1, n_w - k_w + 1
    FX = torch.fft.rfft2(X, s=(n_h, n_w))                                # (c_i, ., .)
    FK = torch.fft.rfft2(K.flip(-1, -2), s=(n_h, n_w))                   # (c_o, c_i, ., .)
    full = torch.fft.irfft2((FK * FX[None]).sum(1), s=(n_h, n_w))
    return full[:, k_h - 1:, k_w - 1:]


def corr2d_multi_in(X, K):
    return _corr_batched(X, K[None])[0]


def corr2d_multi_in_out(X, K):
    return _corr_batched(X, K)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    return torch.mm(K.reshape(K.shape[0], c_i), X.reshape(c_i, h * w)).reshape(-1, h, w)
