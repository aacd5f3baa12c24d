"""Reusable checks for tensor functions, and the ``Task`` that describes one.

A ``Task`` declares a function's tensor inputs (their shapes as a strategy), its other arguments,
the float64 oracle, the error scale the contract's bound grows with, and which inputs get gradients (with
their oracle). The builders below turn it into checks (values against the oracle, the reference
solution, dtype and device, gradients, inputs untouched), so every exercise that is a tensor
function gets them: the cross-correlations (``ConvTask``), ``pad2d`` and ``Conv2D``'s forward.
The chapter's ideas (translation equivariance, linearity, locality) are written for ``corr2d``.
Every check demands correct values too: no point is given for merely not doing something.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import torch
from hypothesis import strategies as st

from . import oracle, reference, show
from ..core.declarations import Check, Mismatch, ValuesWrong
from ..core.outcomes import StudentRaised
from .strategies import float_tensor, int_tensor, maybe_strided


@dataclass(frozen=True)
class Task:
    """A tensor function under test, as the check builders see it.

    A case is a dict: each input's tensor under its name, plus the other arguments (padding,
    stride, ...) and, starting with "_", answers cached on it (``memo``)."""
    name: str                         # the function called, and named in messages
    call_sig: str                     # how the call reads in messages: "corr2d(X, K)"
    shapes: object                    # strategy of (one shape per input..., {other case keys})
    oracle: Callable                  # oracle(case) -> the float64 answer
    error_scale: Callable             # error_scale(case) -> S, or (S, M): see ``tolerance``
    inputs: tuple = ("X", "K")        # the tensor inputs, in call order (the first sets the dtype)
    grads: tuple = ("X", "K")         # the inputs whose gradients are checked, in their order...
    # ... and their oracle: grad_oracle(case, G) -> one (gradient, error scale) per entry of grads
    grad_oracle: Callable | None = None
    hints: tuple = ()                 # (text, fn(case) -> the answer that mistake would give)
    kwarg_names: tuple = ()           # case keys passed by keyword (padding, stride)
    positional: tuple = ()            # case keys passed positionally after the inputs (padding)
    late: object = None               # strategy of a dict of case keys drawn after the inputs
    exact: bool = False               # the values must equal the oracle's (no arithmetic: pad2d)
    oracle_name: str = "torch's float64 conv2d (cross-correlation)"   # what the oracle is
    returns: str = ""                 # what "returned" in messages (default: name)
    # How the call is made where it is not a plain function call (Conv2D's forward):
    # call(student, case, grad=None | {"wrt": [names], "out": G}, return_inputs=False) -> Result
    call: Callable | None = None
    context: Callable | None = None   # context(case) -> the header of a message
    grad_labels: tuple = ()           # names of grads in messages (default: grads)
    # raised(case, info) -> a hint for an exception the student's code raised here, or "": what
    # the usual mistake behind it is (a valid mode rejected: compared with ``is``).
    raised: Callable | None = None

    def kwargs(self, case) -> dict:
        return {k: case[k] for k in self.kwarg_names if k in case}

    def dtype(self, case):
        return case[self.inputs[0]].dtype

    def args(self, case, dtype=None) -> list:
        tensors = [case[n] if dtype is None else case[n].to(dtype) for n in self.inputs]
        return tensors + [case[k] for k in self.positional]

    def run(self, student, case, grad=None, **extra):
        """Call the student's function on ``case``; ``grad``: the upstream gradient G to send
        back through the result (the gradients of ``grads`` come back)."""
        wire = None if grad is None else {"wrt": list(self.grads), "out": grad}
        try:
            if self.call is not None:
                return self.call(student, case, grad=wire, **extra)
            if wire is not None:
                extra["grad"] = {"wrt": [self.inputs.index(n) for n in self.grads], "out": grad}
            return student.call(self.name, *self.args(case), **self.kwargs(case), **extra)
        except StudentRaised as e:
            if self.raised is not None:
                e.hint = self.raised(case, e.info) or ""
            raise

    def expected(self, case) -> torch.Tensor:
        return memo(case, "_expected", lambda: self.oracle(case))

    def scale(self, case):
        """What the error bound scales with (see ``tolerance``)."""
        return memo(case, "_scale", lambda: self.error_scale(case))

    def expected_grads(self, case, G) -> list:
        return memo(case, "_grads", lambda: list(self.grad_oracle(case, G)))


def _conv_args(case):
    return case["X"], case["K"], case.get("padding", 0), case.get("stride", 1)


def _conv_grads(case, G):
    X, K, padding, stride = _conv_args(case)
    gX, gK = oracle.conv_grads(X, K, G, padding, stride)
    aX, aK = oracle.conv_grads(X, K, G, padding, stride, absolute=True)
    return (gX, aX), (gK, aK)


def ConvTask(name: str, call_sig: str, shapes, hints: tuple = (), kwarg_names: tuple = ()) -> Task:
    """A function whose answer is ``oracle.conv(X, K, padding, stride)``: shapes is a strategy of
    (X_shape, K_shape, {padding, stride...})."""
    return Task(name, call_sig, shapes, oracle=_conv_expected, error_scale=_conv_scale,
                grad_oracle=_conv_grads, hints=hints, kwarg_names=kwarg_names)


def _conv_expected(case):
    return oracle.conv(*_conv_args(case))


def _conv_scale(case):
    return oracle.scale(*_conv_args(case))


def memo(case: dict, key: str, compute):
    """Cache an oracle answer on its case: replayed cases are shared by every student.

    Keys start with "_" so they are never shown; build a changed case from its public keys only.
    """
    if key not in case:
        case[key] = compute()
    return case[key]


# ---- case strategies --------------------------------------------------------------------------

def cases(task: Task, values: str = "int", dtypes=None, strided: bool = False):
    if dtypes is None:
        # One strategy object per (task, values, strided): checks drawing the same cases share
        # one example stream (``streams`` makes it once).
        return _default_cases(task, values, strided)
    return _cases(task, values, dtypes, strided)


@lru_cache(maxsize=None)
def _default_cases(task: Task, values: str, strided: bool):
    return _cases(task, values, st.just(torch.float64), strided)


def _cases(task: Task, values: str, dtypes, strided: bool):

    @st.composite
    def build(draw):
        *shapes, kw = draw(task.shapes)
        dtype = draw(dtypes)
        make = int_tensor if values == "int" else float_tensor
        tensors = [draw(make(shape, dtype)) for shape in shapes]
        if strided:
            tensors = [maybe_strided(draw, t) for t in tensors]
        case = {**dict(zip(task.inputs, tensors)), **kw}
        if task.late is not None:
            case.update(draw(task.late))
        return case
    return build()


# ---- comparing a result with what was expected -----------------------------------------------

def tolerance(scale, dtype) -> torch.Tensor:
    """The contract's error bound for a result of ``dtype``: ``scale`` is the tensor S of sums of
    |products|, or ``(S, M)`` where M is not simply S's largest element (``oracle.scale``)."""
    S, M = scale if isinstance(scale, tuple) else (scale, None)
    return oracle.bound(S, dtype, M)


