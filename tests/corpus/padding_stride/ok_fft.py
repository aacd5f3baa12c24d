# Full stride-1 correlation by FFT (in X's dtype, flipped kernel) on the padded image, then keep every s-th row and column.
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
    FX = torch.fft.rfft2(X)
    FK = torch.fft.rfft2(K.flip(0, 1), s=(n_h, n_w))
    full = torch.fft.irfft2(FX * FK, s=(n_h, n_w))
    return full[k_h - 1:, k_w - 1:]


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    return _corr_valid(pad2d(X, padding), K)[::s_h, ::s_w]
