"""Assignment ``channels`` — D2L "Multiple Input and Multiple Output Channels" (多输入多输出通道).

Exercises: ``corr2d_multi_in`` (sum over input channels), ``corr2d_multi_in_out`` (one kernel per
output channel) and ``corr2d_multi_in_out_1x1`` (a 1x1 convolution as one matrix product).
"""
from __future__ import annotations

import torch
from hypothesis import strategies as st

from ..checks import oracle, properties
from ..core.declarations import Assignment, Check, Exercise
from ..checks.strategies import int_tensor, kernel_and_input


@st.composite
def _in_shapes(draw, max_ci=4, max_k=3, extra=4):
    c_i = draw(st.integers(1, max_ci))
    n, k = draw(kernel_and_input(max_k, extra))
    return (c_i, *n), (c_i, *k), {}


@st.composite
def _in_out_shapes(draw, max_ci=3, max_co=3, max_k=3, extra=4, one_by_one=False):
    c_i, c_o = draw(st.integers(1, max_ci)), draw(st.integers(1, max_co))
    if one_by_one:
        n = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        k = (1, 1)
    else:
        n, k = draw(kernel_and_input(max_k, extra))
    return (c_i, *n), (c_o, c_i, *k), {}


def _flipped(c):
    return oracle.conv(c["X"], c["K"].flip(-1, -2))


_FLIP = ("the kernel is flipped: this is cross-correlation (互相关), not convolution.", _flipped)
_MEAN = ("your answer is the mean over the input channels; the book sums over them (每个通道的结果相加).",
         lambda c: oracle.conv(c["X"], c["K"]) / c["X"].shape[0])
_FIRST = ("only the first input channel seems to be used: sum the cross-correlations of all channels.",
          lambda c: oracle.conv(c["X"][:1], c["K"][:1]) if c["K"].dim() == 3 else
          oracle.conv(c["X"][:1], c["K"][:, :1]))


# What the value checks are split by (``Exercise.partition``): K is (c_i, k_h, k_w) or
# (c_o, c_i, k_h, k_w).
_SEVERAL_IN = ("several input channels", lambda c: c["X"].shape[0] > 1)
_SEVERAL_OUT = ("several output channels", lambda c: c["K"].dim() == 4 and c["K"].shape[0] > 1)


def _task(name, shapes, many, hints):
    return (properties.ConvTask(name, f"{name}(X, K)", shapes, hints),
            properties.ConvTask(name, f"{name}(X, K)", many, hints))


MULTI_IN, MULTI_IN_MANY = _task("corr2d_multi_in", _in_shapes(), _in_shapes(64, 3, 3),
                                (_FLIP, _MEAN, _FIRST))
MULTI_IO, MULTI_IO_MANY = _task("corr2d_multi_in_out", _in_out_shapes(), _in_out_shapes(32, 8, 3, 3),
                                (_FLIP, _MEAN, _FIRST))
ONE, ONE_MANY = _task("corr2d_multi_in_out_1x1", _in_out_shapes(one_by_one=True),
                      _in_out_shapes(64, 8, one_by_one=True), (_MEAN, _FIRST))

_X = torch.stack([torch.arange(9.0, dtype=torch.float64).reshape(3, 3),
                  torch.arange(1.0, 10.0, dtype=torch.float64).reshape(3, 3)])
_K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]], dtype=torch.float64)
_K3 = torch.stack([_K, _K + 1, _K + 2])


def _many(task, points):
    return properties.named(properties.values_float(task, points), "values (many channels)",
                   "agrees with the float64 oracle within 8*eps*(sum|products| + its largest value) for up to 64 channels "
                   "of random floats")


# What corr2d_multi_in_out is checked with in place of the student's corr2d_multi_in: the book's
# sum over input channels, each channel's cross-correlation summed over the kernel's offsets.
_BOOK_MULTI_IN = """
def corr2d_multi_in(X, K):
    c, h, w = K.shape
    o_h, o_w = X.shape[1] - h + 1, X.shape[2] - w + 1
    Y = X.new_zeros((o_h, o_w))
    for a in range(h):
        for b in range(w):
            Y = Y + (K[:, a:a + 1, b:b + 1] * X[:, a:a + o_h, b:b + o_w]).sum(0)
    return Y
"""

corr2d_multi_in = Exercise("corr2d_multi_in", "多输入通道 Multiple input channels", (
    properties.book(MULTI_IN, [({"X": _X, "K": _K}, [[56, 72], [104, 120]])], 1),
    properties.values_int(MULTI_IN, 1.5),
    _many(MULTI_IN_MANY, 1),
    properties.matches_reference(MULTI_IN, 0.5),
    properties.dtype_device(MULTI_IN, 0.5),
    properties.gradients(MULTI_IN, 1),
    properties.untouched(MULTI_IN, 0.5),
), book_code=_BOOK_MULTI_IN, partition=(_SEVERAL_IN,), plain="one input channel")

