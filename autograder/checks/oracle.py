"""The float64 oracle: what every result is compared with, and how closely.

``torch.nn.functional.conv2d`` computed on the CPU in float64 (no TF32, no cuDNN), and SPEC's error
bound ``|got - oracle| <= 8 * eps(dtype) * (conv(|X|, |K|) + M) + eps(dtype)``, M the largest element
of ``conv(|X|, |K|)`` over the whole output. The per-element term scales with the sum of absolute
products, so a correct float32 loop passes whatever its order of summation; the M term lets a
correct ``torch.fft`` answer pass, whose error scales with the output's size rather than with each
element (an exact zero comes back as 4e-16). A real bug is orders of magnitude above either.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


def conv(X, K, padding=0, stride=1, absolute=False):
    """Cross-correlation of a 2-D, (c_i, h, w) or (c_i, h, w) x (c_o, c_i, k, k) problem."""
    X, K = f64(X), f64(K)
    if absolute:
        X, K = X.abs(), K.abs()
    if X.dim() == 2:
        return F.conv2d(X[None, None], K[None, None], padding=pair(padding), stride=pair(stride))[0, 0]
    if K.dim() == 3:
        return F.conv2d(X[None], K[None], padding=pair(padding), stride=pair(stride))[0, 0]
    return F.conv2d(X[None], K, padding=pair(padding), stride=pair(stride))[0]


def conv_grads(X, K, upstream, padding=0, stride=1, absolute=False):
    """Gradients of ``sum(upstream * conv(X, K))`` w.r.t. X and K, in float64.

    With ``absolute``, the error scales of those gradients, as ``(S, M)`` pairs for the contract's bound:
    S the same gradients for |X|, |K| and |upstream| (sums of |products|), M the largest element
    of the whole computation each is cut from. For X that is the gradient with respect to the
    padded X: an FFT computes it over the padded image and crops the padding off, so its error
    follows the padding's gradients too. For K it is sum|upstream| * max|X|, which bounds every
    shift of the correlation of X with the upstream gradient: an FFT computes all of them and
    keeps the kernel's few.
    """
    X, K, G = f64(X), f64(K), f64(upstream)
    p = pair(padding)
    if absolute:
        X, K, G = X.abs(), K.abs(), G.abs()
        X = F.pad(X, (p[1], p[1], p[0], p[0]))
    X.requires_grad_(True)
    K.requires_grad_(True)
    with torch.enable_grad():
        gX, gK = torch.autograd.grad(_conv_graph(X, K, 0 if absolute else padding, stride), [X, K], G)
    if not absolute:
        return gX, gK
    inner = gX[..., p[0]:gX.shape[-2] - p[0], p[1]:gX.shape[-1] - p[1]]
    reach = G.sum() * X.max() if X.numel() else None
    return (inner, gX.max() if gX.numel() else None), (gK, reach)


def _conv_graph(X, K, padding, stride):
    if X.dim() == 2:
        return F.conv2d(X[None, None], K[None, None], padding=pair(padding), stride=pair(stride))[0, 0]
    if K.dim() == 3:
        return F.conv2d(X[None], K[None], padding=pair(padding), stride=pair(stride))[0, 0]
    return F.conv2d(X[None], K, padding=pair(padding), stride=pair(stride))[0]


def eps(dtype: torch.dtype) -> float:
    return torch.finfo(dtype).eps


def bound(S: torch.Tensor, dtype: torch.dtype, M=None) -> torch.Tensor:
    """The contract's tolerance for results of ``dtype`` whose sums of |products| are ``S`` (one per
    element of the output). M, by default S's largest element, bounds the error an FFT spreads
    over every element; for a strided output it is the largest of the stride-1 output (see
    ``scale``)."""
    if M is None:
        M = S.max() if S.numel() else S.new_zeros(())
    return 8 * eps(dtype) * (S + M) + eps(dtype)


def scale(X, K, padding=0, stride=1):
    """``(S, M)`` for the contract's bound: S = conv(|X|, |K|) for this output, M its largest value over
    the whole correlation the output is taken from. With a stride, that is the stride-1 output:
    an implementation that computes it and keeps every s-th element (an FFT, necessarily) has
    that output's error, although the kept elements may all be windows over padding (S = 0)."""
    S = conv(X, K, padding, stride, absolute=True)
    if pair(stride) == (1, 1):
        return S, None
    full = conv(X, K, padding, 1, absolute=True)
    return S, full.max() if full.numel() else None