def header(task: Task, case: dict):
    if task.context is not None:
        return task.context(case)
    return show.Lazy(lambda: f"For {task.call_sig} with\n{show.indent(show.case(case))}")


def _names(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def require_tensor(r, what: str, context: str) -> torch.Tensor:
    if r.tensor is None:
        if "Tensor" in (r.type or ""):
            raise ValuesWrong(f"{context}\n{what} returned a {r.type}, not a plain torch.Tensor.")
        raise ValuesWrong(f"{context}\n{what} returned {r.value!r} ({r.type}), not a tensor.")
    return r.tensor


def require_close(got: torch.Tensor, expected: torch.Tensor, scale: torch.Tensor, dtype,
                  context: str, hints=(), case=None, exact: bool = False,
                  error: type = ValuesWrong) -> None:
    """``got`` equals ``expected`` within the contract's bound; else raises ``error`` (``Mismatch`` where
    what is compared is not the function's values, e.g. its gradients)."""
    if tuple(got.shape) != tuple(expected.shape):
        _raise(error, f"{context}\nthe output shape is wrong: expected {tuple(expected.shape)}, "
                      f"got {tuple(got.shape)}.", _hint(got, hints, case, dtype, expected))
    if not got.is_floating_point():
        raise error(f"{context}\nexpected floating-point values, got dtype {got.dtype}.")
    g64 = got.to(torch.float64)
    err = (g64 - expected).abs()
    tol = torch.zeros_like(expected) if exact else tolerance(scale, dtype)
    bad = ~(err <= tol)       # NaN counts as wrong
    if bool(bad.any()):
        idx = tuple(int(i) for i in bad.nonzero()[0])
        _raise(error,
               f"{context}\nthe values are wrong ({_first_wrong(idx, expected, g64, err, tol)}).\n"
               f"  expected: {show.tensor(expected.to(dtype))}\n"
               f"  got:      {show.tensor(got)}" + _precision_note(err, scale, dtype, exact),
               _hint(got, hints, case, dtype, expected))


def _digits(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` written with just enough digits to tell them apart (up to float64's 17)."""
    for p in range(6, 18):
        x, y = f"{a:.{p}g}", f"{b:.{p}g}"
        if x != y:
            return x, y
    return repr(a), repr(b)


def _first_wrong(idx, expected, g64, err, tol) -> str:
    e, g = expected[idx].item(), g64[idx].item()
    x, y = _digits(e, g)
    where = f"first wrong element at index {idx}: expected {x}, got {y}"
    d, t = err[idx].item(), tol[idx].item()
    if d == d and abs(d) != float("inf"):      # a finite difference: say how far off, and the limit
        where += f"; they differ by {d:.2g}, the allowed error is {t:.2g}"
    return where


def _precision_note(err, scale, dtype, exact: bool) -> str:
    """Explain a float64 answer that is only as exact as float32 arithmetic would make it."""
    if exact or dtype != torch.float64 or not bool(torch.isfinite(err).all()):
        return ""
    if not bool((err <= tolerance(scale, torch.float32)).all()):
        return ""
    return (f"\nYour result was computed in float32 somewhere (its error is {err.max().item():.1g}; "
            f"float64 allows {tolerance(scale, torch.float64).max().item():.1g}): keep every "
            f"intermediate in X's dtype (a bare torch.zeros(shape) or torch.tensor(...) is float32; "
            f"pass dtype=X.dtype).")


def _hint(got, hints, case, dtype, expected=None) -> tuple[str, set]:
    """Name a common mistake when the answer is what that mistake gives (and the right answer
    is not: a 1x1 kernel flipped is the same kernel). Also returns the hints this answer refutes:
    the mistakes whose answer here is known and is not the student's (``runner`` drops a hint
    that any failing example refutes)."""
    if case is None:
        return "", set()

    def near(a, b):
        return tuple(a.shape) == tuple(b.shape) and \
            bool(((a.to(torch.float64) - b).abs() <= 1e-4 * (1 + b.abs())).all())
    found, refuted = "", set()
    for text, alt in hints:
        try:
            other = alt(case)
        except Exception:
            continue
        if other is None or (expected is not None and near(expected, other)):
            continue            # this mistake would not show here
        if not near(got, other):
            refuted.add(text)
        elif not found:
            found = f"\nHint: {text}"
    return found, refuted


def _raise(error: type, message: str, hint: tuple[str, set]):
    e = error(message + hint[0])
    e.refuted = hint[1]
    raise e


def check_result(task: Task, r, case: dict, exact: bool = False) -> torch.Tensor:
    ctx = header(task, case)
    got = require_tensor(r, task.returns or task.name, ctx)
    require_close(got, task.expected(case), task.scale(case), task.dtype(case), ctx,
                  task.hints, case, exact or task.exact)
    return got


# ---- check builders --------------------------------------------------------------------------

def named(check: Check, name: str, statement: str, **changes) -> Check:
    """The same property under another name (a variant drawn from other cases)."""
    return dataclasses.replace(check, name=name, statement=statement, **changes)


def book(task: Task, examples: list[tuple[dict, list]], points: float) -> Check:
    """The book's worked examples, with the book's numbers."""
    def verify(student, case):
        expected = torch.tensor(case["_book"], dtype=torch.float64)
        c = {k: v for k, v in case.items() if not k.startswith("_")}
        r = task.run(student, c)
        ctx = header(task, c) + "\n(the book's example)"
        got = require_tensor(r, task.returns or task.name, ctx)
        require_close(got, expected, task.scale(c), task.dtype(c), ctx, task.hints, c,
                      task.exact)
    exs = tuple({**case, "_book": expected} for case, expected in examples)
    return Check("book example", points, "the book's worked example gives the book's numbers",
                 verify, None, exs, split=True)


def output_shape(task: Task, points: float) -> Check:
    def verify(student, case):
        r = task.run(student, case)
        ctx = header(task, case)
        got = require_tensor(r, task.returns or task.name, ctx)
        expected = task.expected(case)
        if tuple(got.shape) != tuple(expected.shape):
            raise ValuesWrong(f"{ctx}\nthe output shape is wrong: expected {tuple(expected.shape)}, "
                              f"got {tuple(got.shape)}.")
    return Check("output shape", points,
                 "the result has the shape the chapter's formula gives, for square and non-square "
                 "inputs and kernels, 1-wide ones and a kernel as large as the input",
                 verify, cases(task, "int"), split=True)


def values_int(task: Task, points: float) -> Check:
    def verify(student, case):
        check_result(task, task.run(student, case), case)
    return Check("values (small integers)", points,
                 f"{task.call_sig} equals {task.oracle_name} on small integer inputs",
                 verify, cases(task, "int"), split=True)


def values_float(task: Task, points: float) -> Check:
    def verify(student, case):
        check_result(task, task.run(student, case), case)
    return Check("values (random floats)", points,
                 f"{task.call_sig} agrees with the float64 oracle within 8*eps*(sum|products| + its largest value) on "
                 f"random float32/float64 inputs, including non-contiguous views",
                 verify,
                 cases(task, "float", st.sampled_from([torch.float32, torch.float64]), True),
                 split=True)


def matches_reference(task: Task, points: float) -> Check:
    def verify(student, case):
        ctx = header(task, case)
        got = require_tensor(task.run(student, case), task.returns or task.name, ctx)
        ref = reference.solution(task.name)
        if ref is not None:
            def run_reference():
                with torch.no_grad():
                    return ref(*task.args(case, torch.float64),
                               **task.kwargs(case)).to(torch.float64)
            expected = memo(case, "_reference", run_reference)
        else:   # on a student's machine the kit has no solutions: the oracle stands in
            expected = task.expected(case)
        require_close(got, expected, task.scale(case), task.dtype(case),
                      ctx + "\n(compared with the kit's reference solution)", task.hints, case,
                      task.exact)
    return Check("matches the reference", points,
                 "the result matches the kit's reference solution on random inputs",
                 verify, cases(task, "float", st.sampled_from([torch.float32, torch.float64])),
                 split=True)


def require_dtype_device(r, X: torch.Tensor, device: str, context, what: str) -> None:
    """The result has X's dtype and lives on the device X was sent to."""
    got = require_tensor(r, what, context)
    if got.dtype != X.dtype:
        raise Mismatch(f"{context}\nthe result's dtype is {str(got.dtype).replace('torch.', '')}, "
                       f"but X is {str(X.dtype).replace('torch.', '')}: keep X's dtype "
                       f"({dtype_advice(got.dtype)}).")
    if r.device is not None and r.device.split(":")[0] != device.split(":")[0]:
        raise Mismatch(f"{context}\nthe result lives on {r.device}, but X is on {device}: "
                       f"create tensors with device=X.device.")


def dtype_advice(got) -> str:
    """Where a result of dtype ``got`` (not X's) usually comes from, and what to do instead."""
    if got == torch.float64:
        return ("float64 comes from numpy (an array, or torch.from_numpy / torch.tensor of one, is "
                "float64 by default) or an explicit dtype=torch.float64; build the result with "
                "dtype=X.dtype, or convert it with .to(X.dtype)")
    if got == torch.float32:
        return ("a bare torch.zeros(shape) or torch.tensor(...) of Python floats is float32; pass "
                "dtype=X.dtype, device=X.device")
    return f"a {str(got).replace('torch.', '')} result; pass dtype=X.dtype, device=X.device"


def dtype_device(task: Task, points: float,
                 dtypes: tuple = (torch.float64, torch.float32)) -> Check:
    def verify(student, case):
        r = task.run(student, case)
        require_dtype_device(r, case[task.inputs[0]], student.device, header(task, case),
                             task.returns or task.name)
        check_result(task, r, case)
    return Check("dtype and device", points,
                 "the result has X's dtype (float32 stays float32, float64 stays float64) and lives "
                 "on X's device", verify, cases(task, "int", st.sampled_from(list(dtypes))),
                 needs_values=True)


def gradients(task: Task, points: float) -> Check:
    base = cases(task, "float", st.sampled_from([torch.float64, torch.float32]))

    @st.composite
    def with_upstream(draw):
        case = draw(base)
        out = task.expected(case).shape
        case["_G"] = draw(float_tensor(tuple(out), task.dtype(case), scale=1.0))
        return case

    labels = task.grad_labels or task.grads
    # The grads are compared with those of the oracle's own computation.
    of = "torch's conv2d" if task.oracle_name.startswith("torch's float64 conv2d") else "the oracle"

    def verify(student, case):
        c = {k: v for k, v in case.items() if not k.startswith("_")}
        G = case["_G"]
        r = task.run(student, c, grad=G)
        ctx = header(task, c)
        check_result(task, r, c)
        if r.grads is None or len(r.grads) < len(task.grads):
            tensors = _names(task.grad_labels or task.inputs)
            raise Mismatch(f"{ctx}\nno gradient flows back from the result: it is not connected to "
                           f"{tensors} by autograd. Build it from tensor operations on {tensors} (no "
                           f".item(), float(), .tolist(), torch.tensor(...) of values, or .detach()).")
        for label, got, (want, scale) in zip(labels, r.grads, task.expected_grads(case, G)):
            if got is None:
                raise Mismatch(f"{ctx}\nno gradient reaches {label}: the result does not depend on "
                               f"{label} through autograd.")
            require_close(got, want, scale, task.dtype(c),
                          f"{ctx}\nthe gradient with respect to {label} (upstream gradient G = "
                          f"{show.tensor(G)})", error=Mismatch)
    return Check("gradients", points,
                 f"a backward pass through the result gives the same gradients for {_names(labels)} "
                 f"as {of}", verify, with_upstream(), needs_values=True)


def require_untouched(r, context, **before) -> None:
    """The call's tensor arguments, as the worker saw them after the call (``return_inputs``),
    equal what was sent: ``before`` maps each argument's name to its value, in call order."""
    after = r.inputs if isinstance(r.inputs, list) else []
    for i, (label, sent) in enumerate(before.items()):
        now = after[i] if i < len(after) else None
        if not isinstance(now, torch.Tensor) or not torch.equal(sent, now.to(sent.dtype)):
            raise Mismatch(f"{context}\nyour function modified its input {label} in place: after "
                           f"the call {label} = {show.tensor(now)}. Inputs must be left untouched.")


def untouched(task: Task, points: float, inputs: tuple | None = None) -> Check:
    """``inputs``: those the call returns after it (default: all; Conv2D's forward takes only X)."""
    inputs = inputs or task.inputs

    def verify(student, case):
        r = task.run(student, case, return_inputs=True)
        check_result(task, r, case)
        require_untouched(r, header(task, case), **{n: case[n] for n in inputs})
    return Check("inputs untouched", points,
                 f"the inputs {_names(inputs)} are never modified in place", verify,
                 cases(task, "int"), needs_values=True)


# ---- the chapter's ideas, in the book's words -------------------------------------------------
# These three are written for 2-D X and K without padding or stride (``corr2d``).

def translation_equivariance(task: Task, points: float) -> Check:
    """Shifting X shifts Y (平移不变性): corr2d(X[:, 1:], K) == corr2d(X, K)[:, 1:]."""
    base = cases(task, "int")     # built once: making a composite strategy reads its source

    @st.composite
    def wide(draw):
        case = draw(base)
        X, K = case["X"], case["K"]
        if X.shape[1] == K.shape[1]:   # need room to shift one column
            extra = draw(int_tensor((X.shape[0], 1)))
            case["X"] = torch.cat([X, extra], 1)
        return case

    def verify(student, case):
        X, K = case["X"], case["K"]
        Y = check_result(task, task.run(student, case), case)
        shifted = {"X": X[:, 1:].contiguous(), "K": K}
        Ys = check_result(task, task.run(student, shifted), shifted)
        # Both agree with the oracle within the bound; what is left is rounding, not a shift.
        slack = 2 * tolerance(task.scale(case), X.dtype)[:, 1:]
        if not bool(((Ys.double() - Y[:, 1:].double()).abs() <= slack).all()):
            raise Mismatch(f"{header(task, case)}\nshifting X one column to the left did not shift "
                           f"the result one column: translation equivariance fails.")
    return Check("translation equivariance", points,
                 "translation invariance (平移不变性): shifting the input shifts the output the same way",
                 verify, wide(), needs_values=True)


def linearity(task: Task, points: float) -> Check:
    """corr2d(aX1 + bX2, K) == a corr2d(X1, K) + b corr2d(X2, K), and the same in K."""
    base = cases(task, "int")

    @st.composite
    def two(draw):
        case = draw(base)
        # |a*X + X2| <= 2*4 + 2 = 10: generated values stay within the contract's [-10, 10]
        case["X2"] = draw(int_tensor(tuple(case["X"].shape), low=-2, high=2))
        case["a"] = draw(st.integers(-2, 2))
        return case

    def verify(student, case):
        X, X2, K, a = case["X"], case["X2"], case["K"], case["a"]
        base = {"X": X, "K": K}
        Y1 = check_result(task, task.run(student, base), base)
        mixed = {"X": a * X + X2, "K": K}
        Y = check_result(task, task.run(student, mixed), mixed)
        other = {"X": X2, "K": K}
        Y2 = check_result(task, task.run(student, other), other)
        if not torch.allclose(Y.double(), a * Y1.double() + Y2.double(), atol=1e-9):
            raise Mismatch(f"{header(task, case)}\n{task.name}(a*X + X2, K) is not "
                           f"a*{task.name}(X, K) + {task.name}(X2, K): the operation is not linear.")
    return Check("linearity", points,
                 "cross-correlation is linear: corr2d(a*X + X2, K) = a*corr2d(X, K) + corr2d(X2, K)",
                 verify, two(), needs_values=True)


def locality(task: Task, points: float) -> Check:
    """Changing a pixel changes only the outputs whose window covers it (局部性)."""
    base = cases(task, "int")

    @st.composite
    def poke(draw):
        case = draw(base)
        X = case["X"]
        case["i"] = draw(st.integers(0, X.shape[0] - 1))
        case["j"] = draw(st.integers(0, X.shape[1] - 1))
        return case

    def verify(student, case):
        X, K, i, j = case["X"], case["K"], case["i"], case["j"]
        base = {"X": X, "K": K}
        Y = check_result(task, task.run(student, base), base)
        X2 = X.clone()
        X2[i, j] += 5
        poked = {"X": X2, "K": K}
        Y2 = check_result(task, task.run(student, poked), poked)
        kh, kw = K.shape
        # Rounding may move every output a little (an FFT spreads it over the whole image):
        # a change counts when it is above what the bound allows either answer.
        slack = tolerance(task.scale(base), X.dtype) + tolerance(task.scale(poked), X.dtype)
        changed = (Y2.double() - Y.double()).abs() > slack
        for a, b in changed.nonzero().tolist():
            if not (a <= i < a + kh and b <= j < b + kw):
                raise Mismatch(f"{header(task, case)}\nchanging X[{i}, {j}] changed output "
                               f"[{a}, {b}], whose window does not cover that pixel: locality fails.")
    return Check("locality", points,
                 "locality (局部性): an output depends only on the input pixels under its window",
                 verify, poke(), needs_values=True)


def within_cpu_budget(run, sizes, probes, budget_s: float, too_slow, flag: str = "large",
                      probe_case=None):
    """A "vectorised" check's verify: ``run(student, case, size, measure_cpu) -> (Result,
    check)``. Every one of ``sizes`` must give right values; for a case marked ``flag`` (one
    explicit example, so the large inputs are asked once), each of ``probes`` must also take at
    most ``budget_s`` of CPU time, measured by the grader from outside the worker (the operation
    count the worker reports comes from the student's process, where code can fake it: it is only
    a hint). Else ``too_slow(case, probe, counts)`` says why, ``counts`` being ``(size, ops)``
    for each size. ``probe_case``: the case the probes run on (default: the example's)."""
    def verify(student, case):
        counts = []
        for size in sizes:
            r, check = run(student, case, size, False)
            check(r)
            counts.append((size, r.ops))
        if not case.get(flag):
            return
        for probe in probes:
            r, check = run(student, case if probe_case is None else probe_case, probe, True)
            check(r)
            if r.cpu is None or r.cpu <= budget_s:
                continue
            raise Mismatch(too_slow(case, probe, counts))
    return verify