corr2d_multi_in_out = Exercise("corr2d_multi_in_out", "多输出通道 Multiple output channels", (
    properties.book(MULTI_IO, [({"X": _X, "K": _K3}, [[[56, 72], [104, 120]], [[76, 100], [148, 172]],
                                               [[96, 128], [192, 224]]])], 1),
    properties.values_int(MULTI_IO, 1.5),
    _many(MULTI_IO_MANY, 1),
    properties.matches_reference(MULTI_IO, 0.5),
    properties.dtype_device(MULTI_IO, 0.5),
    properties.gradients(MULTI_IO, 1),
    properties.untouched(MULTI_IO, 0.5),
), builds_on=(corr2d_multi_in,), partition=(_SEVERAL_IN, _SEVERAL_OUT),
    plain="one input and one output channel")

# "One matrix product" is judged by CPU time, read by the grader from /proc outside the worker
# (``isolation``): the operation count the worker reports is counted in the student's process,
# where code can fake it, so it is only a hint in the message. A tall and a wide image make any
# Python loop over rows, columns or pixels run at least 65,536 times: at least one torch call,
# ~2.5 us of CPU, per iteration (>= 160 ms; measured: a matrix product per row or column
# 0.36-0.66 s), while one matrix product of (c_o, c_i) by (c_i, 131072) takes 4-15 ms. The
# budget, 0.1 s, leaves a margin of 6x above the slowest correct answer and at least 1.6x (in
# practice 3.6x or more) below the cheapest loop. CPU time, not wall time: a busy machine does
# not change it.
CPU_IMAGES = ((65536, 2), (2, 65536))
CPU_BUDGET_S = 0.1


def _one_image(student, case, size, measure):
    (h, w), c_i = size, case["c_i"]
    X = (torch.arange(float(c_i * h * w), dtype=torch.float64).reshape(c_i, h, w) % 7) - 3
    c = {"X": X, "K": case["K"]}
    return ONE.run(student, c, measure_cpu=measure), lambda r: properties.check_result(ONE, r, c)


def _too_slow(case, probe, counts):
    (h, w), c_i, c_o = probe, case["c_i"], case["c_o"]
    # A hint only (the count comes from the student's process): where it grew, say so.
    grew = ""
    if len({n for _, n in counts}) != 1:
        seen = ", ".join(f"{n} on a {h_}x{w_} image" for (h_, w_), n in counts)
        grew = f" (The worker also counted torch operations growing with the image: {seen}.)"
    return (f"For corr2d_multi_in_out_1x1(X, K) with c_i={c_i}, c_o={c_o} on a {h}x{w} "
            f"image: it took more than {CPU_BUDGET_S:g} s of CPU time (one matrix "
            f"product takes a few milliseconds; a Python loop over rows, columns or "
            f"pixels runs at least 65,536 times here). A 1x1 convolution is one "
            f"matrix product: reshape X to (c_i, h*w) and K to (c_o, c_i), multiply, "
            f"reshape back. No Python loop over rows, columns or pixels.{grew}")


# Right values on three small images, and the tall and the wide image each done in little CPU
# time: no Python loop over rows, columns or pixels.
_one_product = properties.within_cpu_budget(_one_image, ((2, 3), (7, 5), (12, 16)), CPU_IMAGES,
                                            CPU_BUDGET_S, _too_slow, flag="large image")


@st.composite
def _op_case(draw):
    c_i, c_o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {"c_i": c_i, "c_o": c_o, "K": draw(int_tensor((c_o, c_i, 1, 1)))}


_X1 = (torch.arange(27.0, dtype=torch.float64).reshape(3, 3, 3) % 5) - 2
_K1 = torch.tensor([[1.0, -2.0, 3.0], [0.0, 1.0, -1.0]], dtype=torch.float64).reshape(2, 3, 1, 1)

corr2d_multi_in_out_1x1 = Exercise("corr2d_multi_in_out_1x1", "1×1 卷积层 1x1 convolutional layer", (
    properties.book(ONE, [({"X": _X1, "K": _K1}, oracle.conv(_X1, _K1).tolist())], 1),
    properties.values_int(ONE, 1.5),
    _many(ONE_MANY, 1),
    properties.matches_reference(ONE, 0.5),
    properties.dtype_device(ONE, 0.5),
    properties.gradients(ONE, 1),
    properties.untouched(ONE, 0.5),
    # The large images are asked once (an explicit example, tried first), not for every example.
    Check("one matrix product", 2, "a 1x1 convolution is one matrix product: a 65,536x2 and a "
          "2x65,536 image take little CPU time (no Python loop over rows, columns or pixels)",
          _one_product, _op_case(),
          examples=({"c_i": 3, "c_o": 2, "K": _K1, "large image": True},),
          needs_values=True),
), partition=(_SEVERAL_IN, _SEVERAL_OUT), plain="one input and one output channel")

ASSIGNMENT = Assignment("channels", "多输入多输出通道 Multiple Input and Multiple Output Channels",
                        (corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1), section="6.4")
