# Pads by writing X into the middle of a zero tensor, collects strided shifted views into a 4-D stack and contracts with tensordot.
# breaks: none
# symptom: 
import torch
from torch import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n, k, p, s = _pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)
    return (int((n[0] + 2 * p[0] - k[0]) // s[0] + 1), int((n[1] + 2 * p[1] - k[1]) // s[1] + 1))


def pad2d(X, padding):
    ph, pw = _pair(padding)
    Z = torch.zeros(X.shape[0] + 2 * ph, X.shape[1] + 2 * pw, dtype=X.dtype, device=X.device)
    Z[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    sh, sw = _pair(stride)
    Xp = pad2d(X, padding)
    kh, kw = K.shape
    oh, ow = conv_output_shape(tuple(Xp.shape), (kh, kw), 0, (sh, sw))
    views = torch.stack([torch.stack([Xp[a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw]
                                      for b in range(kw)]) for a in range(kh)])   # (kh, kw, oh, ow)
    return torch.tensordot(K, views, dims=2)
