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


def _f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


def conv(X, K, padding=0, stride=1, absolute=False):
    """Cross-correlation of a 2-D, (c_i, h, w) or (c_i, h, w) x (c_o, c_i, k, k) problem."""
    X, K = _f64(X), _f64(K)
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
    X, K, G = _f64(X), _f64(K), _f64(upstream)
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
    X, Y = _f64(X), _f64(Y)
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
    X = _f64(X)
    out = torch.zeros(X.shape[0] + 2 * p[0], X.shape[1] + 2 * p[1], dtype=torch.float64)
    out[p[0]:p[0] + X.shape[0], p[1]:p[1] + X.shape[1]] = X
    return out
