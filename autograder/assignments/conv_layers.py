"""Assignment ``conv_layers`` — beyond the book: the layers as a framework writes them.

D2L stops at a single-image, loop-based ``corr2d``. Here the student writes what ``F.conv2d`` does
(batched NCHW input, stride, padding, dilation 空洞卷积, groups 分组卷积), vectorised, and the
backward pass 反向传播 by hand:

- ``conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1)`` equal to ``F.conv2d``;
- ``conv2d_backward(dY, X, W, stride, padding, dilation, groups) -> (dX, dW, db)``, the gradients
  of ``(conv2d(X, W, b) * dY).sum()``, with autograd forbidden inside it;
- ``max_pool2d_backward(dY, X, pool_size, stride=None, padding=0) -> dX`` for X (N, C, H, W), on
  inputs without ties, autograd forbidden too.

Every legal combination is drawn (C_in and C_out divisible by groups, the dilated kernel fitting
the padded input, N from 1 to 4, ints or pairs). The oracle is torch's float64 ``F.conv2d`` (and
its autograd); the bound is SPEC's, with S = conv(|X|, |W|) + |b| (gradients: the same gradients
of the absolute values). Vectorised means: no Python loop over images, rows or columns (a loop
over the kernel's positions is fine), judged by the CPU time of inputs on which such a loop runs
65,536 times, as the grader measures it from outside the worker, where the student's code cannot
touch it (the operation count the worker reports is only a hint).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..checks import oracle, properties, show
from ..core.declarations import Assignment, Check, Exercise, Mismatch, ValuesWrong
from ..checks.strategies import as_pair, float_tensor, int_tensor, maybe_strided, pair_or_int

_NO_AUTOGRAD = ("convolution", "unfold", "pool", "padding", "autograd")

# ---- shapes: every legal combination -----------------------------------------------------------

@st.composite
def _conv_shapes(draw, bias=True, max_n=4, max_g=3, max_c=2, max_k=3, max_d=2, max_p=2, max_s=3,
                 extra=3):
    groups = draw(st.integers(1, max_g))
    c_in, c_out = groups * draw(st.integers(1, max_c)), groups * draw(st.integers(1, max_c))
    n = draw(st.integers(1, max_n))
    k = (draw(st.integers(1, max_k)), draw(st.integers(1, max_k)))
    stride, padding, dilation = (draw(pair_or_int(1, max_s)), draw(pair_or_int(0, max_p)),
                                 draw(pair_or_int(1, max_d)))
    p, d = as_pair(padding), as_pair(dilation)
    # The dilated kernel d*(k-1)+1 must fit the padded input: h + 2p >= it, and h >= 1.
    hw = tuple(max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]) + draw(st.integers(0, extra))
               for i in range(2))
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    shapes = [(n, c_in, *hw), (c_out, c_in // groups, *k)]
    if bias:
        shapes.append((c_out,))
    return (*shapes, kw)


# ---- what the value checks are split by (``Exercise.partition``) --------------------------------

def _unequal(v) -> bool:
    """A (rows, columns) pair of two different values."""
    return v is not None and as_pair(v)[0] != as_pair(v)[1]


_SEVERAL = ("a batch of several images", lambda c: c["X"].shape[0] > 1)
_CONV_FEATURES = (
    ("stride > 1", lambda c: as_pair(c.get("stride", 1)) != (1, 1)),
    ("padding > 0", lambda c: as_pair(c.get("padding", 0)) != (0, 0)),
    ("dilation > 1", lambda c: as_pair(c.get("dilation", 1)) != (1, 1)),
    ("groups > 1", lambda c: c.get("groups", 1) > 1),
    _SEVERAL,
)
_CONV_PLAIN = "stride 1, no padding, no dilation, one group, one image"


# ---- hints: the usual mistakes ----------------------------------------------------------------

def _with(case, **changes):
    kw = {**oracle.conv2d_params(case), **changes}
    return oracle.conv2d(case["X"], case["W"], case.get("b"), **kw)


def _dilated_input(case):
    """Dilation applied to the input (every d-th pixel of the padded X) instead of spreading the
    kernel's taps."""
    d, p = as_pair(case.get("dilation", 1)), as_pair(case.get("padding", 0))
    Xp = F.pad(oracle.f64(case["X"]), (p[1], p[1], p[0], p[0]))[..., ::d[0], ::d[1]]
    return oracle.conv2d(Xp, case["W"], case.get("b"), **{**oracle.conv2d_params(case), "dilation": 1, "padding": 0})


