# Pads with selection matrices (E_h @ X @ E_w^T, where E is a shifted identity) and builds the result with nested list comprehensions + torch.stack.
# breaks: none
# symptom: 
import torch
from torch import nn


def _as_pair(v):
    try:
        h, w = v
    except TypeError:
        h = w = v
    return int(h), int(w)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = _as_pair(input_size)
    k_h, k_w = _as_pair(kernel_size)
    p_h, p_w = _as_pair(padding)
    s_h, s_w = _as_pair(stride)
    out_h = (n_h + 2 * p_h - k_h) // s_h + 1
    out_w = (n_w + 2 * p_w - k_w) // s_w + 1
    return out_h, out_w


def _embed(n, p, like):
    # (n + 2p, n) matrix with an identity block starting at row p
    eye = torch.eye(n, dtype=like.dtype, device=like.device)
    z = torch.zeros((p, n), dtype=like.dtype, device=like.device)
    return torch.cat([z, eye, z], 0)


def pad2d(X, padding):
    p_h, p_w = _as_pair(padding)
    E_h = _embed(X.shape[0], p_h, X)
    E_w = _embed(X.shape[1], p_w, X)
    return E_h @ X @ E_w.T


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _as_pair(stride)
    P = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(tuple(P.shape), tuple(K.shape), 0, stride)
    return torch.stack([torch.stack([(P[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
                                     for j in range(o_w)]) for i in range(o_h)])
