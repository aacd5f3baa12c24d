"""The float64 oracle: what every result is compared with, and how closely.

``torch.nn.functional.conv2d`` computed on the CPU in float64 (no TF32, no cuDNN), and SPEC's error
bound ``|got - oracle| <= 8 * eps(dtype) * conv(|X|, |K|) + eps(dtype)``: it scales with the sum of
absolute products, so a correct float32 loop passes whatever its order of summation.
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

    With ``absolute`` the same for |X|, |K| and |upstream|: the sums of |products| that bound the
    rounding error of a correct float computation of those gradients.
    """
    X, K, G = _f64(X), _f64(K), _f64(upstream)
    if absolute:
        X, K, G = X.abs(), K.abs(), G.abs()
    X.requires_grad_(True)
    K.requires_grad_(True)
    with torch.enable_grad():
        gX, gK = torch.autograd.grad(_conv_graph(X, K, padding, stride), [X, K], G)
    return gX, gK


def _conv_graph(X, K, padding, stride):
    if X.dim() == 2:
        return F.conv2d(X[None, None], K[None, None], padding=pair(padding), stride=pair(stride))[0, 0]
    if K.dim() == 3:
        return F.conv2d(X[None], K[None], padding=pair(padding), stride=pair(stride))[0, 0]
    return F.conv2d(X[None], K, padding=pair(padding), stride=pair(stride))[0]


def eps(dtype: torch.dtype) -> float:
    return torch.finfo(dtype).eps


def bound(S: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """SPEC's tolerance for results of ``dtype`` whose sum of |products| is ``S``."""
    return 8 * eps(dtype) * S + eps(dtype)


def out_size(n, k, p=0, s=1) -> tuple[int, int]:
    n, k, p, s = pair(n), pair(k), pair(p), pair(s)
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2) -> torch.Tensor:
    """SPEC's gradient descent from zeros, in float64 with torch's conv2d: what learn_kernel gives."""
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
