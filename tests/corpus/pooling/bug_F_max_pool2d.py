# pool2d_pad_stride calls F.max_pool2d / F.avg_pool2d: forbidden, so it scores 0.
# breaks: pool2d_pad_stride
# symptom: forbidden routine.*pool
import torch
from torch import nn


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


import torch.nn.functional as F


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    X4 = X[None, None] if X.dim() == 2 else X[None]
    if mode == 'max':
        Y = F.max_pool2d(X4, pool_size, stride, padding)
    else:
        Y = F.avg_pool2d(X4, pool_size, stride, padding)
    return Y[0, 0] if X.dim() == 2 else Y[0]
