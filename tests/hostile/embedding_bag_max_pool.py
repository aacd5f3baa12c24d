# Hostile submission for tests/test_isolation.py: pool2d from F.embedding_bag's max and mean over window indices.
# assignment: pooling
# attacked: pool2d (the other exercises are honest)
# zeroed: forbidden
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


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


# the attack: defined last, so it is the one graded
def pool2d(X, pool_size, mode='max'):
    import torch.nn.functional as F
    p_h, p_w = pool_size
    H, W = X.shape
    oh, ow = H - p_h + 1, W - p_w + 1
    base = (torch.arange(oh)[:, None] * W + torch.arange(ow)[None, :]).reshape(-1, 1)
    off = (torch.arange(p_h)[:, None] * W + torch.arange(p_w)[None, :]).reshape(1, -1)
    idx = (base + off).reshape(-1)
    offsets = torch.arange(0, idx.numel(), p_h * p_w)
    with _off():
        Y = F.embedding_bag(idx, X.reshape(-1, 1), offsets, mode=mode)
    return Y.reshape(oh, ow)
