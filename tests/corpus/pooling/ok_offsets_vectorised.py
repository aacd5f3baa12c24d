# Vectorised: one strided slice per window offset (a loop over the p_h*p_w offsets only), combined with torch.maximum or a running sum; padding by concatenating constant blocks with torch.cat; pool2d_pad_stride handles 2-D and (c, h, w) X alike through the last two axes.
# breaks: none
# symptom: 
import torch


def pool2d(X, pool_size, mode='max'):
    if mode != 'max' and mode != 'avg':
        raise ValueError("mode must be 'max' or 'avg'")
    p_h, p_w = pool_size
    o_h, o_w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
    out = None
    for a in range(p_h):
        for b in range(p_w):
            part = X[a:a + o_h, b:b + o_w]
            if out is None:
                out = part
            elif mode == 'max':
                out = torch.maximum(out, part)
            else:
                out = out + part
    return out.clone() if mode == 'max' else out / (p_h * p_w)


def _border(X, p_h, p_w, value):
    if p_w:
        side = torch.full((*X.shape[:-1], p_w), value, dtype=X.dtype, device=X.device)
        X = torch.cat([side, X, side], dim=-1)
    if p_h:
        top = torch.full((*X.shape[:-2], p_h, X.shape[-1]), value, dtype=X.dtype, device=X.device)
        X = torch.cat([top, X, top], dim=-2)
    return X


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(mode)
    k_h, k_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    if stride is None:
        stride = (k_h, k_w)
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    Xp = _border(X, p_h, p_w, float('-inf') if mode == 'max' else 0.0)
    o_h = (Xp.shape[-2] - k_h) // s_h + 1
    o_w = (Xp.shape[-1] - k_w) // s_w + 1
    out = None
    for a in range(k_h):
        for b in range(k_w):
            part = Xp[..., a:a + s_h * (o_h - 1) + 1:s_h, b:b + s_w * (o_w - 1) + 1:s_w]
            if out is None:
                out = part
            elif mode == 'max':
                out = torch.maximum(out, part)
            else:
                out = out + part
    return out.clone() if mode == 'max' else out / (k_h * k_w)