def out_size(n, k, p=0, s=1) -> tuple[int, int]:
    n, k, p, s = pair(n), pair(k), pair(p), pair(s)
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2) -> torch.Tensor:
    """The contract's gradient descent from zeros, in float64 with torch's conv2d: what learn_kernel gives."""
    X, Y = f64(X), f64(Y)
    K = torch.zeros(pair(kernel_size), dtype=torch.float64)
    for _ in range(num_epochs):
        K.requires_grad_(True)
        with torch.enable_grad():
            loss = ((_conv_graph(X, K, 0, 1) - Y) ** 2).sum()
            (g,) = torch.autograd.grad(loss, K)
        K = (K - lr * g).detach()
    return K


def pad(X, padding) -> torch.Tensor:
    p = pair(padding)
    X = f64(X)
    out = torch.zeros(X.shape[0] + 2 * p[0], X.shape[1] + 2 * p[1], dtype=torch.float64)
    out[p[0]:p[0] + X.shape[0], p[1]:p[1] + X.shape[1]] = X
    return out


# ---- the framework's conv2d: stride, padding, dilation, groups and bias (conv_layers) -------------

CONV2D_PARAMS = ("stride", "padding", "dilation", "groups")


def conv2d_params(case):
    """The keyword arguments of a conv2d case: stride, padding, dilation, groups."""
    return {k: case[k] for k in CONV2D_PARAMS if k in case}


def conv2d(X, W, b=None, **kw):
    return F.conv2d(f64(X), f64(W), None if b is None else f64(b), **kw)


def conv2d_scale(case):
    """(S, M): S = conv(|X|, |W|) + |b| for this output; M the largest value of the whole
    correlation of |X| with the dilated |W| (every shift at which they overlap, stride 1): an FFT
    computes all of those and keeps some, so its error follows them (the contract's M, generalised to
    stride and dilation, where the kept outputs may all be windows over padding)."""
    X, W, b = f64(case["X"]).abs(), f64(case["W"]).abs(), case.get("b")
    b = None if b is None else f64(b).abs()
    kw = conv2d_params(case)
    S = F.conv2d(X, W, b, **kw)
    p, d = pair(kw.get("padding", 0)), pair(kw.get("dilation", 1))
    reach = tuple(p[i] + d[i] * (W.shape[2 + i] - 1) for i in range(2))
    full = F.conv2d(X, W, b, **{**kw, "stride": 1, "padding": reach})
    return S, (full.max() if full.numel() else None)


def conv2d_grad_parts(X, W, G, b_present, **kw):
    """Gradients of sum(G * conv2d(X, W, b)) w.r.t. X, W (and b), in float64 by autograd."""
    X, W, G = f64(X).requires_grad_(True), f64(W).requires_grad_(True), f64(G)
    b = torch.zeros(W.shape[0], dtype=torch.float64, requires_grad=True) if b_present else None
    leaves = [X, W] + ([b] if b_present else [])
    with torch.enable_grad():
        return list(torch.autograd.grad(F.conv2d(X, W, b, **kw), leaves, G))


def conv2d_grads(case, G):
    """(gradient, (S, M)) for X, W and b: S the same gradients of |X|, |W|, |G| (sums of
    |products|), M the largest gradient w.r.t. the padded |X| (an FFT works on the padded image)
    and, for W, sum|G| * max|X|, which bounds every shift of the correlation of X with G."""
    kw = conv2d_params(case)
    has_b = "b" in case and case["b"] is not None
    exact = conv2d_grad_parts(case["X"], case["W"], G, has_b, **kw)
    p = pair(kw.get("padding", 0))
    aX = f64(case["X"]).abs()
    aXp = F.pad(aX, (p[1], p[1], p[0], p[0]))
    absolute = conv2d_grad_parts(aXp, case["W"].abs(), G.abs(), has_b, **{**kw, "padding": 0})
    gXp = absolute[0]
    inner = gXp[..., p[0]:gXp.shape[-2] - p[0], p[1]:gXp.shape[-1] - p[1]]
    out = [(exact[0], (inner, gXp.max() if gXp.numel() else None)),
           (exact[1], (absolute[1], G.abs().sum() * (aX.max() if aX.numel() else 0)))]
    if has_b:
        out.append((exact[2], (absolute[2], None)))
    return out
