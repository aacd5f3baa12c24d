# as_strided windows (N, C, o_h, o_w, k_h, k_w) with the stride and dilation in their strides, contracted by einsum per group; max-pool backward by a flat scatter_add.
# breaks: none
# symptom: 
import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _pad(X, p, value=0.0):
    n, c, h, w = X.shape
    out = X.new_full((n, c, h + 2 * p[0], w + 2 * p[1]), value)
    out[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = X
    return out


def _windows(Xp, k, s, d, o):
    Xp = Xp.contiguous()
    sn, sc, sh, sw = Xp.stride()
    return Xp.as_strided((Xp.shape[0], Xp.shape[1], o[0], o[1], k[0], k[1]),
                         (sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]))


def _out(h, w, k, s, p, d):
    return ((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1,
            (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1)


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    n, c_in, h, w = X.shape
    c_out, c_g, k_h, k_w = W.shape
    o = _out(h, w, (k_h, k_w), s, p, d)
    win = _windows(_pad(X, p), (k_h, k_w), s, d, o)
    win = win.reshape(n, groups, c_g, o[0], o[1], k_h, k_w)
    Wg = W.reshape(groups, c_out // groups, c_g, k_h, k_w)
    Y = torch.einsum("ngcijab,gocab->ngoij", win, Wg).reshape(n, c_out, o[0], o[1])
    return Y if b is None else Y + b[None, :, None, None]


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    n, c_in, h, w = X.shape
    c_out, c_g, k_h, k_w = W.shape
    o = dY.shape[-2:]
    Xp = _pad(X, p)
    win = _windows(Xp, (k_h, k_w), s, d, o).reshape(n, groups, c_g, o[0], o[1], k_h, k_w)
    dYg = dY.reshape(n, groups, c_out // groups, o[0], o[1])
    dW = torch.einsum("ngcijab,ngoij->gocab", win, dYg).reshape(W.shape)
    db = dY.sum((0, 2, 3))
    Wg = W.reshape(groups, c_out // groups, c_g, k_h, k_w)
    dwin = torch.einsum("ngoij,gocab->ngcabij", dYg, Wg).reshape(n, c_in, k_h, k_w, o[0], o[1])
    dXp = torch.zeros_like(Xp)
    for a in range(k_h):
        for c in range(k_w):
            dXp[:, :, a * d[0]:a * d[0] + s[0] * (o[0] - 1) + 1:s[0],
                c * d[1]:c * d[1] + s[1] * (o[1] - 1) + 1:s[1]] += dwin[:, :, a, c]
    return dXp[:, :, p[0]:p[0] + h, p[1]:p[1] + w], dW, db


def max_pool2d_backward(dY, X, pool_size, stride=None, padding=0):
    k = _pair(pool_size)
    s = k if stride is None else _pair(stride)
    p = _pair(padding)
    n, c, h, w = X.shape
    Xp = _pad(X, p, float("-inf"))
    H, Wd = Xp.shape[-2:]
    o = dY.shape[-2:]
    idx = torch.arange(H * Wd, device=X.device).reshape(1, 1, H, Wd).expand(n, c, H, Wd)
    win = _windows(Xp, k, s, (1, 1), o).reshape(n, c, o[0], o[1], -1)
    iwin = _windows(idx, k, s, (1, 1), o).reshape(n, c, o[0], o[1], -1)
    where = iwin.gather(-1, win.argmax(-1, keepdim=True)).squeeze(-1)
    dXp = X.new_zeros((n, c, H * Wd))
    dXp.scatter_add_(2, where.reshape(n, c, -1), dY.reshape(n, c, -1))
    return dXp.reshape(n, c, H, Wd)[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
