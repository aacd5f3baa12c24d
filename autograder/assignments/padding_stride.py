"""Assignment ``padding_stride`` — D2L "Padding and Stride" (填充和步幅).

Exercises: ``conv_output_shape`` (the output-size formula), ``pad2d`` (zero padding, per side as in
PyTorch) and ``corr2d_pad_stride`` (cross-correlation with padding and stride).
"""
from __future__ import annotations

import torch
from hypothesis import strategies as st

from ..checks import oracle, properties, show
from ..core.declarations import Assignment, Check, Exercise, Mismatch, ValuesWrong
from ..checks.strategies import as_pair, pad_stride_shapes, pair_or_int

# ---------------------------------------------------------------------------------------------
# conv_output_shape


def _shape_ctx(case):
    return (f"For conv_output_shape({case['input_size']!r}, {case['kernel_size']!r}, "
            f"padding={case['padding']!r}, stride={case['stride']!r}):")


def _shape_answer(student, case):
    r = student.call("conv_output_shape", case["input_size"], case["kernel_size"],
                     padding=case["padding"], stride=case["stride"])
    return r.value


def _as_numbers(v):
    if isinstance(v, torch.Tensor):
        v = v.tolist()
    if isinstance(v, (tuple, list)) and len(v) == 2 and \
            all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return tuple(v)
    return None


def _shape_values(student, case):
    _right_numbers(case, _shape_answer(student, case))


