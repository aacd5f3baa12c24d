# A loop over the groups (分组卷积), each group an im2col built with index tensors (gather) and one matmul; db by sum; max-pool backward by scatter_add_ on flat indices.
# breaks: none
# symptom: 
import torch


def _two(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _index(h, w, k, s, d, o, device):
    """Flat indices into the padded (h, w) image of every (output pixel, tap): (o_h*o_w, k_h*k_w)."""
    i = (torch.arange(o[0], device=device) * s[0])[:, None] + torch.arange(k[0], device=device)[None] * d[0]
    j = (torch.arange(o[1], device=device) * s[1])[:, None] + torch.arange(k[1], device=device)[None] * d[1]
    flat = i[:, None, :, None] * w + j[None, :, None, :]          # (o_h, o_w, k_h, k_w)
    return flat.reshape(o[0] * o[1], k[0] * k[1])


def _prep(X, W, stride, padding, dilation):
    s, p, d = _two(stride), _two(padding), _two(dilation)
    n, c, h, w = X.shape
    k = tuple(W.shape[-2:])
    Hp, Wp = h + 2 * p[0], w + 2 * p[1]
    o = ((Hp - d[0] * (k[0] - 1) - 1) // s[0] + 1, (Wp - d[1] * (k[1] - 1) - 1) // s[1] + 1)
    Xp = X.new_zeros((n, c, Hp, Wp))
    Xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = X
    return Xp, _index(Hp, Wp, k, s, d, o, X.device), o, p


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    Xp, idx, o, _ = _prep(X, W, stride, padding, dilation)
    n = X.shape[0]
    co, cg = W.shape[:2]
    flat = Xp.reshape(n, X.shape[1], -1)
    outs = []
    for g in range(groups):
        cols = flat[:, g * cg:(g + 1) * cg][:, :, idx]              # (n, cg, P, K)
        cols = cols.permute(0, 2, 1, 3).reshape(n, idx.shape[0], -1)  # (n, P, cg*K)
        Wm = W[g * (co // groups):(g + 1) * (co // groups)].reshape(co // groups, -1)
        outs.append((cols @ Wm.t()).transpose(1, 2))                 # (n, co/g, P)
    Y = torch.cat(outs, 1).reshape(n, co, *o)
    return Y if b is None else Y + b.view(1, -1, 1, 1)


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    Xp, idx, o, p = _prep(X, W, stride, padding, dilation)
    n, ci, h, w = X.shape
    co, cg = W.shape[:2]
    og = co // groups
    flat = Xp.reshape(n, ci, -1)
    dflat = torch.zeros_like(flat)
    dWs = []
    P, K = idx.shape
    for g in range(groups):
        cols = flat[:, g * cg:(g + 1) * cg][:, :, idx].permute(0, 2, 1, 3).reshape(n, P, -1)
        dYm = dY[:, g * og:(g + 1) * og].reshape(n, og, P)
        dWs.append(torch.einsum("nop,npk->ok", dYm, cols).reshape(og, cg, *W.shape[-2:]))
        Wm = W[g * og:(g + 1) * og].reshape(og, -1)
        dcols = torch.einsum("nop,ok->npk", dYm, Wm).reshape(n, P, cg, K).permute(0, 2, 1, 3)
        target = dflat[:, g * cg:(g + 1) * cg]
        target.index_add_(2, idx.reshape(-1), dcols.reshape(n, cg, -1))
    dX = dflat.reshape(Xp.shape)[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
    return dX, torch.cat(dWs, 0), dY.sum((0, 2, 3))


def max_pool2d_backward(dY, X, pool_size, stride=None, padding=0):
    k = _two(pool_size)
    s = k if stride is None else _two(stride)
    p = _two(padding)
    n, c, h, w = X.shape
    Hp, Wp = h + 2 * p[0], w + 2 * p[1]
    Xp = X.new_full((n, c, Hp, Wp), float("-inf"))
    Xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = X
    o = dY.shape[-2:]
    idx = _index(Hp, Wp, k, s, (1, 1), o, X.device)                    # (P, K)
    flat = Xp.reshape(n, c, -1)
    best = flat[:, :, idx].argmax(-1)                                  # (n, c, P)
    where = idx[torch.arange(idx.shape[0], device=X.device), best]      # flat index of each max
    dflat = torch.zeros_like(flat)
    dflat.scatter_add_(2, where, dY.reshape(n, c, -1))
    return dflat.reshape(n, c, Hp, Wp)[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
