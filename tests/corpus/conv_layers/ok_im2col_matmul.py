# im2col by slicing (one slice per kernel tap, stacked), then one batched matmul per group axis; backward by the same windows.
# breaks: none
# symptom: 
import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _padded(X, p_h, p_w):
    n, c, h, w = X.shape
    Xp = X.new_zeros((n, c, h + 2 * p_h, w + 2 * p_w))
    Xp[:, :, p_h:p_h + h, p_w:p_w + w] = X
    return Xp


def _geometry(X, W, stride, padding, dilation):
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, w = X.shape
    k_h, k_w = W.shape[-2:]
    o_h = (h + 2 * p_h - d_h * (k_h - 1) - 1) // s_h + 1
    o_w = (w + 2 * p_w - d_w * (k_w - 1) - 1) // s_w + 1
    return (s_h, s_w), (p_h, p_w), (d_h, d_w), (k_h, k_w), (o_h, o_w)


def _taps(k_h, k_w, d_h, d_w, s_h, s_w, o_h, o_w):
    """(row slice, column slice) of the padded input each kernel tap reads."""
    return [(slice(a * d_h, a * d_h + s_h * (o_h - 1) + 1, s_h),
             slice(b * d_w, b * d_w + s_w * (o_w - 1) + 1, s_w))
            for a in range(k_h) for b in range(k_w)]


def _im2col(Xp, geo):
    (s_h, s_w), _, (d_h, d_w), (k_h, k_w), (o_h, o_w) = geo
    cols = [Xp[:, :, r, c] for r, c in _taps(k_h, k_w, d_h, d_w, s_h, s_w, o_h, o_w)]
    return torch.stack(cols, 2)          # (n, c, k_h*k_w, o_h, o_w)


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    geo = _geometry(X, W, stride, padding, dilation)
    _, (p_h, p_w), _, (k_h, k_w), (o_h, o_w) = geo
    n, c_in = X.shape[:2]
    c_out = W.shape[0]
    cols = _im2col(_padded(X, p_h, p_w), geo)
    cols = cols.reshape(n, groups, (c_in // groups) * k_h * k_w, o_h * o_w)
    Wm = W.reshape(groups, c_out // groups, -1)
    Y = torch.matmul(Wm[None], cols).reshape(n, c_out, o_h, o_w)
    return Y if b is None else Y + b.reshape(1, -1, 1, 1)


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    geo = _geometry(X, W, stride, padding, dilation)
    (s_h, s_w), (p_h, p_w), (d_h, d_w), (k_h, k_w), (o_h, o_w) = geo
    n, c_in, h, w = X.shape
    c_out = W.shape[0]
    cols = _im2col(_padded(X, p_h, p_w), geo).reshape(n, groups, -1, o_h * o_w)
    dYg = dY.reshape(n, groups, c_out // groups, o_h * o_w)
    dW = torch.matmul(dYg, cols.transpose(-1, -2)).sum(0).reshape(W.shape)
    db = dY.sum((0, 2, 3))
    Wm = W.reshape(groups, c_out // groups, -1)
    dcols = torch.matmul(Wm.transpose(-1, -2)[None], dYg)        # (n, g, c_g*k_h*k_w, o_h*o_w)
    dcols = dcols.reshape(n, c_in, k_h * k_w, o_h, o_w)
    dXp = X.new_zeros((n, c_in, h + 2 * p_h, w + 2 * p_w))
    for t, (r, c) in enumerate(_taps(k_h, k_w, d_h, d_w, s_h, s_w, o_h, o_w)):
        dXp[:, :, r, c] += dcols[:, :, t]
    return dXp[:, :, p_h:p_h + h, p_w:p_w + w], dW, db


def max_pool2d_backward(dY, X, pool_size, stride=None, padding=0):
    k_h, k_w = _pair(pool_size)
    s_h, s_w = (k_h, k_w) if stride is None else _pair(stride)
    p_h, p_w = _pair(padding)
    n, c, h, w = X.shape
    o_h, o_w = dY.shape[-2:]
    Xp = X.new_full((n, c, h + 2 * p_h, w + 2 * p_w), float("-inf"))
    Xp[:, :, p_h:p_h + h, p_w:p_w + w] = X
    taps = _taps(k_h, k_w, 1, 1, s_h, s_w, o_h, o_w)
    win = torch.stack([Xp[:, :, r, cc] for r, cc in taps], 2)          # (n, c, k, o_h, o_w)
    arg = win.argmax(2, keepdim=True)
    mask = torch.zeros_like(win).scatter_(2, arg, 1.0)
    dXp = X.new_zeros(Xp.shape)
    for t, (r, cc) in enumerate(taps):
        dXp[:, :, r, cc] += mask[:, :, t] * dY
    return dXp[:, :, p_h:p_h + h, p_w:p_w + w]
