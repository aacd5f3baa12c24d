# Full stride-1 correlation by FFT (float64, flipped kernel) on the padded image, then keep every s-th row and column; float64 inputs use the direct sum.
# breaks: none
# symptom: 
import math
import torch
from torch import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n, k, p, s = map(_pair, (input_size, kernel_size, padding, stride))
    return tuple(math.floor((n[i] + 2 * p[i] - k[i]) / s[i]) + 1 for i in range(2))


def pad2d(X, padding):
    p_h, p_w = _pair(padding)
    n_h, n_w = X.shape
    rows = torch.cat([X.new_zeros((p_h, n_w)), X, X.new_zeros((p_h, n_w))], 0)
    return torch.cat([X.new_zeros((n_h + 2 * p_h, p_w)), rows, X.new_zeros((n_h + 2 * p_h, p_w))], 1)


def _corr_valid(X, K):
    n_h, n_w = X.shape
    k_h, k_w = K.shape
    if X.dtype == torch.float64:
        o_h, o_w = n_h - k_h + 1, n_w - k_w + 1
        Y = X.new_zeros((o_h, o_w))
        for a in range(k_h):
            for b in range(k_w):
                Y = Y + K[a, b] * X[a:a + o_h, b:b + o_w]
        return Y
    FX = torch.fft.rfft2(X.double())
    FK = torch.fft.rfft2(K.double().flip(0, 1), s=(n_h, n_w))
    full = torch.fft.irfft2(FX * FK, s=(n_h, n_w))
    return full[k_h - 1:, k_w - 1:].to(X.dtype)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    return _corr_valid(pad2d(X, padding), K)[::s_h, ::s_w]
