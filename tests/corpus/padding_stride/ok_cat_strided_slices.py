# Pads by concatenating zero blocks with torch.cat; correlates by adding K[a, b] times a strided slice X[a::s_h, b::s_w] for each kernel position.
# breaks: none
# symptom: 
import torch
from torch import nn


def _two(v):
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v, v)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    return tuple(int((n + 2 * p - k) // s + 1) for n, k, p, s in
                 zip(_two(input_size), _two(kernel_size), _two(padding), _two(stride)))


def pad2d(X, padding):
    p_h, p_w = _two(padding)
    if p_w:
        side = X.new_zeros((X.shape[0], p_w))
        X = torch.cat([side, X, side], dim=1)
    if p_h:
        top = X.new_zeros((p_h, X.shape[1]))
        X = torch.cat([top, X, top], dim=0)
    return X


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _two(stride)
    Xp = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(tuple(Xp.shape), tuple(K.shape), 0, stride)
    Y = X.new_zeros((o_h, o_w))
    for a in range(k_h):
        for b in range(k_w):
            Y = Y + K[a, b] * Xp[a:a + s_h * (o_h - 1) + 1:s_h, b:b + s_w * (o_w - 1) + 1:s_w]
    return Y
