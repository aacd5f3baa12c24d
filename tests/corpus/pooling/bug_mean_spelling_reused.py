# pool2d spells average pooling 'mean' (mode='avg' raises); pool2d_pad_stride pads by hand and calls that pool2d, so only pool2d loses points.
# breaks: pool2d
# symptom: 'avg'.*not 'mean'
import torch
from torch import nn


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'mean'):
        raise ValueError(f"unknown mode {mode!r}")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'mean':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    k = _pair(pool_size)
    p = _pair(padding)
    s = k if stride is None else _pair(stride)
    chans = X[None] if X.dim() == 2 else X
    out = []
    for ch in chans:
        Xp = torch.full((ch.shape[0] + 2 * p[0], ch.shape[1] + 2 * p[1]),
                        float('-inf') if mode == 'max' else 0.0, dtype=X.dtype, device=X.device)
        Xp[p[0]:p[0] + ch.shape[0], p[1]:p[1] + ch.shape[1]] = ch
        out.append(pool2d(Xp, k, mode)[::s[0], ::s[1]])
    Y = torch.stack(out)
    return Y[0] if X.dim() == 2 else Y
