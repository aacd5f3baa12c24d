"""Assignment ``cross_correlation`` — D2L "Convolutions for Images" (图像卷积).

Exercises: ``corr2d`` (the cross-correlation operation, 互相关运算), ``Conv2D`` (a convolutional
layer with a learnable kernel and bias) and ``learn_kernel`` (learning the edge-detection kernel
from data, as the book does at the end of the section).
"""
from __future__ import annotations

import torch
from hypothesis import strategies as st

from ..checks import oracle, properties, reference, show
from ..core.declarations import Assignment, Check, Exercise, Mismatch, ValuesWrong
from ..checks.strategies import int_tensor, kernel_and_input

# ---------------------------------------------------------------------------------------------
# corr2d


@st.composite
def _corr2d_shapes(draw):
    n, k = draw(kernel_and_input())
    return n, k, {}


CORR2D = properties.ConvTask(
    name="corr2d", call_sig="corr2d(X, K)", shapes=_corr2d_shapes(),
    hints=(("your answer equals the convolution with the kernel flipped (K[::-1, ::-1]). The "
            "chapter's corr2d is cross-correlation (互相关): slide K over X without flipping it, "
            "Y[i, j] = (X[i:i+k_h, j:j+k_w] * K).sum().",
            lambda c: oracle.conv(c["X"], c["K"].flip(0, 1))),))

_BOOK_X = torch.arange(9.0, dtype=torch.float64).reshape(3, 3)
_BOOK_K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64)
_EDGE_X = torch.ones(6, 8, dtype=torch.float64)
_EDGE_X[:, 2:6] = 0
_EDGE_K = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
_EDGE_Y = [[0, 1, 0, 0, 0, -1, 0]] * 6

# What Conv2D and learn_kernel are checked with in place of the student's corr2d: the book's
# formula summed over the kernel's offsets instead of the output's pixels (a few slices instead of
# a loop over every pixel), in X's dtype and device (the book's torch.zeros is float32) and
# differentiable.
_BOOK_CORR2D = """
def corr2d(X, K):
    h, w = K.shape
    o_h, o_w = X.shape[0] - h + 1, X.shape[1] - w + 1
    Y = X.new_zeros((o_h, o_w))
    for a in range(h):
        for b in range(w):
            Y = Y + K[a, b] * X[a:a + o_h, b:b + o_w]
    return Y
"""

corr2d = Exercise("corr2d", "图像卷积 Convolutions for Images: the cross-correlation operation", (
    properties.book(CORR2D, [({"X": _BOOK_X, "K": _BOOK_K}, [[19, 25], [37, 43]]),
                    ({"X": _EDGE_X, "K": _EDGE_K}, _EDGE_Y)], 1),
    properties.output_shape(CORR2D, 1),
    properties.values_int(CORR2D, 2),
    properties.values_float(CORR2D, 1),
    properties.matches_reference(CORR2D, 1),
    properties.dtype_device(CORR2D, 1),
    properties.gradients(CORR2D, 1),
    properties.untouched(CORR2D, 0.5),
    properties.translation_equivariance(CORR2D, 0.5),
    properties.linearity(CORR2D, 0.5),
    properties.locality(CORR2D, 0.5),
), partition=(("X not square", lambda c: c["X"].shape[0] != c["X"].shape[1]),
              ("K not square", lambda c: c["K"].shape[0] != c["K"].shape[1])),
    plain="a square X and K", book_code=_BOOK_CORR2D)

# ---------------------------------------------------------------------------------------------
# Conv2D


def _conv2d_ctx(k, X, W=None, b=None) -> show.Lazy:
    return show.Lazy(lambda: _conv2d_text(k, X, W, b))


def _conv2d_text(k, X, W, b) -> str:
    lines = [f"For layer = Conv2D({k}) with"]
    if W is not None:
        lines.append(f"    layer.weight = {show.tensor(W)}")
        lines.append(f"    layer.bias = {show.tensor(b)}")
    lines.append(f"    X = {show.tensor(X)}")
    return "\n".join(lines) + "\nlayer(X):"


def _layer_call(student, case, grad=None, return_inputs=False):
    """Conv2D(k) with its weight and bias set, then forward(X): gradients of X (the call's
    argument) and of the parameters weight and bias."""
    step = {"call": [case["X"]], "return_inputs": return_inputs}
    if grad:
        step["grad"] = {"wrt": [0], "params": ["weight", "bias"], "out": grad["out"]}
    m = student.module("Conv2D", [case["k"]], [{"set": {"weight": case["W"], "bias": case["b"]}}, step])
    return m.results[0]


def _layer_grads(case, G):
    gX, gW = oracle.conv_grads(case["X"], case["W"], G)
    aX, aW = oracle.conv_grads(case["X"], case["W"], G, absolute=True)
    return ((gX, aX), (gW, aW), (G.double().sum().reshape(1), G.double().abs().sum().reshape(1)))


@st.composite
def _layer_shapes(draw):
    n, k = draw(kernel_and_input())
    return n, k, (1,), {"k": k}


