# as_strided windows of a contiguous copy, reduced with amax / mean over the window axes; pool2d_pad_stride pads with new_full and slice assignment, pools with stride 1 by its own pool2d and keeps every s-th window (so it builds on pool2d).
# breaks: none
# symptom: 
import torch


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode {mode!r} is neither 'max' nor 'avg'")
    p_h, p_w = pool_size
    X = X.contiguous()
    o_h, o_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    r, c = X.stride()
    win = X.as_strided((o_h, o_w, p_h, p_w), (r, c, r, c))
    return win.amax(dim=(2, 3)) if mode == 'max' else win.mean(dim=(2, 3))


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    k = pair(pool_size)
    p = pair(padding)
    s = k if stride is None else pair(stride)
    if mode not in ('max', 'avg'):
        raise ValueError(mode)
    channels = X[None] if X.dim() == 2 else X
    outs = []
    for ch in channels:
        Xp = ch.new_full((ch.shape[0] + 2 * p[0], ch.shape[1] + 2 * p[1]),
                         float('-inf') if mode == 'max' else 0.0)
        Xp[p[0]:p[0] + ch.shape[0], p[1]:p[1] + ch.shape[1]] = ch
        outs.append(pool2d(Xp, k, mode)[::s[0], ::s[1]])
    Y = torch.stack(outs)
    return Y[0] if X.dim() == 2 else Y
