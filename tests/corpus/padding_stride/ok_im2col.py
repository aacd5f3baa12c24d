# im2col by stacking strided slices into a (o_h*o_w, k_h*k_w) matrix and multiplying by the flattened kernel with matmul.
# breaks: none
# symptom: 
import torch
from torch import nn


def _pair(v):
    if isinstance(v, int):
        return v, v
    a, b = v
    return a, b


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    dims = []
    for n, k, p, s in zip(_pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)):
        dims.append((n + 2 * p - k) // s + 1)
    return tuple(dims)


def pad2d(X, padding):
    ph, pw = _pair(padding)
    H, W = X.shape
    P = torch.zeros(H + 2 * ph, W + 2 * pw, dtype=X.dtype, device=X.device)
    P[ph:ph + H, pw:pw + W] = X
    return P


def corr2d_pad_stride(X, K, padding=0, stride=1):
    sh, sw = _pair(stride)
    Xp = pad2d(X, padding)
    kh, kw = K.shape
    oh, ow = conv_output_shape(tuple(Xp.shape), (kh, kw), 0, stride)
    cols = torch.stack([Xp[a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw].reshape(-1)
                        for a in range(kh) for b in range(kw)], dim=1)
    return torch.matmul(cols, K.reshape(-1)).reshape(oh, ow)
