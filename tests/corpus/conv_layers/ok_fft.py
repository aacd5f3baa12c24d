# conv2d by torch.fft (the dilated kernel as zeros between its taps, the stride as every s-th output of the full correlation); dW by FFT too (a correlation of X with the zero-inserted dY); dX by scattering each tap.
# breaks: none
# symptom: 
import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _zeros_around(X, p, value=0.0):
    n, c, h, w = X.shape
    Y = X.new_full((n, c, h + 2 * p[0], w + 2 * p[1]), value)
    Y[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = X
    return Y


def _dilate(W, d):
    co, cg, kh, kw = W.shape
    Wd = W.new_zeros((co, cg, d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1))
    Wd[:, :, ::d[0], ::d[1]] = W
    return Wd


def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    n = X.shape[0]
    co, cg = W.shape[:2]
    Xp = _zeros_around(X, p)
    Hp, Wp = Xp.shape[-2:]
    Wd = _dilate(W, d)
    eh, ew = Wd.shape[-2:]
    FX = torch.fft.rfft2(Xp.reshape(n, groups, cg, Hp, Wp), s=(Hp, Wp))
    FK = torch.fft.rfft2(Wd.flip(-1, -2).reshape(groups, co // groups, cg, eh, ew), s=(Hp, Wp))
    full = torch.fft.irfft2(torch.einsum("ngcxy,gocxy->ngoxy", FX, FK), s=(Hp, Wp))
    Y = full[..., eh - 1:, ew - 1:][..., ::s[0], ::s[1]]
    Y = Y.reshape(n, co, *Y.shape[-2:])
    return Y if b is None else Y + b.reshape(1, -1, 1, 1)


def conv2d_backward(dY, X, W, stride=1, padding=0, dilation=1, groups=1):
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    n, ci, h, w = X.shape
    co, cg = W.shape[:2]
    Xp = _zeros_around(X, p)
    Hp, Wp = Xp.shape[-2:]
    Wd = _dilate(W, d)
    eh, ew = Wd.shape[-2:]
    oh, ow = dY.shape[-2:]
    up = dY.new_zeros((n, co, s[0] * (oh - 1) + 1, s[1] * (ow - 1) + 1))
    up[:, :, ::s[0], ::s[1]] = dY                    # the stride's gaps get no gradient
    Fup = torch.fft.rfft2(up.reshape(n, groups, co // groups, *up.shape[-2:]), s=(Hp, Wp))
    FX = torch.fft.rfft2(Xp.reshape(n, groups, cg, Hp, Wp), s=(Hp, Wp))
    # dX: each tap scatters dY back to the pixels it read (the FFT's error on a full convolution
    # grows with the image; SPEC's bound is for a correlation's)
    dXp = torch.zeros_like(Xp)
    dYg = dY.reshape(n, groups, co // groups, oh, ow)
    Wg = W.reshape(groups, co // groups, cg, *W.shape[-2:])
    for a in range(W.shape[2]):
        for c in range(W.shape[3]):
            part = torch.einsum("ngoij,goc->ngcij", dYg, Wg[..., a, c]).reshape(n, ci, oh, ow)
            dXp[:, :, a * d[0]:a * d[0] + s[0] * (oh - 1) + 1:s[0],
                c * d[1]:c * d[1] + s[1] * (ow - 1) + 1:s[1]] += part
    dX = dXp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
    # dW: correlation of the padded X with the zero-inserted dY, every d-th shift
    corr = torch.fft.irfft2(torch.einsum("ngcxy,ngoxy->gocxy", FX, Fup.conj()), s=(Hp, Wp))
    dW = corr[..., :eh:d[0], :ew:d[1]].reshape(W.shape)
    return dX, dW, dY.sum((0, 2, 3))


def max_pool2d_backward(dY, X, pool_size, stride=None, padding=0):
    k = _pair(pool_size)
    s = k if stride is None else _pair(stride)
    p = _pair(padding)
    n, c, h, w = X.shape
    Xp = _zeros_around(X, p, float("-inf"))
    oh, ow = dY.shape[-2:]
    taps = [(a, b) for a in range(k[0]) for b in range(k[1])]
    win = torch.stack([Xp[:, :, a:a + s[0] * (oh - 1) + 1:s[0], b:b + s[1] * (ow - 1) + 1:s[1]]
                       for a, b in taps], -1)
    hot = torch.nn.functional.one_hot(win.argmax(-1), len(taps)).to(X.dtype) * dY[..., None]
    dXp = torch.zeros_like(Xp)
    for t, (a, b) in enumerate(taps):
        dXp[:, :, a:a + s[0] * (oh - 1) + 1:s[0], b:b + s[1] * (ow - 1) + 1:s[1]] += hot[..., t]
    return dXp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