# forward(X) of a Conv2D(k) whose weight W and bias b the grader sets.
LAYER = properties.Task(
    name="Conv2D", call_sig="Conv2D(k)(X)", shapes=_layer_shapes(),
    inputs=("X", "W", "b"), grads=("X", "W", "b"), grad_labels=("X", "weight", "bias"),
    oracle=lambda c: oracle.conv(c["X"], c["W"]) + c["b"].to(torch.float64),
    error_scale=lambda c: oracle.conv(c["X"], c["W"], absolute=True) + c["b"].abs().double(),
    grad_oracle=_layer_grads, oracle_name="corr2d(X, weight) + bias", returns="forward",
    call=_layer_call, context=lambda c: _conv2d_ctx(c["k"], c["X"], c["W"], c["b"]),
    hints=(("the result equals corr2d(X, weight) without the bias: add self.bias.",
            lambda c: oracle.conv(c["X"], c["W"])),
           ("the result is the cross-correlation with the weight flipped: forward should "
            "call corr2d(X, self.weight) as it is (it is checked with the book's corr2d).",
            lambda c: oracle.conv(c["X"], c["W"].flip(0, 1)) + c["b"].double())))


def _check_layer_out(r, case):
    return properties.check_result(LAYER, r, case)


def _registered(student, case):
    k = case["k"]
    m = student.module("Conv2D", [k], [])
    params = {p["name"]: p for p in (m.params or [])}
    ctx = f"For layer = Conv2D({k}):"
    for name, shape in (("weight", list(k)), ("bias", [1])):
        if name not in params:
            kind = m.attrs.get(name)
            extra = (f" layer.{name} exists but is a {kind}, which nn.Module does not register"
                     if kind else f" layer has no attribute {name}")
            raise Mismatch(f"{ctx}\n{name} is not registered as a parameter: wrap it in "
                           f"nn.Parameter(...) so that layer.parameters() (and an optimiser) sees it."
                           f"{extra}.")
        if params[name]["shape"] != shape:
            raise Mismatch(f"{ctx}\nlayer.{name} has shape {tuple(params[name]['shape'])}, "
                           f"expected {tuple(shape)}.")


def _forward_values(student, case):
    _check_layer_out(LAYER.run(student, case), case)


def _current_params(student, case):
    first, second = case, case["second"]
    m = student.module("Conv2D", [case["k"]], [
        {"set": {"weight": first["W"], "bias": first["b"]}}, {"call": [first["X"]]},
        {"set": {"weight": second["W"], "bias": second["b"]}}, {"call": [first["X"]]},
    ])
    _check_layer_out(m.results[0], first)
    again = {**second, "X": first["X"], "k": case["k"]}
    try:
        _check_layer_out(m.results[1], again)
    except Mismatch as e:
        raise Mismatch(f"{e}\nAfter the weight and bias were changed, forward still computed with "
                       f"the old ones: use self.weight and self.bias inside forward, do not copy "
                       f"them in __init__.") from None


@st.composite
def _two_param_sets(draw):
    case = draw(properties.cases(LAYER, "int"))
    case["second"] = {"W": draw(int_tensor(case["k"])), "b": draw(int_tensor((1,)))}
    return case


_EDGE_CASE = {"k": (1, 2), "X": _EDGE_X, "W": _EDGE_K, "b": torch.zeros(1, dtype=torch.float64)}

Conv2D = Exercise("Conv2D", "图像卷积 Convolutions for Images: a convolutional layer", (
    Check("parameters registered", 1,
          "Conv2D(kernel_size) registers weight (shape kernel_size) and bias (shape (1,)) as "
          "nn.Parameter", _registered, None,
          tuple({"k": k} for k in ((1, 2), (3, 3), (2, 5), (4, 1)))),
    Check("book example", 0.5, "with weight [[1, -1]] and bias 0 the layer finds the book's vertical "
          "edges", _forward_values, None, (_EDGE_CASE,)),
    properties.named(properties.values_int(LAYER, 1.5), "forward values",
            "forward(X) = corr2d(X, weight) + bias for the weight and bias set"),
    Check("uses current parameters", 1, "forward uses the current weight and bias, not copies made "
          "earlier", _current_params, _two_param_sets(), needs_values=True),
    properties.named(properties.dtype_device(LAYER, 0.5), "dtype and device", "with float64 (or float32) X and "
            "parameters, the result keeps that dtype and X's device"),
    properties.named(properties.gradients(LAYER, 1), "gradients",
            "a backward pass gives torch's gradients for X, weight and bias"),
    properties.named(properties.untouched(LAYER, 0.5, ("X",)), "inputs untouched",
            "forward never modifies its input X in place"),
), builds_on=(corr2d,))

# ---------------------------------------------------------------------------------------------
# learn_kernel


def _expected_kernel(case):
    return properties.memo(case, "_kernel", lambda: _reference_kernel(case))


def _reference_kernel(case):
    ref = reference.solution("learn_kernel")
    args = (case["X"].double(), case["Y"].double(), case["kernel_size"])
    kw = {"num_epochs": case["num_epochs"], "lr": case["lr"]}
    if ref is not None:
        return ref(*args, **kw).double()
    return oracle.learn_kernel(*args, **kw)