def _groups_strided(case):
    """Group j given input channels j, j+g, j+2g, ... instead of the j-th contiguous block."""
    g = case.get("groups", 1)
    X = oracle.f64(case["X"])
    c = X.shape[1]
    order = torch.arange(c).reshape(c // g, g).t().reshape(-1)
    return oracle.conv2d(X[:, order], case["W"], case.get("b"), **oracle.conv2d_params(case))


_CONV_HINTS = (
    ("the kernel is flipped: conv2d is cross-correlation (互相关), as F.conv2d computes it.",
     lambda c: oracle.conv2d(c["X"], c["W"].flip(-1, -2), c.get("b"), **oracle.conv2d_params(c))),
    ("the bias was not added (b has one value per output channel, added everywhere).",
     lambda c: oracle.conv2d(c["X"], c["W"], None, **oracle.conv2d_params(c)) if c.get("b") is not None else None),
    ("dilation seems to be applied to the input (every d-th pixel) instead of to the kernel: "
     "空洞卷积 spreads the kernel's taps d apart, W[..., a, b] meets X[..., i*s + a*d, j*s + b*d].",
     _dilated_input),
    ("dilation seems to be ignored.", lambda c: _with(c, dilation=1)),
    ("the groups seem to take input channels j, j+g, j+2g...: group j (分组卷积) sees the j-th "
     "contiguous block of C_in/g input channels, and produces the j-th block of C_out/g outputs.",
     _groups_strided),
    ("stride (rows, columns) looks swapped.",
     lambda c: _with(c, stride=tuple(reversed(as_pair(c.get("stride", 1)))))),
    ("padding (rows, columns) looks swapped.",
     lambda c: _with(c, padding=tuple(reversed(as_pair(c.get("padding", 0)))))),
)


def _ctx(case, call="conv2d(X, W, b, stride, padding, dilation, groups)"):
    return show.Lazy(lambda: f"For {call} with\n{show.indent(show.case(case))}")


CONV = properties.Task("conv2d", "conv2d(X, W, b, stride, padding, dilation, groups)", _conv_shapes(),
              oracle=lambda c: oracle.conv2d(c["X"], c["W"], c["b"], **oracle.conv2d_params(c)), error_scale=oracle.conv2d_scale,
              inputs=("X", "W", "b"), grads=("X", "W", "b"), grad_oracle=oracle.conv2d_grads,
              hints=_CONV_HINTS, kwarg_names=oracle.CONV2D_PARAMS, oracle_name="torch's float64 F.conv2d")
CONV_NOBIAS = properties.Task("conv2d", "conv2d(X, W, stride=..., padding=..., dilation=..., groups=...)",
                     _conv_shapes(bias=False), oracle=lambda c: oracle.conv2d(c["X"], c["W"], **oracle.conv2d_params(c)),
                     error_scale=oracle.conv2d_scale, inputs=("X", "W"), grads=("X", "W"),
                     grad_oracle=oracle.conv2d_grads, hints=_CONV_HINTS, kwarg_names=oracle.CONV2D_PARAMS,
                     oracle_name="torch's float64 F.conv2d")

# ---- vectorised: no Python loop over images, rows or columns ---------------------------------

# The verdict is CPU time, read by the grader from /proc outside the worker (``isolation``): the
# operation count the worker reports is counted in the student's process, where code can fake it,
# so it is only a hint in the message. Each probe makes one Python loop over the images, the rows
# or the columns run 65,536 times (one input channel, a 3x3 kernel, padding 1: the output is
# 65,536 x 1 x 1, 1 x 65,536 or 65,536 wide). A loop costs at least one torch call, ~2.5 us of CPU,
# per iteration (>= 160 ms; measured: a multiply-and-sum per column 0.19-0.34 s, an einsum per row
# 0.66-0.81 s, a loop over images far more); the correct corpus, the book's code and the reference
# take 2-26 ms (torch.fft the most). The budget, 0.15 s, leaves a margin of 6x above the slowest
# correct answer and at least 1.1x (in practice 1.3-5x) below the cheapest loop. CPU time, not
# wall time: a busy machine does not change it.
CPU_PROBES = ((65536, 1, 1), (1, 65536, 1), (1, 1, 65536))      # (N, H, W)
CPU_BUDGET_S = 0.15
# Each call of a vectorised check may use 2 s of CPU, not the usual 5: a loop over 65,536 images
# often runs for many seconds, and stopping it sooner costs it nothing more (the check is lost
# either way) while a correct answer stays 75x below.
PROBE_CPU_S = 2.0
_SIZES = ((1, 5, 6), (2, 8, 7), (4, 11, 13))


def _probe(shape, dtype=torch.float64):
    n = 1
    for s in shape:
        n *= s
    return ((torch.arange(float(n), dtype=dtype) * 7) % 9 - 4).reshape(shape)


_CPU_CASE = {"c_in": 1, "W": _probe((1, 1, 3, 3)) % 3 - 1,
             "b": torch.tensor([0.5], dtype=torch.float64), "groups": 1, "stride": 1,
             "padding": 1, "dilation": 1}


def _vectorised(call, what):
    """``call(student, case, n, h, w, measure_cpu) -> (Result, check)``: right values for every
    (N, H, W), and, for a case marked ``large``, each of ``CPU_PROBES`` within the CPU budget."""
    def too_slow(case, probe, counts):
        n, h, w = probe
        # A hint only (the count comes from the student's process): where it grew, say so.
        grew = ""
        if len({c for _, c in counts}) != 1:
            seen = ", ".join(f"{c} for N={n_}, {h_}x{w_}" for (n_, h_, w_), c in counts)
            grew = (f" (The worker also counted torch operations growing with the input: "
                    f"{seen}.)")
        # The reason on a line of its own, after the inputs (indented): not glued to the last.
        return (f"For {what} with\n{show.indent(show.case(_CPU_CASE))}\non a batch of "
                f"{n} image(s) of {h}x{w}: it took more than {CPU_BUDGET_S:g} s "
                f"of CPU time (a vectorised answer takes milliseconds; a Python loop "
                f"over the images, rows or columns runs 65,536 times here). Vectorise: "
                f"gather the windows with slicing or as_strided and contract them with W in one "
                f"matmul/einsum; a loop over the kernel's k_h*k_w positions is fine, a "
                f"loop over images or pixels is not.{grew}")
    return properties.within_cpu_budget(
        lambda student, case, size, measure: call(student, case, *size, measure),
        _SIZES, CPU_PROBES, CPU_BUDGET_S, too_slow, probe_case=_CPU_CASE)


def _op_case(c_in=2, c_out=2, groups=1, k=(3, 3), **kw):
    W = _probe((c_out, c_in // groups, *k)) % 3 - 1
    return {"c_in": c_in, "W": W, "b": torch.arange(float(c_out), dtype=torch.float64) - 1,
            "groups": groups, **kw}


_OP_CASES = (
    {**_op_case(4, 4, 2, (3, 3), stride=2, padding=1, dilation=1), "large": True},
    _op_case(2, 3, 1, (2, 3), stride=1, padding=(1, 0), dilation=2),
)


def _conv_call(student, case, n, h, w, measure):
    # Memoised on the case (shared by every student), with the float64 answers memoised on it in
    # turn: on 65,536 images, working those out again for each student was most of the cost.
    c = properties.memo(case, f"_conv_input_{n}x{h}x{w}", lambda: {
        "X": _probe((n, case["c_in"], h, w)), "W": case["W"], "b": case["b"],
        **oracle.conv2d_params(case)})
    r = CONV.run(student, c, measure_cpu=measure)
    return r, lambda r: properties.check_result(CONV, r, c)


# ---- conv2d --------------------------------------------------------------------------------

# One bug costs once: conv2d_backward is checked with this conv2d in place of the student's
# (the backward pass is two correlations, which a solution often computes with its conv2d).
_BOOK_CONV2D = '''
import torch

def conv2d(X, W, b=None, stride=1, padding=0, dilation=1, groups=1):
    pair = lambda v: (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = pair(stride), pair(padding), pair(dilation)
    n, c_in, h, w = X.shape
    c_out, c_g, k_h, k_w = W.shape
    Xp = X.new_zeros((n, c_in, h + 2 * p_h, w + 2 * p_w))
    Xp[:, :, p_h:p_h + h, p_w:p_w + w] = X
    o_h = (h + 2 * p_h - d_h * (k_h - 1) - 1) // s_h + 1
    o_w = (w + 2 * p_w - d_w * (k_w - 1) - 1) // s_w + 1
    Xg = Xp.reshape(n, groups, c_g, h + 2 * p_h, w + 2 * p_w)
    Wg = W.reshape(groups, c_out // groups, c_g, k_h, k_w)
    Y = X.new_zeros((n, groups, c_out // groups, o_h, o_w))
    for a in range(k_h):
        for c in range(k_w):
            win = Xg[..., a * d_h:a * d_h + s_h * (o_h - 1) + 1:s_h,
                     c * d_w:c * d_w + s_w * (o_w - 1) + 1:s_w]
            Y = Y + torch.einsum("ngchw,goc->ngohw", win, Wg[..., a, c])
    Y = Y.reshape(n, c_out, o_h, o_w)
    return Y if b is None else Y + b.reshape(1, -1, 1, 1)
'''

conv2d = Exercise("conv2d", "卷积层 The convolution layer, batched: stride, padding, dilation, groups", (
    properties.values_int(CONV, 2.5),
    properties.values_float(CONV, 1.5),
    properties.named(properties.values_int(CONV_NOBIAS, 1), "without bias",
            "b=None (the default) adds nothing; every keyword as F.conv2d takes it"),
    properties.matches_reference(CONV, 0.5),
    properties.dtype_device(CONV, 0.5),
    properties.gradients(CONV, 1),
    properties.untouched(CONV, 0.5),
    Check("vectorised", 1.5, "no Python loop over the images, rows or columns: 65,536 images, rows "
          "or columns take little CPU time (a loop over the kernel's positions is fine)",
          _vectorised(_conv_call, "conv2d(X, W, b, ...)"), None, _OP_CASES, needs_values=True,
          cpu_s=PROBE_CPU_S),
), book_code=_BOOK_CONV2D, partition=_CONV_FEATURES, plain=_CONV_PLAIN)

# ---- conv2d_backward ---------------------------------------------------------------------------


@st.composite
def _backward_case(draw, values="int"):
    *shapes, kw = draw(_conv_shapes(bias=False))
    if values == "int":
        dtype = torch.float64
        X, W = draw(int_tensor(shapes[0])), draw(int_tensor(shapes[1]))
    else:
        dtype = draw(st.sampled_from([torch.float32, torch.float64]))
        X, W = draw(float_tensor(shapes[0], dtype)), draw(float_tensor(shapes[1], dtype))
        X, W = maybe_strided(draw, X), maybe_strided(draw, W)
    out = tuple(oracle.conv2d(X, W, **kw).shape)
    dY = draw(int_tensor(out) if values == "int" else float_tensor(out, dtype, scale=1.0))
    return {"dY": dY.to(dtype), "X": X, "W": W, **kw}


def _bw_expected(case):
    def compute():
        gX, gW, gb = oracle.conv2d_grad_parts(case["X"], case["W"], case["dY"], True, **oracle.conv2d_params(case))
        scales = oracle.conv2d_grads({"X": case["X"], "W": case["W"], "b": torch.zeros(1), **oracle.conv2d_params(case)},
                             oracle.f64(case["dY"]))
        return [(gX, scales[0][1]), (gW, scales[1][1]),
                (gb, (oracle.f64(case["dY"]).abs().sum((0, 2, 3)), None))]
    return properties.memo(case, "_bw", compute)


def _bw_hints(which):
    """The usual mistakes, as the answer each would give for dX, dW or db."""
    def grads(case, **kw):
        return oracle.conv2d_grad_parts(case["X"], case["W"], case["dY"], True, **{**oracle.conv2d_params(case), **kw})

    def uncropped(case):
        p = as_pair(case.get("padding", 0))
        Xp = F.pad(oracle.f64(case["X"]), (p[1], p[1], p[0], p[0]))
        return oracle.conv2d_grad_parts(Xp, case["W"], case["dY"], False, **{**oracle.conv2d_params(case), "padding": 0})[0]

    hints = {
        "dX": (("dX has the padded shape: crop the padding back off dX (dX = dXp[..., p:-p, p:-p]).",
                uncropped),
               ("dX looks computed with the kernel not flipped: dX is a full correlation of dY with "
                "the flipped kernel (转置卷积), or equivalently each tap W[a, b] scatters dY back to "
                "X[i*s + a*d, j*s + b*d].",
                lambda c: oracle.conv2d_grad_parts(c["X"], c["W"].flip(-1, -2), c["dY"], True,
                                           **oracle.conv2d_params(c))[0])),
        "dW": (("dW looks averaged over the batch: the loss sums over the batch, so dW sums too.",
                lambda c: grads(c)[1] / c["X"].shape[0]),
               ("dW looks flipped: dW[o, c, a, b] = sum over n, i, j of dY[n, o, i, j] * "
                "X[n, c, i*s + a*d, j*s + b*d].", lambda c: grads(c)[1].flip(-1, -2))),
        "db": (("db is missing the batch sum: db[o] = dY[:, o].sum() over N, H and W.",
                lambda c: oracle.f64(c["dY"])[0].sum((1, 2))),
               ("db looks averaged instead of summed.",
                lambda c: oracle.f64(c["dY"]).mean((0, 2, 3)))),
    }
    return hints[which]


_STRIDE_HINT = ("dX looks computed as if the stride were 1: with stride s, output (i, j) came from "
                "the window at (i*s, j*s), so dY must be scattered to those places (the rows and "
                "columns between them get nothing from that tap).")


def _bw_dx_stride_hint(case):
    s = as_pair(case.get("stride", 1))
    if s == (1, 1):
        return None
    # the student's dX when dY is spread as if it were the stride-1 output's top-left block
    X, W, dY = oracle.f64(case["X"]), oracle.f64(case["W"]), oracle.f64(case["dY"])
    kw = {**oracle.conv2d_params(case), "stride": 1}
    full = oracle.conv2d(X, W, **kw)
    G = torch.zeros_like(full)
    G[..., :dY.shape[-2], :dY.shape[-1]] = dY
    return oracle.conv2d_grad_parts(X, W, G, False, **kw)[0]


_BW_HINTS = {"dX": _bw_hints("dX") + ((_STRIDE_HINT, _bw_dx_stride_hint),),
             "dW": _bw_hints("dW"), "db": _bw_hints("db")}

_BW_CALL = "conv2d_backward(dY, X, W, stride, padding, dilation, groups)"


def _bw_run(student, case, **extra):
    return student.call("conv2d_backward", case["dY"], case["X"], case["W"], **oracle.conv2d_params(case), **extra)


def _three(r, ctx, names=("dX", "dW", "db")):
    v = r.value
    if not (isinstance(v, (tuple, list)) and len(v) == len(names)
            and all(isinstance(t, torch.Tensor) for t in v)):
        raise ValuesWrong(f"{ctx}\nexpected a tuple of three tensors ({', '.join(names)}), got "
                          f"{repr(v)[:200]} ({r.type}).")
    return list(v)


def _bw_check(case, r):
    ctx = _ctx(case, _BW_CALL)
    got = _three(r, ctx)
    dtype = case["X"].dtype
    for label, g, (want, scale) in zip(("dX", "dW", "db"), got, _bw_expected(case)):
        properties.require_close(g, want, scale, dtype, f"{ctx}\n{label} (the gradient with respect to "
                        f"{label[1:]}):", _BW_HINTS[label], case)
    return got


def _bw_values(student, case):
    _bw_check(case, _bw_run(student, case))


def _bw_dtype(student, case):
    r = _bw_run(student, case)
    got = _bw_check(case, r)
    for label, g in zip(("dX", "dW", "db"), got):
        if g.dtype != case["X"].dtype:
            raise Mismatch(f"{_ctx(case, _BW_CALL)}\n{label} has dtype "
                           f"{str(g.dtype).replace('torch.', '')}, X is "
                           f"{str(case['X'].dtype).replace('torch.', '')}: keep X's dtype (pass "
                           f"dtype=X.dtype, device=X.device to torch.zeros).")


def _untouched(run, check, names):
    def verify(student, case):
        r = run(student, case, return_inputs=True)
        check(case, r)
        properties.require_untouched(r, _ctx(case, _BW_CALL if "W" in names else _POOL_CALL),
                            **{n: case[n] for n in names})
    return verify


@st.composite
def _bw_dtype_case(draw):
    case = draw(_backward_case())
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return {k: (v.to(dtype) if isinstance(v, torch.Tensor) else v) for k, v in case.items()}


def _bw_op_call(student, case, n, h, w, measure):
    def build():
        X = _probe((n, case["c_in"], h, w))
        kw = oracle.conv2d_params(case)
        dY = _probe(tuple(oracle.conv2d(X, case["W"], **kw).shape)) % 3 - 1
        return {"dY": dY, "X": X, "W": case["W"], **kw}
    c = properties.memo(case, f"_backward_input_{n}x{h}x{w}", build)     # as in _conv_call
    return _bw_run(student, c, measure_cpu=measure), lambda r: _bw_check(c, r)


conv2d_backward = Exercise("conv2d_backward", "反向传播 The convolution's backward pass, by hand", (
    Check("values (small integers)", 3, "dX, dW and db equal the gradients torch's float64 autograd "
          "gives for (F.conv2d(X, W, b) * dY).sum(), on every combination of stride, padding, "
          "dilation and groups", _bw_values, _backward_case(), split=True),
    Check("values (random floats)", 1.5, "dX, dW and db agree with the float64 autograd within "
          "SPEC's bound on random float32/float64 inputs, including non-contiguous views",
          _bw_values, _backward_case("float"), split=True),
    Check("dtype and device", 0.5, "dX, dW and db have X's dtype", _bw_dtype, _bw_dtype_case(),
          needs_values=True),
    Check("inputs untouched", 0.5, "dY, X and W are never modified in place",
          _untouched(_bw_run, _bw_check, ("dY", "X", "W")), _backward_case(), needs_values=True),
    Check("vectorised", 1.5, "no Python loop over the images, rows or columns: 65,536 images, rows "
          "or columns take little CPU time (a loop over the kernel's positions is fine)",
          _vectorised(_bw_op_call, _BW_CALL), None, _OP_CASES, needs_values=True,
          cpu_s=PROBE_CPU_S),
), builds_on=(conv2d,), forbidden=_NO_AUTOGRAD, partition=_CONV_FEATURES, plain=_CONV_PLAIN)

# ---- max_pool2d_backward -----------------------------------------------------------------------

_POOL_CALL = "max_pool2d_backward(dY, X, pool_size, stride, padding)"


def _pool_kw(case):
    s = case.get("stride")
    return {"kernel_size": case["pool_size"], "stride": case["pool_size"] if s is None else s,
            "padding": case.get("padding", 0)}


@st.composite
def _pool_case(draw, values="int"):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = draw(pair_or_int(1, 3))
    kp = as_pair(k)
    # padding at most half the window (F.max_pool2d's rule), per side
    padding = draw(st.one_of(st.just(0), pair_or_int(0, 1)))
    p = tuple(min(x, kp[i] // 2) for i, x in enumerate(as_pair(padding)))
    padding = p if not isinstance(padding, int) else min(padding, kp[0] // 2, kp[1] // 2)
    pp = as_pair(padding)
    stride = draw(st.one_of(st.none(), pair_or_int(1, 3)))
    hw = tuple(max(1, kp[i] - 2 * pp[i]) + draw(st.integers(0, 4)) for i in range(2))
    size = n * c * hw[0] * hw[1]
    dtype = torch.float64 if values == "int" else draw(st.sampled_from([torch.float32,
                                                                         torch.float64]))
    # Tie-free: distinct values, a drawn permutation of evenly spaced numbers in [-10, 10].
    seed = draw(st.integers(0, 2**31 - 1))
    perm = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
    vals = torch.linspace(-10, 10, size, dtype=torch.float64) if size > 1 else torch.zeros(1, dtype=torch.float64)
    if values == "int" and size <= 21:
        vals = torch.arange(size, dtype=torch.float64) - size // 2
    X = vals[perm].reshape(n, c, *hw).to(dtype)
    if values != "int":
        X = maybe_strided(draw, X)
    case = {"X": X, "pool_size": k, "stride": stride, "padding": padding}
    out = tuple(F.max_pool2d(oracle.f64(X), **_pool_kw(case)).shape)
    dY = draw(int_tensor(out) if values == "int" else float_tensor(out, dtype, scale=1.0))
    return {"dY": dY.to(dtype), **case}


def _pool_expected(case):
    def compute():
        X = oracle.f64(case["X"]).requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(F.max_pool2d(X, **_pool_kw(case)), X, oracle.f64(case["dY"]))
            (a,) = torch.autograd.grad(F.max_pool2d(X, **_pool_kw(case)), X,
                                       oracle.f64(case["dY"]).abs())
        return g, a
    return properties.memo(case, "_pool", compute)


def _pool_run(student, case, **extra):
    return student.call("max_pool2d_backward", case["dY"], case["X"], case["pool_size"],
                        stride=case["stride"], padding=case["padding"], **extra)


def _pool_hints():
    def averaged(c):
        X = oracle.f64(c["X"]).requires_grad_(True)
        kw = _pool_kw(c)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(F.avg_pool2d(X, count_include_pad=True, **kw), X,
                                       oracle.f64(c["dY"]))
        return g
    return (("dX spreads dY over the whole window (average pooling's gradient): max pooling "
             "routes each dY entirely to the window's maximum (其余位置梯度为 0).", averaged),)


_POOL_HINTS = _pool_hints()


def _pool_check(case, r):
    ctx = _ctx(case, _POOL_CALL)
    got = properties.require_tensor(r, "max_pool2d_backward", ctx)
    want, scale = _pool_expected(case)
    properties.require_close(got, want, scale, case["X"].dtype, ctx, _POOL_HINTS, case)
    return got


def _pool_values(student, case):
    _pool_check(case, _pool_run(student, case))


def _pool_dtype(student, case):
    got = _pool_check(case, _pool_run(student, case))
    if got.dtype != case["X"].dtype:
        raise Mismatch(f"{_ctx(case, _POOL_CALL)}\ndX has dtype "
                       f"{str(got.dtype).replace('torch.', '')}, X is "
                       f"{str(case['X'].dtype).replace('torch.', '')}: keep X's dtype.")


@st.composite
def _pool_dtype_case(draw):
    case = draw(_pool_case())
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return {k: (v.to(dtype) if isinstance(v, torch.Tensor) else v) for k, v in case.items()}


max_pool2d_backward = Exercise("max_pool2d_backward", "汇聚层的反向传播 Max pooling's backward pass", (
    Check("values (small integers)", 2.5, "dX routes each dY to its window's maximum (inputs "
          "without ties), as torch's float64 autograd of F.max_pool2d does; stride=None means "
          "stride = pool_size; padding counts as -inf", _pool_values, _pool_case(), split=True),
    Check("values (random floats)", 0.5, "the same on random float32/float64 inputs without ties, "
          "including non-contiguous views", _pool_values, _pool_case("float"), split=True),
    Check("dtype and device", 0.5, "dX has X's dtype", _pool_dtype, _pool_dtype_case(),
          needs_values=True),
    Check("inputs untouched", 0.5, "dY and X are never modified in place",
          _untouched(_pool_run, _pool_check, ("dY", "X")), _pool_case(), needs_values=True),
), forbidden=_NO_AUTOGRAD,
    partition=(("padding > 0", lambda c: as_pair(c.get("padding", 0)) != (0, 0)),
               ("stride given", lambda c: c.get("stride") is not None),
               ("(rows, columns) pairs of two values", lambda c: any(
                   _unequal(c.get(k)) for k in ("pool_size", "stride", "padding"))),
               _SEVERAL),
    plain="no padding, stride=None, a square window, one image")

# 20 points like every assignment: conv2d 9 (values 5, vectorised 1.5, the rest the common
# properties), the backward pass 7 (its values 4.5: the derivation is the point), max pooling's 4.
ASSIGNMENT = Assignment("conv_layers", "卷积层的实现 Convolution layers as a framework writes them "
                        "(beyond the book)", (conv2d, conv2d_backward, max_pool2d_backward))
