# Hostile submission for tests/test_isolation.py: conv2d_backward by the autograd engine's class, found in a module's globals, grad mode forced back on.
# assignment: conv_layers
# attacked: conv2d_backward (the other exercises are honest)
# zeroed: forbidden
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


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


# the attack: defined last, so it is the one graded
def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    import sys
    engine = None
    for m in list(sys.modules.values()):
        for v in list(getattr(m, "__dict__", {}).values()):
            if isinstance(v, type) and "Engine" in v.__name__ and hasattr(v, "run_backward"):
                engine = v
    for name in dir(torch._C):
        if "grad_enabled" in name and name.startswith("_set"):
            getattr(torch._C, name)(True)
    X_ = X.detach().requires_grad_(True)
    W_ = W.detach().requires_grad_(True)
    with _off():
        Y = conv2d(X_, W_, None, stride, padding, dilation, groups)
        gX, gW = engine().run_backward(((Y * dY).sum(),), (None,), False, False, (X_, W_),
                                       False, False)
    return gX, gW, dY.sum(dim=(0, 2, 3))