def _learn_ctx(case):
    return show.Lazy(lambda: f"For learn_kernel(X, Y, kernel_size={case['kernel_size']}, num_epochs="
            f"{case['num_epochs']}, lr={case['lr']}) with\n"
            f"    X = {show.tensor(case['X'])}\n    Y = {show.tensor(case['Y'])}")


def _run_learn(student, case, **extra):
    return student.call("learn_kernel", case["X"], case["Y"], case["kernel_size"],
                        num_epochs=case["num_epochs"], lr=case["lr"], **extra)


def _close_kernel(got, want, ctx, rel):
    if tuple(got.shape) != tuple(want.shape):
        raise ValuesWrong(f"{ctx}\nthe kernel has shape {tuple(got.shape)}, expected {tuple(want.shape)}.")
    err = (got.double() - want).abs().max().item() if got.numel() else 0.0
    if not err <= rel * max(1.0, want.abs().max().item() if want.numel() else 0.0):
        raise ValuesWrong(f"{ctx}\nthe learned kernel differs from plain gradient descent started at "
                       f"zeros:\n  expected: {show.tensor(want)}\n  got:      {show.tensor(got)}"
                       f"\nStart from zeros, use the summed squared error, and take exactly "
                       f"num_epochs steps of K -= lr * K.grad.")


def _edge_kernel(student, case):
    ctx = _learn_ctx(case)
    got = properties.require_tensor(_run_learn(student, case), "learn_kernel", ctx)
    target = case["_target"]
    if tuple(got.shape) != tuple(target.shape) or \
            not bool(((got.double() - target).abs() <= 0.1).all()):
        raise ValuesWrong(f"{ctx}\nthe learned kernel {show.tensor(got)} is not within 0.1 of "
                       f"{show.tensor(target)}.")
    _close_kernel(got, _expected_kernel(case), ctx, 1e-6)


def _reference_run(student, case):
    ctx = _learn_ctx(case)
    got = properties.require_tensor(_run_learn(student, case), "learn_kernel", ctx)
    _close_kernel(got, _expected_kernel(case), ctx, 1e-6)


def _detached_dtype(student, case):
    r = _run_learn(student, case, return_inputs=True)
    ctx = _learn_ctx(case)
    got = properties.require_tensor(r, "learn_kernel", ctx)
    if r.requires_grad:
        raise Mismatch(f"{ctx}\nthe returned kernel still requires grad: return K.detach().")
    if got.dtype != case["X"].dtype:
        raise Mismatch(f"{ctx}\nthe kernel's dtype is {got.dtype}, but X is {case['X'].dtype}.")
    properties.require_untouched(r, ctx, X=case["X"], Y=case["Y"])
    _close_kernel(got, _expected_kernel(case), ctx, 1e-6 if got.dtype == torch.float64 else 1e-3)


def _problem(X, K, num_epochs=10, lr=3e-2, dtype=torch.float64):
    X = X.to(dtype)
    return {"X": X, "Y": oracle.conv(X, K).to(dtype), "kernel_size": tuple(K.shape),
            "num_epochs": num_epochs, "lr": lr, "_target": K.double()}


@st.composite
def _learn_problem(draw, dtypes=st.just(torch.float64)):
    n, k = draw(kernel_and_input(3, 4))
    dtype = draw(dtypes)
    X = draw(int_tensor(n, dtype, -1, 1))
    Y = draw(int_tensor((n[0] - k[0] + 1, n[1] - k[1] + 1), dtype, -2, 2))
    return {"X": X, "Y": Y, "kernel_size": k, "num_epochs": draw(st.integers(0, 12)),
            "lr": draw(st.sampled_from([1e-2, 3e-2]))}


# A fixed 0/1 pattern (not a checkerboard, on which the diagonal kernel's output vanishes).
_DIAG_X = (torch.arange(36, dtype=torch.float64).reshape(6, 6) * 7 % 5 < 2).to(torch.float64)

learn_kernel = Exercise("learn_kernel", "图像卷积 Convolutions for Images: learning a kernel", (
    Check("recovers the edge kernel", 1, "trained on the book's edge-detection data, the kernel "
          "comes within 0.1 of [[1, -1]]", _edge_kernel, None, (_problem(_EDGE_X, _EDGE_K),)),
    Check("matches the reference", 1.5, "the kernel equals that of plain gradient descent from "
          "zeros on the summed squared error (the reference solution's run)", _reference_run,
          _learn_problem()),
    Check("recovers other kernels", 0.5, "other kernels are recovered from their own outputs",
          _edge_kernel, None, (
              _problem(_EDGE_X.T.contiguous(), _EDGE_K.T.contiguous()),
              _problem(_DIAG_X, torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64), 30),
          )),
    Check("detached, dtype kept, inputs untouched", 1, "returns K detached, in X's dtype, and leaves "
          "X and Y untouched", _detached_dtype,
          _learn_problem(st.sampled_from([torch.float32, torch.float64])), needs_values=True),
), builds_on=(corr2d,))

ASSIGNMENT = Assignment("cross_correlation", "图像卷积 Convolutions for Images",
                        (corr2d, Conv2D, learn_kernel), section="6.2")
