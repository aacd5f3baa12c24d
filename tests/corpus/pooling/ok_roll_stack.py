# pool2d stacks the image rolled by every window offset and reduces over the stack (max, or mean); pool2d_pad_stride is the book's padded loop.
# breaks: none
# symptom: 
import torch
from torch import nn


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    p_h, p_w = pool_size
    oh, ow = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    shifted = torch.stack([torch.roll(X, (-a, -b), (0, 1))[:oh, :ow]
                           for a in range(p_h) for b in range(p_w)])
    return shifted.amax(0) if mode == 'max' else shifted.mean(0)


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    k_h, k_w = _pair(pool_size)
    p_h, p_w = _pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else _pair(stride)
    flat = X.dim() == 2
    if flat:
        X = X[None]
    c, n_h, n_w = X.shape
    fill = float('-inf') if mode == 'max' else 0.0
    Xp = torch.full((c, n_h + 2 * p_h, n_w + 2 * p_w), fill, dtype=X.dtype, device=X.device)
    Xp[:, p_h:p_h + n_h, p_w:p_w + n_w] = X
    o_h = (n_h + 2 * p_h - k_h) // s_h + 1
    o_w = (n_w + 2 * p_w - k_w) // s_w + 1
    Y = torch.zeros((c, o_h, o_w), dtype=X.dtype, device=X.device)
    for ch in range(c):
        for i in range(o_h):
            for j in range(o_w):
                win = Xp[ch, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
                Y[ch, i, j] = win.max() if mode == 'max' else win.sum() / (k_h * k_w)
    return Y[0] if flat else Y
