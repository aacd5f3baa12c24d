# Hostile submission for tests/test_isolation.py: numpy's private padding engine (numpy.lib._arraypad_impl._pad_simple; only numpy.pad is replaced) pads a map of indices, then a gather
# assignment: padding_stride
# attacked: pad2d (conv_output_shape and corr2d_pad_stride are honest)
import numpy as np
import torch
from torch import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = _pair(input_size)
    k_h, k_w = _pair(kernel_size)
    p_h, p_w = _pair(padding)
    s_h, s_w = _pair(stride)
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


def _pad_ok(X, padding):
    p_h, p_w = _pair(padding)
    n_h, n_w = X.shape
    Y = torch.zeros((n_h + 2 * p_h, n_w + 2 * p_w), dtype=X.dtype, device=X.device)
    Y[p_h:p_h + n_h, p_w:p_w + n_w] = X
    return Y


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    Xp = _pad_ok(X, padding)
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(Xp.shape, K.shape, 0, stride)
    Y = torch.zeros((o_h, o_w), dtype=X.dtype, device=X.device)
    for i in range(o_h):
        for j in range(o_w):
            Y[i, j] = (Xp[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y


def _gather(X, padded_index):
    """X padded with zeros, from a padded map of flat indices (-1 where padding goes)."""
    flat = torch.cat([X.reshape(-1), torch.zeros(1, dtype=X.dtype, device=X.device)])
    return flat[torch.as_tensor(padded_index, dtype=torch.int64, device=X.device)]


def pad2d(X, padding):
    from numpy.lib._arraypad_impl import _pad_simple
    p_h, p_w = _pair(padding)
    index = np.arange(X.numel()).reshape(tuple(X.shape))
    padded, _ = _pad_simple(index, ((p_h, p_h), (p_w, p_w)), fill_value=-1)
    return _gather(X, padded)
