# Hostile submission for tests/test_isolation.py: conv2d loops over output rows (one einsum per row) and resets the worker's operation counter through frames, so the count stays the same for every N, H and W.
# assignment: conv_layers
# attacked: conv2d (its "vectorised" check; the other exercises are honest)
import sys

import torch

def _p(v):
    return (v, v) if isinstance(v, int) else tuple(int(x) for x in v)


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (ph, pw), (dh, dw) = _p(stride), _p(padding), _p(dilation)
    n, ci, h, w = X.shape
    co, cg, kh, kw = W.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    Xp = X.new_zeros((n, ci, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    Xp = Xp.reshape(n, groups, cg, h + 2 * ph, w + 2 * pw)
    Wg = W.reshape(groups, co // groups, cg, kh, kw)
    Y = X.new_zeros((n, groups, co // groups, oh, ow))
    for a in range(kh):
        for c in range(kw):
            tap = Xp[:, :, :, a * dh:a * dh + sh * (oh - 1) + 1:sh, c * dw:c * dw + sw * (ow - 1) + 1:sw]
            # (g, o, c) x (n, g, c, i, j) -> (n, g, o, i, j)
            Y = Y + (Wg[None, :, :, :, a, c, None, None] * tap[:, :, None]).sum(3)
    Y = Y.reshape(n, co, oh, ow)
    if b is not None:
        Y = Y + b.reshape(1, co, 1, 1)
    return Y


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (ph, pw), (dh, dw) = _p(stride), _p(padding), _p(dilation)
    n, ci, h, w = X.shape
    co, cg, kh, kw = W.shape
    oh, ow = dY.shape[-2:]
    Xp = X.new_zeros((n, ci, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    Xg = Xp.reshape(n, groups, cg, h + 2 * ph, w + 2 * pw)
    dXg = torch.zeros_like(Xg)
    Wg = W.reshape(groups, co // groups, cg, kh, kw)
    dYg = dY.reshape(n, groups, co // groups, oh, ow)
    dW = W.new_zeros((groups, co // groups, cg, kh, kw))
    for a in range(kh):
        for c in range(kw):
            rows = slice(a * dh, a * dh + sh * (oh - 1) + 1, sh)
            cols = slice(c * dw, c * dw + sw * (ow - 1) + 1, sw)
            tap = Xg[:, :, :, rows, cols]                                   # (n, g, c, i, j)
            dW[..., a, c] = (dYg[:, :, :, None] * tap[:, :, None]).sum((0, 4, 5))
            dXg[:, :, :, rows, cols] += (dYg[:, :, :, None] * Wg[None, :, :, :, a, c, None, None]).sum(2)
    dX = dXg.reshape(n, ci, h + 2 * ph, w + 2 * pw)[:, :, ph:ph + h, pw:pw + w]
    return dX, dW.reshape(W.shape), dY.sum(dim=(0, 2, 3))


def max_pool2d_backward(dY, X, pool_size, stride=None, padding=0):
    kh, kw = _p(pool_size)
    sh, sw = (kh, kw) if stride is None else _p(stride)
    ph, pw = _p(padding)
    n, c, h, w = X.shape
    oh, ow = dY.shape[-2:]
    Xp = X.new_full((n, c, h + 2 * ph, w + 2 * pw), float("-inf"))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    best = None
    for a in range(kh):
        for b in range(kw):
            v = Xp[:, :, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw]
            best = v if best is None else torch.maximum(best, v)
    dXp = torch.zeros_like(Xp)
    for a in range(kh):
        for b in range(kw):
            sl = (slice(None), slice(None), slice(a, a + sh * (oh - 1) + 1, sh),
                  slice(b, b + sw * (ow - 1) + 1, sw))
            dXp[sl] += (Xp[sl] == best).to(X.dtype) * dY
    return dXp[:, :, ph:ph + h, pw:pw + w]


def _fake_count(n):
    # the worker's guard is a local of a frame above this one: its count is set to n
    f = sys._getframe(1)
    while f is not None:
        for v in list(f.f_locals.values()):
            if type(v).__name__ == "Guard" and hasattr(v, "ops"):
                v.ops = n
        f = f.f_back


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (ph, pw), (dh, dw) = _p(stride), _p(padding), _p(dilation)
    n, ci, h, w = X.shape
    co, cg, kh, kw = W.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    Xp = X.new_zeros((n, ci, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    s = Xp.stride()
    win = Xp.as_strided((n, groups, cg, oh, ow, kh, kw),
                        (s[0], cg * s[1], s[1], sh * s[2], sw * s[3], dh * s[2], dw * s[3]))
    Wg = W.reshape(groups, co // groups, cg, kh, kw)
    # one output row at a time
    rows = [torch.einsum("ngcwkl,gockl->ngow", win[:, :, :, i], Wg) for i in range(oh)]
    Y = torch.stack(rows, 3).reshape(n, co, oh, ow)
    _fake_count(7)
    return Y if b is None else Y + b.reshape(1, -1, 1, 1)