def _right_numbers(case, got):
    want = oracle.out_size(case["input_size"], case["kernel_size"], case["padding"], case["stride"])
    nums = _as_numbers(got)
    if nums is None or tuple(float(x) for x in nums) != tuple(float(x) for x in want):
        hint = ""
        n, k, p, s = (as_pair(case[x]) for x in ("input_size", "kernel_size", "padding", "stride"))
        total = tuple((n[i] + p[i] - k[i]) // s[i] + 1 for i in range(2))
        if nums is not None and tuple(nums) == total and total != want:
            hint = ("\nHint: padding is per side, as in PyTorch: padding=p adds p rows above AND p "
                    "below, so the padded height is n + 2p.")
        raise ValuesWrong(f"{_shape_ctx(case)}\nexpected {want}, got {got!r}.{hint}")


def _shape_types(student, case):
    """Judged where the numbers are right (``needs_values``): the type is what it is about."""
    got = _shape_answer(student, case)
    _right_numbers(case, got)
    want = oracle.out_size(case["input_size"], case["kernel_size"], case["padding"], case["stride"])
    if not (isinstance(got, tuple) and len(got) == 2 and
            all(type(x) is int for x in got)):
        raise Mismatch(f"{_shape_ctx(case)}\nexpected a tuple of two Python ints such as {want}, "
                       f"got {got!r} ({type(got).__name__}). Use floor division (//) and int(...), "
                       f"and return a tuple.")
    if got != want:
        raise Mismatch(f"{_shape_ctx(case)}\nexpected {want}, got {got!r}.")


@st.composite
def _shape_case(draw):
    n, k, p, s = draw(pad_stride_shapes(max_k=7, max_p=4, max_s=4, extra=12))
    # input and kernel sizes as ints when square, sometimes; pairs otherwise
    size = n[0] if n[0] == n[1] and draw(st.booleans()) else n
    ks = k[0] if k[0] == k[1] and draw(st.booleans()) else k
    return {"input_size": size, "kernel_size": ks, "padding": p, "stride": s}


_BOOK_SHAPES = (
    {"input_size": 8, "kernel_size": 3, "padding": 1, "stride": 1},
    {"input_size": 8, "kernel_size": (5, 3), "padding": (2, 1), "stride": 1},
    {"input_size": 8, "kernel_size": 3, "padding": 1, "stride": 2},
    {"input_size": 8, "kernel_size": (3, 5), "padding": (0, 1), "stride": (3, 4)},
)

# What corr2d_pad_stride is checked with in place of the student's conv_output_shape, which a
# solution often uses to size its result (one bug costs once).
_BOOK_SHAPE = """
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))
    n, k, p, s = map(pair, (input_size, kernel_size, padding, stride))
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))
"""

conv_output_shape = Exercise("conv_output_shape", "填充和步幅 Padding and Stride: output shape", (
    Check("book example", 1, "the book's four 8x8 examples give (8, 8), (8, 8), (4, 4), (2, 2)",
          _shape_values, None, _BOOK_SHAPES, split=True),
    Check("matches conv2d", 2, "floor((n + 2p - k) / s) + 1 per dimension, as torch's conv2d gives, "
          "for ints and pairs", _shape_values, _shape_case(), split=True),
    Check("returns a tuple of ints", 1, "the result is a tuple of two Python ints",
          _shape_types, _shape_case(), needs_values=True),
), book_code=_BOOK_SHAPE,
    # (ints and pairs are drawn in nearly every case together: not a feature that splits them)
    partition=(("padding > 0", lambda c: as_pair(c["padding"]) != (0, 0)),
               ("stride > 1", lambda c: as_pair(c["stride"]) != (1, 1))),
    plain="no padding, stride 1")
# ---------------------------------------------------------------------------------------------
# pad2d


def _unequal(v) -> bool:
    """A (rows, columns) pair of two different values."""
    return as_pair(v)[0] != as_pair(v)[1]


def _pad_ctx(case):
    return show.Lazy(lambda: f"For pad2d(X, padding={case['padding']!r}) with\n"
                             f"    X = {show.tensor(case['X'])}")


def _pad_hints():
    def one_side(c):
        p = as_pair(c["padding"])
        X = c["X"].double()
        out = torch.zeros(X.shape[0] + p[0], X.shape[1] + p[1], dtype=torch.float64)
        out[p[0]:, p[1]:] = X
        return out

    def total(c):
        p = as_pair(c["padding"])
        return oracle.pad(c["X"], (p[0] // 2, p[1] // 2))
    return (("zeros were added on one side only: padding=p adds p rows above and p below, p "
             "columns left and p right.", one_side),
            ("padding was treated as the total: in PyTorch padding=p is per side (n + 2p in all).",
             total))


def _pad_grad(case, G):
    """The upstream gradient inside the border: the padding gets none."""
    p = as_pair(case["padding"])
    h, w = case["X"].shape
    want = G.double()[p[0]:p[0] + h, p[1]:p[1] + w]
    return ((want, want.abs()),)


@st.composite
def _pad_shape(draw):
    return (draw(st.integers(1, 6)), draw(st.integers(1, 6))), {}


@st.composite
def _padding(draw):
    return {"padding": draw(pair_or_int(0, 3))}


# X (n_h, n_w) drawn first, the padding after it (the order the examples were always drawn in).
PAD = properties.Task(
    name="pad2d", call_sig="pad2d(X, padding)", shapes=_pad_shape(), late=_padding(),
    inputs=("X",), grads=("X",), positional=("padding",),
    oracle=lambda c: oracle.pad(c["X"], c["padding"]),
    error_scale=lambda c: oracle.pad(c["X"], c["padding"]).abs(),
    grad_oracle=_pad_grad, exact=True, oracle_name="X with zeros around it",
    hints=_pad_hints(), context=_pad_ctx)


# What corr2d_pad_stride is checked with in place of the student's pad2d (one bug costs once).
_BOOK_PAD2D = """
def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else tuple(padding)
    Y = X.new_zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w))
    Y[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    return Y
"""

pad2d = Exercise("pad2d", "填充和步幅 Padding and Stride: zero padding", (
    properties.named(properties.values_int(PAD, 2), "values",
            "X surrounded by `padding` rows/columns of zeros on each side (int or pair)",
            examples=({"X": torch.arange(1.0, 5.0, dtype=torch.float64).reshape(2, 2), "padding": 1},)),
    properties.named(properties.dtype_device(PAD, 0.5, (torch.float32, torch.float64)), "dtype and device",
            "the result keeps X's dtype and device"),
    properties.named(properties.gradients(PAD, 1), "gradients",
            "gradients flow back to X (the padded border gets none)"),
    properties.named(properties.untouched(PAD, 0.5), "inputs untouched", "X is never modified in place"),
), book_code=_BOOK_PAD2D,
   partition=(("p_h != p_w", lambda c: _unequal(c["padding"])),
              ("no padding", lambda c: as_pair(c["padding"]) == (0, 0))),
   plain="the same padding on both axes",
   forbidden=("convolution", "unfold", "pool", "padding", "constant_pad_nd"))

# ---------------------------------------------------------------------------------------------
# corr2d_pad_stride


@st.composite
def _ps_shapes(draw):
    n, k, p, s = draw(pad_stride_shapes())
    return n, k, {"padding": p, "stride": s}


@st.composite
def _ps_asymmetric(draw):
    """Different padding and stride per axis: catches 'stride[0] used for both' bugs."""
    p0, p1 = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    s0, s1 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if p0 == p1:
        p1 = p0 + 1
    if s0 == s1:
        s1 = s0 + 1
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    n = tuple(max(1, k[i] - 2 * (p0, p1)[i]) + draw(st.integers(0, 6)) for i in range(2))
    return n, k, {"padding": (p0, p1), "stride": (s0, s1)}


def _ps_hints():
    def total(c):
        p = as_pair(c.get("padding", 0))
        return oracle.conv(c["X"], c["K"], (p[0] // 2, p[1] // 2), c.get("stride", 1))

    def swapped(c):
        s = as_pair(c.get("stride", 1))
        return oracle.conv(c["X"], c["K"], c.get("padding", 0), (s[1], s[0]))

    def first_axis(c):
        s, p = as_pair(c.get("stride", 1)), as_pair(c.get("padding", 0))
        return oracle.conv(c["X"], c["K"], (p[0], p[0]), (s[0], s[0]))

    def flipped(c):
        return oracle.conv(c["X"], c["K"].flip(0, 1), c.get("padding", 0), c.get("stride", 1))
    return (("the kernel is flipped: this is cross-correlation (互相关), not convolution.", flipped),
            ("padding looks like it was treated as the total: padding=p adds p on EACH side.", total),
            ("stride (rows, columns) looks swapped.", swapped),
            ("only the first element of padding/stride seems to be used, for both axes.", first_axis))


PS = properties.ConvTask(name="corr2d_pad_stride", call_sig="corr2d_pad_stride(X, K, padding, stride)",
                shapes=_ps_shapes(), hints=_ps_hints(), kwarg_names=("padding", "stride"))
PS_ASYM = properties.ConvTask(name="corr2d_pad_stride", call_sig="corr2d_pad_stride(X, K, padding, stride)",
                     shapes=_ps_asymmetric(), hints=_ps_hints(), kwarg_names=("padding", "stride"))

_X8 = ((torch.arange(64, dtype=torch.float64).reshape(8, 8) * 5) % 9 - 4)


def _book_ps(k, p, s):
    K = (torch.arange(float(k[0] * k[1]), dtype=torch.float64).reshape(k) % 5 - 2)
    case = {"X": _X8, "K": K, "padding": p, "stride": s}
    return case, oracle.conv(_X8, K, p, s).tolist()


corr2d_pad_stride = Exercise("corr2d_pad_stride", "填充和步幅 Padding and Stride: cross-correlation "
                             "with padding and stride", (
    properties.book(PS, [_book_ps((3, 3), 1, 1), _book_ps((5, 3), (2, 1), 1), _book_ps((3, 3), 1, 2),
                _book_ps((3, 5), (0, 1), (3, 4))], 2),
    properties.values_int(PS, 3),
    properties.values_float(PS, 1.5),
    properties.matches_reference(PS, 1),
    properties.named(properties.values_int(PS_ASYM, 1), "padding and stride per axis",
            "a pair (rows, columns) pads and strides each axis separately"),
    properties.dtype_device(PS, 1),
    properties.gradients(PS, 1.5),
    properties.untouched(PS, 1),
), builds_on=(conv_output_shape, pad2d),
    partition=(("padding > 0", lambda c: as_pair(c.get("padding", 0)) != (0, 0)),
               ("stride > 1", lambda c: as_pair(c.get("stride", 1)) != (1, 1)),
               ("(rows, columns) pairs of two values",
                lambda c: _unequal(c.get("padding", 0)) or _unequal(c.get("stride", 1)))),
    plain="no padding, stride 1")

ASSIGNMENT = Assignment("padding_stride", "填充和步幅 Padding and Stride",
                        (conv_output_shape, pad2d, corr2d_pad_stride), section="6.3")
