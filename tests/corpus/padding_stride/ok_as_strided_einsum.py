# Pads with new_zeros + slice assignment, takes all strided windows with as_strided and contracts them with einsum.
# breaks: none
# symptom: 
import torch
from torch import nn


def _pair(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x, x)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w) = _pair(input_size), _pair(kernel_size)
    (p_h, p_w), (s_h, s_w) = _pair(padding), _pair(stride)
    o_h = (n_h - k_h + 2 * p_h + s_h) // s_h
    o_w = (n_w - k_w + 2 * p_w + s_w) // s_w
    return (o_h, o_w)


def pad2d(X, padding):
    p_h, p_w = _pair(padding)
    if p_h == 0 and p_w == 0:
        return X
    out = X.new_zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w))
    out[p_h:out.shape[0] - p_h, p_w:out.shape[1] - p_w] = X
    return out


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    Xp = pad2d(X, padding).contiguous()
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(tuple(Xp.shape), (k_h, k_w), 0, (s_h, s_w))
    r, c = Xp.stride()
    win = Xp.as_strided((o_h, o_w, k_h, k_w), (r * s_h, c * s_w, r, c))
    return torch.einsum('ijkl,kl->ij', win, K)
