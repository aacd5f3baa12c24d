"""Hypothesis strategies for the inputs of the chapter's functions.

Shapes are drawn so that the output is always valid (no ``assume``). Values come in two kinds:
small integers in [-4, 4], element by element, so a counterexample shrinks to something a student
can read (a flipped kernel shrinks to X=[[0, 1]], K=[[0, 1]]); and random floats in [-10, 10] from a
drawn seed, which is fast for big tensors and still the same for every student.
"""
from __future__ import annotations

import torch
from hypothesis import strategies as st


class _IntTensor(st.SearchStrategy):
    """Every element its own integer choice, drawn straight from hypothesis's data (about twice as
    fast as ``hypothesis.extra.numpy.arrays``, whose per-element bookkeeping we do not need; the
    choices are the same, so are the examples). ``do_draw`` is hypothesis's internal strategy
    interface: stable for us because hypothesis's version is pinned."""

    def __init__(self, shape, dtype, low, high):
        super().__init__()
        self.shape, self.dtype, self.low, self.high = tuple(shape), dtype, low, high

    def do_draw(self, data):
        n = 1
        for s in self.shape:
            n *= s
        values = [data.draw_integer(self.low, self.high) for _ in range(n)]
        return torch.tensor(values, dtype=torch.float64).reshape(self.shape).to(self.dtype)


def int_tensor(shape, dtype=torch.float64, low=-4, high=4):
    """A tensor of small integers in [low, high], every element drawn (so each one shrinks alone)."""
    return _IntTensor(shape, dtype, low, high)


@st.composite
def float_tensor(draw, shape, dtype=torch.float64, scale=10.0):
    """Random floats in [-scale, scale] from a drawn seed."""
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(tuple(shape), generator=g, dtype=torch.float64) * 2 - 1) * scale).to(dtype)


def maybe_strided(draw, t: torch.Tensor) -> torch.Tensor:
    """Sometimes hand the student a non-contiguous view (a transposed copy) with the same values."""
    if t.dim() >= 2 and draw(st.booleans()):
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    return t


@st.composite
def pair_or_int(draw, low, high):
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return (draw(st.integers(low, high)), draw(st.integers(low, high)))


def as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@st.composite
def kernel_and_input(draw, max_k=4, extra=5):
    """(n_h, n_w), (k_h, k_w) with k <= n: 1-wide, non-square and kernel == input all reachable."""
    k_h, k_w = draw(st.integers(1, max_k)), draw(st.integers(1, max_k))
    n_h = k_h + draw(st.integers(0, extra))
    n_w = k_w + draw(st.integers(0, extra))
    return (n_h, n_w), (k_h, k_w)


@st.composite
def pad_stride_shapes(draw, max_k=5, max_p=3, max_s=4, extra=5):
    """Shapes, padding and stride with a valid output: the kernel may exceed X if it fits padded X.

    Padding can exceed half the kernel and stride the kernel; ints and pairs are both drawn.
    """
    padding = draw(pair_or_int(0, max_p))
    stride = draw(pair_or_int(1, max_s))
    p = as_pair(padding)
    k = (draw(st.integers(1, max_k)), draw(st.integers(1, max_k)))
    # n + 2p >= k and n >= 1
    n = tuple(max(1, k[i] - 2 * p[i]) + draw(st.integers(0, extra)) for i in range(2))
    return n, k, padding, stride
