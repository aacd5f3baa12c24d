"""Assignment ``pooling`` — D2L "Pooling" (汇聚层).

Exercises: ``pool2d`` (the book's function: max or average pooling of a 2-D X, stride 1, no
padding) and ``pool2d_pad_stride`` (each channel of X pooled on its own, with padding and stride,
``stride=None`` meaning the window, as ``nn.MaxPool2d``).

The oracle is torch's float64 ``F.max_pool2d`` / ``F.avg_pool2d(count_include_pad=True)``, kept
here (no engine file knows about pooling). The contract's bound has S = the same pooling of |X| (a maximum
is exact; an average of k values errs by about k*eps times the average of |X|), M its largest
value. Max pooling's gradients are checked on inputs without ties: a drawn permutation of evenly
spaced values, as ``conv_layers``' backward pass is.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..checks import oracle, properties, show
from ..core.declarations import Assignment, Check, Exercise, Mismatch
from ..core.outcomes import StudentRaised
from ..checks.strategies import as_pair, float_tensor, kernel_and_input, maybe_strided, pair_or_int

MODES = ("max", "avg")

# ---- the oracle --------------------------------------------------------------------------------


def _stride_arg(case):
    """The stride the case asks for: pool2d's cases have none (stride 1), pool2d_pad_stride's may
    say None (the window)."""
    return case.get("stride", 1)


def _stride(case):
    s = _stride_arg(case)
    return as_pair(case["pool_size"]) if s is None else as_pair(s)


def pool(X, pool_size, padding=0, stride=None, mode="max", count_include_pad=True):
    """Pooling of a 2-D or (c, h, w) X, each channel on its own, in float64 on the CPU
    (differentiable: the gradient oracle runs autograd through it)."""
    X = X.to("cpu", torch.float64)
    k = as_pair(pool_size)
    s = k if stride is None else as_pair(stride)
    X4 = X[None, None] if X.dim() == 2 else X[None]
    if mode == "max":
        Y = F.max_pool2d(X4, k, s, as_pair(padding))
    else:
        Y = F.avg_pool2d(X4, k, s, as_pair(padding), count_include_pad=count_include_pad)
    return Y[0, 0] if X.dim() == 2 else Y[0]


def _mode(case):
    return case.get("mode", "max")


def _args(case):
    return case["X"], case["pool_size"], case.get("padding", 0), _stride_arg(case), _mode(case)


def _expected(case):
    return pool(*_args(case))


def _scale(case):
    X, k, p, s, m = _args(case)
    return pool(oracle.f64(X).abs(), k, p, s, m)


def _grads(case, G):
    """The gradient w.r.t. X by float64 autograd of the oracle, and its scale: the same routing
    (max: to each window's maximum; avg: 1/window size to each element) of |G|."""
    X, k, p, s, m = _args(case)
    X = oracle.f64(X).requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(pool(X, k, p, s, m), X, oracle.f64(G))
        (a,) = torch.autograd.grad(pool(X, k, p, s, m), X, oracle.f64(G).abs())
    return ((g, a),)


# ---- inputs ----------------------------------------------------------------------------------

@st.composite
def _tie_free(draw, shape, dtype):
    """Distinct values: a drawn permutation of evenly spaced numbers in [-10, 10] (spaced at
    least 0.05 apart at the sizes drawn here, so distinct in float32 too)."""
    size = 1
    for n in shape:
        size *= n
    seed = draw(st.integers(0, 2**31 - 1))
    perm = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
    vals = torch.linspace(-10, 10, size, dtype=torch.float64) if size > 1 else \
        torch.zeros(1, dtype=torch.float64)
    return vals[perm].reshape(shape).to(dtype)


def _tie_free_cases(task):
    """Cases for the gradient check: X without ties, the upstream gradient G with them."""
    @st.composite
    def build(draw):
        *shapes, kw = draw(task.shapes)
        dtype = draw(st.sampled_from([torch.float64, torch.float32]))
        X = maybe_strided(draw, draw(_tie_free(shapes[0], dtype)))
        case = {"X": X, **kw}
        if task.late is not None:
            case.update(draw(task.late))
        out = tuple(task.expected(case).shape)
        case["_G"] = draw(float_tensor(out, dtype, scale=1.0))
        return case
    return build()


def _modes(draw, default=True):
    """{"mode": ...}, or {} (the default, max) sometimes."""
    m = draw(st.sampled_from(MODES + ((None,) if default else ())))
    return {} if m is None else {"mode": m}


# ---- hints: the usual mistakes ----------------------------------------------------------------

def _other_mode(c):
    return pool(c["X"], c["pool_size"], c.get("padding", 0), _stride_arg(c),
                "avg" if _mode(c) == "max" else "max")


def _swapped_window(c):
    k = as_pair(c["pool_size"])
    if k[0] == k[1]:
        return None
    s = _stride_arg(c)
    n = c["X"].shape[-2:]
    if s == 1 and (k[1] > n[0] or k[0] > n[1]):
        # pool2d with the window swapped where it does not fit: the empty result a loop makes
        return torch.zeros(*c["X"].shape[:-2], max(0, n[0] - k[1] + 1), max(0, n[1] - k[0] + 1),
                           dtype=torch.float64)
    return pool(c["X"], (k[1], k[0]), c.get("padding", 0),
                (k[1], k[0]) if s is None else s, _mode(c))


def _one_short(c):
    """The output one row and one column short (n - p windows instead of n - p + 1)."""
    Y = _expected(c)
    return Y[..., :-1, :-1] if Y.shape[-1] > 1 and Y.shape[-2] > 1 else None


_SWAPPED_MODE = ("max and avg look swapped: mode='max' takes each window's largest value (最大汇聚层), "
                 "mode='avg' its mean (平均汇聚层).", _other_mode)
_SWAPPED_WINDOW = ("pool_size looks swapped: pool_size = (p_h, p_w) is (rows, columns), the window "
                   "covers X[i:i + p_h, j:j + p_w].", _swapped_window)
_SHORT = ("the output is one row and one column short: a p_h x p_w window fits at n_h - p_h + 1 "
          "positions down and n_w - p_w + 1 across.", _one_short)


def _stride_one(c):
    if _stride_arg(c) is not None or as_pair(c["pool_size"]) == (1, 1):
        return None
    return pool(c["X"], c["pool_size"], c.get("padding", 0), 1, _mode(c))


def _zero_padded_max(c):
    p = as_pair(c.get("padding", 0))
    if _mode(c) != "max" or p == (0, 0):
        return None
    Xp = F.pad(oracle.f64(c["X"]), (p[1], p[1], p[0], p[0]))
    return pool(Xp, c["pool_size"], 0, _stride(c), "max")


def _exclude_pad(c):
    if _mode(c) != "avg" or as_pair(c.get("padding", 0)) == (0, 0):
        return None
    return pool(c["X"], c["pool_size"], c.get("padding", 0), _stride_arg(c), "avg",
                count_include_pad=False)


def _swapped(key):
    """The answer with the pair ``key`` (padding or stride) read as (columns, rows)."""
    def alt(c):
        kw = {"padding": c.get("padding", 0), "stride": _stride_arg(c)}
        if kw[key] is None:
            return None
        v = as_pair(kw[key])
        if v[0] == v[1]:
            return None
        kw[key] = (v[1], v[0])
        return pool(c["X"], c["pool_size"], kw["padding"], kw["stride"], _mode(c))
    return alt


_PS_HINTS = (
    ("stride=None means stride = pool_size (as nn.MaxPool2d): the windows do not overlap. Your "
     "answer is what stride 1 gives.", _stride_one),
    ("max pooling's padding counts as -inf, not 0: a window over the border takes the largest REAL "
     "value (pad with float('-inf'), e.g. torch.full(..., float('-inf')), then copy X into the "
     "middle).", _zero_padded_max),
    ("your average divides by the number of real (unpadded) elements in each window, as "
     "count_include_pad=False; here padding counts as 0 and the divisor is always the window's size "
     "p_h * p_w (count_include_pad=True).", _exclude_pad),
    _SWAPPED_MODE,
    _SWAPPED_WINDOW,
    ("padding (rows, columns) looks swapped.", _swapped("padding")),
    ("stride (rows, columns) looks swapped.", _swapped("stride")),
)

def _mode_raised(case, info) -> str:
    """A valid mode passed in and rejected: the usual causes are a misspelt mode ('mean' for
    'avg') and ``mode is 'max'``, which holds for the literal in the student's own code (the
    default) but not for an equal string made elsewhere (the grader's, which crossed from another
    process). Both are named: from outside, the two look alike."""
    mode = case.get("mode")
    if mode in MODES:
        if info.get("type") == "NotImplementedError":
            return ""
        return (f"{mode!r} is one of the modes, yet your code rejected it when it was passed in. "
                f"The book's modes are spelled 'max' and 'avg' (not 'mean', not 'average'). "
                f"Compare strings with == (mode == {mode!r}), never with `is`: `is` asks for the "
                f"same object, and an equal string made elsewhere (here, by the grader) is "
                f"another object.")
    return ""


# ---- the mode check (shared) --------------------------------------------------------------------


def _mode_check(task, call, points, extra=None):
    """mode='max' and mode='avg' give the right values; any other mode raises ValueError."""
    def verify(student, case):
        c = {k: v for k, v in case.items() if not k.startswith("_")}
        mode = c["mode"]
        ctx = f"For {call(c)} with\n    X = {show.tensor(c['X'])}"
        try:
            r = task.run(student, c)
        except StudentRaised as e:
            kind = e.info.get("type")
            if mode in MODES and kind == "NotImplementedError":
                raise Mismatch(f"{ctx}\nyour code raised NotImplementedError "
                               f"({e.info.get('message') or 'no message'}): mode={mode!r} is not "
                               f"written yet.") from None
            if mode in MODES:
                hint = _mode_raised(c, e.info)
                spelled = "" if hint else ("\nThe book's modes are spelled 'max' and 'avg' (not "
                                           "'mean', not 'average'): compare mode == 'avg'.")
                raise Mismatch(f"{ctx}\nyour code raised {kind}: {e.info.get('message')}"
                               + (f"\nHint: {hint}" if hint else spelled)) from None
            if kind != "ValueError":
                raise Mismatch(f"{ctx}\nyour code raised {kind}; an unknown mode should raise "
                               f"ValueError (raise ValueError(f\"unknown mode {{mode!r}}\")).") \
                    from None
            return
        if mode not in MODES:
            raise Mismatch(f"{ctx}\nexpected a ValueError for the unknown mode {mode!r}, but it "
                           f"returned {show.tensor(r.value)}. Only 'max' and 'avg' are modes: "
                           f"check the mode and raise ValueError for anything else.")
        properties.check_result(task, r, c)
    X = torch.arange(12.0, dtype=torch.float64).reshape(3, 4) % 7 - 3
    examples = tuple({"X": X, "pool_size": (2, 2), **(extra or {}), "mode": m} for m in ("avg", "max", "mean",
                                                                        "min", "MAX"))
    return Check("mode names", points, "mode='max' and mode='avg' (the book's spelling) pool; any "
                 "other mode ('mean', 'min', 'MAX', ...) raises ValueError", verify, None, examples)


# ---- what the value checks are split by (``Exercise.partition``) --------------------------------

def _unequal(v) -> bool:
    return v is not None and as_pair(v)[0] != as_pair(v)[1]


_AVG = ("mode='avg'", lambda c: c.get("mode") == "avg")
_MAX_GIVEN = ("mode='max' passed", lambda c: c.get("mode") == "max")


# ---- pool2d ----------------------------------------------------------------------------------

@st.composite
def _pool2d_shapes(draw):
    n, k = draw(kernel_and_input(max_k=4, extra=5))
    return n, {"pool_size": k, **_modes(draw)}


def _pool2d_ctx(c):
    mode = f", mode={c['mode']!r}" if "mode" in c else ""
    return show.Lazy(lambda: f"For pool2d(X, {c['pool_size']!r}{mode}) with\n"
                             f"    X = {show.tensor(c['X'])}")


POOL = properties.Task(
    name="pool2d", call_sig="pool2d(X, pool_size, mode)", shapes=_pool2d_shapes(),
    oracle=_expected, error_scale=_scale, inputs=("X",), grads=("X",), grad_oracle=_grads,
    hints=(_SWAPPED_MODE, _SWAPPED_WINDOW, _SHORT), kwarg_names=("mode",),
    positional=("pool_size",), oracle_name="torch's float64 F.max_pool2d / F.avg_pool2d",
    context=_pool2d_ctx, raised=_mode_raised)

_X9 = torch.arange(9, dtype=torch.float64).reshape(3, 3)

# What pool2d_pad_stride is checked with in place of the student's pool2d (one bug costs once): a
# solution may pad by hand, pool with stride 1 and keep every s-th window.
_BOOK_POOL2D = """
def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    Y = X.new_zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            else:
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y
"""

pool2d = Exercise("pool2d", "汇聚层 Pooling: maximum and average pooling", (
    properties.book(POOL, [({"X": _X9, "pool_size": (2, 2)}, [[4, 5], [7, 8]]),
                  ({"X": _X9, "pool_size": (2, 2), "mode": "avg"}, [[2, 3], [5, 6]])], 2),
    properties.values_int(POOL, 2),
    properties.values_float(POOL, 1),
    properties.matches_reference(POOL, 0.5),
    _mode_check(POOL, lambda c: f"pool2d(X, {c['pool_size']!r}, mode={c['mode']!r})", 1),
    properties.dtype_device(POOL, 0.5),
    properties.named(properties.gradients(POOL, 0.5), "gradients",
            "a backward pass gives the oracle's gradient for X: max pooling routes each upstream "
            "value to its window's maximum (inputs without ties), average pooling spreads it "
            "evenly", cases=_tie_free_cases(POOL)),
    properties.untouched(POOL, 0.5),
), book_code=_BOOK_POOL2D,
    partition=(_AVG, _MAX_GIVEN, ("p_h != p_w", lambda c: _unequal(c["pool_size"]))),
    plain="the default mode (max), a square window")

# ---- pool2d_pad_stride ----------------------------------------------------------------------


def _padding_for(draw, k):
    """An int or pair, at most half the window per side (F.max_pool2d's rule)."""
    if draw(st.booleans()) and k[0] == k[1]:
        return draw(st.integers(0, k[0] // 2))
    return (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))


@st.composite
def _ps_shapes(draw, channels=None):
    size = draw(pair_or_int(1, 4))
    k = as_pair(size)
    padding = 0 if draw(st.integers(0, 2)) == 0 else _padding_for(draw, k)
    p = as_pair(padding)
    stride = draw(st.one_of(st.none(), pair_or_int(1, 3)))
    hw = tuple(max(1, k[i] - 2 * p[i]) + draw(st.integers(0, 5)) for i in range(2))
    c = draw(st.integers(0, 3)) if channels is None else draw(st.integers(*channels))
    shape = hw if c == 0 else (c, *hw)
    return shape, {"pool_size": size, "padding": padding, "stride": stride, **_modes(draw)}


@st.composite
def _ps_asymmetric(draw):
    """A different window, padding and stride per axis: catches "the first element used for both"
    and swapped pairs."""
    k0 = draw(st.integers(2, 4))
    k1 = draw(st.integers(1, 3))
    k1 = k1 + 1 if k1 >= k0 else k1
    p0, p1 = draw(st.integers(0, k0 // 2)), draw(st.integers(0, k1 // 2))
    if p0 == p1:
        p0, p1 = (1, 0) if k0 >= 2 else (p0, p1)
    stride = None
    if draw(st.booleans()):
        s0, s1 = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        stride = (s0, s1 + 1 if s1 >= s0 else s1)
    k, p = (k0, k1), (p0, p1)
    hw = tuple(max(1, k[i] - 2 * p[i]) + draw(st.integers(0, 5)) for i in range(2))
    c = draw(st.integers(0, 2))
    return (hw if c == 0 else (c, *hw)), {"pool_size": k, "padding": p, "stride": stride,
                                          **_modes(draw, default=False)}


def _ps_call(c):
    mode = f", mode={c['mode']!r}" if "mode" in c else ""
    return (f"pool2d_pad_stride(X, {c['pool_size']!r}, padding={c.get('padding', 0)!r}, "
            f"stride={c.get('stride')!r}{mode})")


def _ps_ctx(c):
    return show.Lazy(lambda: f"For {_ps_call(c)} with\n    X = {show.tensor(c['X'])}")


def _ps_task(shapes):
    return properties.Task(
        name="pool2d_pad_stride", call_sig="pool2d_pad_stride(X, pool_size, padding, stride, mode)",
        shapes=shapes, oracle=_expected, error_scale=_scale, inputs=("X",), grads=("X",),
        grad_oracle=_grads, hints=_PS_HINTS, kwarg_names=("padding", "stride", "mode"),
        positional=("pool_size",),
        oracle_name="torch's float64 F.max_pool2d / F.avg_pool2d(count_include_pad=True)",
        context=_ps_ctx, raised=_mode_raised)


PS = _ps_task(_ps_shapes())
PS_CHANNELS = _ps_task(_ps_shapes(channels=(2, 4)))
PS_ASYM = _ps_task(_ps_asymmetric())

_X16 = torch.arange(16, dtype=torch.float64).reshape(1, 4, 4)
_X16_2 = torch.cat((_X16, _X16 + 1))


def _book_ps(X, size, padding=0, stride=None, mode="max"):
    case = {"X": X, "pool_size": size, "padding": padding, "stride": stride}
    if mode != "max":
        case["mode"] = mode
    return case, pool(X, size, padding, stride, mode).tolist()


pool2d_pad_stride = Exercise("pool2d_pad_stride", "汇聚层 Pooling: padding, stride and multiple "
                             "channels", (
    properties.book(PS, [_book_ps(_X16, 3), _book_ps(_X16[0], 3), _book_ps(_X16, 3, 1, 2),
                _book_ps(_X16, (2, 3), (0, 1), (2, 3)), _book_ps(_X16_2, 3, 1, 2),
                _book_ps(_X16, 3, 1, 2, "avg")], 2),
    properties.values_int(PS, 3),
    properties.values_float(PS, 1.5),
    properties.matches_reference(PS, 0.5),
    properties.named(properties.values_int(PS_CHANNELS, 1), "each channel on its own",
            "X (c, n_h, n_w) with several channels: each channel is pooled on its own, the result "
            "has as many channels as X"),
    properties.named(properties.values_int(PS_ASYM, 1), "window, padding and stride per axis",
            "pairs (rows, columns) for pool_size, padding and stride act on each axis separately"),
    _mode_check(PS, _ps_call, 0.5, {"padding": 0, "stride": None}),
    properties.dtype_device(PS, 0.5),
    properties.named(properties.gradients(PS, 1.5), "gradients",
            "a backward pass gives the oracle's gradient for X: max pooling routes each upstream "
            "value to its window's maximum (inputs without ties; padding gets nothing), average "
            "pooling spreads it over the window", cases=_tie_free_cases(PS)),
    properties.untouched(PS, 0.5),
), builds_on=(pool2d,),
    partition=(_AVG, _MAX_GIVEN,
               ("padding > 0", lambda c: as_pair(c.get("padding", 0)) != (0, 0)),
               ("stride given", lambda c: c.get("stride") is not None),
               ("a pair (rows, columns) of two values",
                lambda c: any(_unequal(c.get(k)) for k in ("pool_size", "padding", "stride"))),
               ("several channels", lambda c: c["X"].dim() == 3 and c["X"].shape[0] > 1)),
    plain="max by default, no padding, stride=None, equal pairs, one channel")

# 20 points: pool2d 8 (the book's function), pool2d_pad_stride 12 (padding, stride, channels).
ASSIGNMENT = Assignment("pooling", "汇聚层 Pooling", (pool2d, pool2d_pad_stride), section="6.5")
