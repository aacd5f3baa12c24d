"""Forbidden routines refused below Python (``autograder/worker/enforce.py``), asked directly.

Each route below reaches a forbidden operator (or a way below Python) in a real sandboxed worker;
every one must end that worker with the violation status, so the request raises ``ForbiddenUsed``
naming what was used, while the honest operations next to them (``torch.fft`` padding inside,
autograd, ``as_strided``, ``einsum``, an optimiser, tracebacks) keep working.
"""
from __future__ import annotations

import pytest

from autograder.sandbox import isolation
from autograder.core.outcomes import ForbiddenUsed

from test_isolation import _WHY

pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"sandbox tests skipped: {_WHY}")

ROUTES = '''
import torch, sys, importlib
import torch.nn.functional as F
X = torch.rand(1, 1, 6, 6, dtype=torch.float64)
K = torch.rand(1, 1, 3, 3, dtype=torch.float64)
ARGS = (None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()

def conv_guard_off(x):
    with _off():
        return F.conv2d(X, K)

def aten_convolution(x):
    with _off():
        return torch.ops.aten.convolution(X, K, *ARGS)

def convolution_backward(x):
    return torch.ops.aten.convolution_backward(torch.rand(1, 1, 4, 4, dtype=torch.float64), X, K,
                                               None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1,
                                               [True, True, False])[0]

def thnn(x):
    with _off():
        return torch._C._nn.thnn_conv2d(X, K, [3, 3])

def compilation_unit(x):
    return torch.jit.CompilationUnit("def f(x, k):\\n    return torch.conv2d(x, k)\\n").f(X, K)

def below_autograd(x):
    with _off(), torch._C._AutoDispatchBelowAutograd():
        return torch.ops.aten.convolution(X, K, *ARGS)

def max_pool(x):
    with _off():
        return torch.ops.aten.max_pool2d_with_indices(X, [2, 2])[0]

def unfold(x):
    with _off():
        return X.unfold(2, 3, 1)

def reflect_pad(x):
    with _off():
        return torch._C._nn.reflection_pad2d(X, [1, 1, 1, 1])

def constant_pad_below(x):
    return torch.ops.aten.constant_pad_nd.default.redispatch(
        torch._C.DispatchKeySet(torch._C.DispatchKey.CPU), X, [1, 1])

def constant_pad_aten(x):
    with _off():
        return torch.ops.aten.constant_pad_nd.default(X, [1, 1])

def stft_window(x):
    return torch.stft(X[0, 0, 0], 2, hop_length=1, center=False, return_complex=True).abs()

def numpy_c(x):
    import numpy
    return torch.tensor(numpy._core._multiarray_umath.correlate2([1.0, 2.0], [1.0], 0))

def ctypes_call(x):
    import ctypes
    return ctypes.CDLL(None)

def gc_walk(x):
    import gc
    return len(gc.get_objects())

def library(x):
    return torch.library.Library("aten", "IMPL")

def reachable_originals(x):
    """Python functions standing in torch._C (refusers, the grad-mode setter...): the torch
    builtins reachable from their closures, defaults and kwdefaults."""
    import types
    found, seen = [], set()
    todo = [getattr(torch._C, n) for n in dir(torch._C)]
    todo = [f for f in todo if isinstance(f, types.FunctionType)]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, types.FunctionType):
            inner = [c.cell_contents for c in (f.__closure__ or ()) if c.cell_contents is not None]
            inner += list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
            todo += [v for v in inner if callable(v) or isinstance(v, (list, tuple))]
        elif isinstance(f, (list, tuple)):
            todo += [v for v in f if callable(v)]
        elif isinstance(f, types.BuiltinFunctionType) and \
                str(getattr(f, "__module__", "") or "").startswith("torch"):
            found.append(f.__name__)
    return " ".join(sorted(found)) or "none"

def numpy_reachable_originals(x):
    """numpy's refusers (numpy.correlate, correlate2 under every alias, numpy.pad...): the
    builtins reachable from their closures, defaults, kwdefaults and attributes; and, since a
    refuser's __globals__ lead to sys.modules, any numpy module still holding the C
    correlation under some name."""
    import types
    import numpy
    found, seen = [], set()
    mods = [m for n, m in list(sys.modules.items()) if n.split(".")[0] == "numpy"]
    todo = [v for m in mods for v in list(vars(m).values())
            if isinstance(v, types.FunctionType) and getattr(v, "__convkit_wrapped__", False)]
    assert len(todo) >= 5, "numpy's routines are not refused"
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, types.FunctionType):
            inner = [c.cell_contents for c in (f.__closure__ or ()) if c.cell_contents is not None]
            inner += list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
            inner += list(vars(f).values())
            todo += [v for v in inner if callable(v) or isinstance(v, (list, tuple, dict))]
        elif isinstance(f, (list, tuple)):
            todo += [v for v in f if callable(v)]
        elif isinstance(f, dict):
            todo += [v for v in f.values() if callable(v)]
        elif isinstance(f, types.BuiltinFunctionType) and f.__module__ != "posix":
            found.append(f.__name__)       # (the violation's os._exit and os.write are not)
    for m in mods:
        for attr, v in list(vars(m).items()):
            if isinstance(v, types.BuiltinFunctionType) and \
                    getattr(v, "__name__", "") in ("correlate", "correlate2"):
                found.append(f"{m.__name__}.{attr}")
    return " ".join(sorted(found)) or "none"

def honest(x):
    import collections, traceback
    collections.namedtuple("P", "a")
    try:
        raise ValueError("shown")
    except ValueError as e:
        traceback.extract_tb(e.__traceback__)
    Y = X[0, 0].clone().requires_grad_()
    W = torch.nn.Parameter(torch.zeros(3, 3, dtype=torch.float64))
    opt = torch.optim.SGD([W], lr=0.1)
    out = torch.einsum("ijkl,kl->ij", Y.as_strided((4, 4, 3, 3), (6, 1, 6, 1)), W + 1)
    out = out + torch.fft.irfft2(torch.fft.rfft2(Y, s=(8, 8)), s=(8, 8))[:4, :4]
    out.sum().backward()
    opt.step()
    return out.detach()
'''

REFUSED = {
    "conv_guard_off": "torch.ops.aten.conv2d",
    "aten_convolution": "torch.ops.aten.convolution",
    "convolution_backward": "torch.ops.aten.convolution_backward",
    "thnn": "torch.ops.aten.thnn_conv2d",
    "compilation_unit": "torch.ops.aten.conv2d",
    "below_autograd": "torch._C._AutoDispatchBelowAutograd",
    "max_pool": "torch.ops.aten.max_pool2d_with_indices",
    "unfold": "torch.ops.aten.unfold",
    "reflect_pad": "torch.ops.aten.reflection_pad2d",
    "numpy_c": "numpy._core._multiarray_umath.correlate2",
    "ctypes_call": "ctypes.",
    "gc_walk": "gc.get_objects",
    "library": "torch.library.Library",
}


def _call(t, name):
    import torch
    return t.request({"op": "call", "name": name, "args": [torch.zeros(1)], "kwargs": {},
                      "device": "cpu", "grad": None, "return_inputs": False})


def _refused(t, name) -> str:
    """What refused ``name``: named by the guard in Python first (a "forbidden" reply) or, where
    that layer is gone, by the floor, which ends the worker (ForbiddenUsed)."""
    try:
        reply = _call(t, name)
    except ForbiddenUsed as e:
        return e.args[0]
    assert reply.get("forbidden") is not None, reply
    return reply["forbidden"]


@pytest.fixture(scope="module")
def worker():
    t = isolation.open_worker([("<routes>", ROUTES)], sandboxed=True, fresh_per_name=False)
    yield t
    t.close()


@pytest.mark.parametrize("route", sorted(REFUSED))
def test_route_ends_in_the_refusing_kernel(worker, route):
    assert REFUSED[route] in _refused(worker, route)
    # The next request gets a fresh worker in which honest code still runs.
    assert "value" in _call(worker, "honest")


def test_constant_pad_nd_only_inside_an_allowed_composite():
    """torch.fft pads through aten::constant_pad_nd above the autograd key: let through inside
    an allowed composite (``honest``), refused when the student's code calls it, by any route,
    and refused even inside fft for the exercise whose point is padding (pad2d)."""
    cells = [("<routes>", ROUTES)]
    strict = ("convolution", "unfold", "pool", "padding", "constant_pad_nd")
    t = isolation.open_worker(cells, sandboxed=True,
                              forbidden={"constant_pad_below": strict, "honest": strict,
                                         "constant_pad_aten": strict})
    try:
        assert "constant_pad_nd" in _refused(t, "constant_pad_aten")
        assert "constant_pad_nd" in _refused(t, "honest")
    finally:
        t.close()
    t = isolation.open_worker(cells, sandboxed=True)
    try:
        assert "value" in _call(t, "honest")
        assert "redispatch" in _refused(t, "constant_pad_below")
        assert "constant_pad_nd" in _refused(t, "constant_pad_aten")
    finally:
        t.close()


def test_an_exercise_may_allow_more_operators():
    """``Exercise.allows`` (``+name`` in what the worker is told): that exercise's worker lets
    the operator through; every other worker still refuses it."""
    cells = [("<routes>", ROUTES)]
    more = ("convolution", "unfold", "pool", "padding", "+stft")
    t = isolation.open_worker(cells, sandboxed=True, forbidden={"stft_window": more})
    try:
        assert tuple(_call(t, "stft_window")["value"].shape) == (2, 5)
    finally:
        t.close()
    t = isolation.open_worker(cells, sandboxed=True)
    try:
        assert "stft" in _refused(t, "stft_window")
    finally:
        t.close()


def test_refusers_keep_no_original_reachable(worker):
    """A known bypass read the original dispatcher-library constructor from a refuser's
    ``__kwdefaults__``: no function standing in ``torch._C`` leads back to a torch builtin, and
    no numpy refuser leads back to numpy's C correlation."""
    assert _call(worker, "reachable_originals")["value"] == "none"
    # numpy's refusers too: nothing in them, and no module their globals lead to, holds the C
    # correlation (numpy._core.umath re-exported correlate2 under its own name).
    assert _call(worker, "numpy_reachable_originals")["value"] == "none"


def test_a_top_level_demo_is_skipped_not_fatal():
    """A notebook cell comparing with F.conv2d at top level is skipped with a message; the
    definitions of the other cells are still there."""
    cells = [("<a>", "import torch\nimport torch.nn.functional as F\n"
                     "print(F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)))\n"),
             ("<b>", "def f(x):\n    return x + 1\n")]
    t = isolation.open_worker(cells, sandboxed=True)
    try:
        assert [(p["cell"], p["type"]) for p in t.problems] == [("<a>", "ForbiddenRoutine")]
        assert "conv2d" in t.problems[0]["message"]
        assert float(_call(t, "f")["value"][0]) == 1.0
    finally:
        t.close()


# ---- the "autograd" category: a gradient by hand (conv2d_backward, max_pool2d_backward) --------
AUTOGRAD_ROUTES = '''
import torch
from torch.autograd import grad as aliased
T = torch.arange(4.0, dtype=torch.float64)

def _leaf():
    return T.clone().requires_grad_(True)

def tensor_backward(x):
    t = _leaf()
    (t * t).sum().backward()
    return t.grad

def autograd_grad(x):
    t = _leaf()
    return torch.autograd.grad((t * t).sum(), t)[0]

def alias_grad(x):
    t = _leaf()
    return aliased((t * t).sum(), t)[0]

def getattr_grad(x):
    t = _leaf()
    return getattr(getattr(torch, "auto" + "grad"), "gr" + "ad")((t * t).sum(), t)[0]

def guard_off_grad(x):
    t = _leaf()
    with getattr(torch._C, "Disable" + "TorchFunction")():
        return torch.autograd.grad((t * t).sum(), t)[0]

def func_vjp(x):
    out, pull = torch.func.vjp(lambda t: t * t, T)
    return pull(torch.ones(4, dtype=torch.float64))[0]

def func_grad(x):
    return torch.func.grad(lambda t: (t * t).sum())(T)

def functional_jacobian(x):
    return torch.autograd.functional.jacobian(lambda t: t * t, T)

def forward_ad(x):
    return torch.ops.aten._make_dual(T, torch.ones(4, dtype=torch.float64), 0)

def engine(x):
    from torch.autograd.variable import Variable
    t = _leaf()
    return Variable._execution_engine.run_backward(((t * t).sum(),), (None,), False, False,
                                                   (t,), False, False)[0]

def tls_setter(x):
    torch._C._dispatch_tls_set_dispatch_key_excluded(torch._C.DispatchKey.AutogradFunctionality,
                                                     False)
    return x

def engine_type(x):
    """The engine's C type, found without naming it: autograd recorded nothing to run."""
    E = [c for c in object.__subclasses__() if c.__name__ == "_EngineBase"][0]
    t = _leaf()
    return E().run_backward(((t * t).sum(),), (None,), False, False, (t,), False, False)[0]

def guard_emptied(x):
    """The Python layer taken away first: the floor still names the routine and ends the worker."""
    import sys
    for name, mod in list(sys.modules.items()):
        if name.endswith("worker.guard"):
            mod._active.clear()
    t = _leaf()
    return torch.autograd.grad((t * t).sum(), t)[0]

def honest(x):
    Y = T.reshape(2, 2)
    out = torch.einsum("ij,jk->ik", Y.as_strided((2, 2), (1, 2)), Y)
    return out + torch.fft.irfft2(torch.fft.rfft2(Y, s=(4, 4)), s=(4, 4))[:2, :2]
'''

AUTOGRAD_REFUSED = {
    "tensor_backward": "Tensor.backward",
    "autograd_grad": "torch.autograd.grad",
    "alias_grad": "torch.autograd.grad",
    "getattr_grad": "torch.autograd.grad",
    "guard_off_grad": "torch.autograd.grad",
    "func_vjp": "torch.func.vjp",
    "func_grad": "torch.func.grad",
    "functional_jacobian": "torch.autograd.functional.jacobian",
    "forward_ad": "torch.ops.aten._make_dual",
    "engine": "the autograd engine",
    "tls_setter": "_dispatch_tls_set_dispatch_key_excluded",
    "guard_emptied": "torch.autograd.grad",
}
_WITH_AUTOGRAD = ("convolution", "unfold", "pool", "padding", "autograd")


@pytest.fixture(scope="module")
def no_autograd_worker():
    names = list(AUTOGRAD_REFUSED) + ["engine_type", "honest"]
    t = isolation.open_worker([("<routes>", AUTOGRAD_ROUTES)], sandboxed=True,
                              fresh_per_name=False, forbidden={n: _WITH_AUTOGRAD for n in names})
    yield t
    t.close()


@pytest.mark.parametrize("route", sorted(AUTOGRAD_REFUSED))
def test_autograd_refused_where_the_exercise_forbids_it(no_autograd_worker, route):
    # Named by the guard in Python (a "forbidden" reply), or, where that layer is gone, by the
    # floor, which ends the worker (ForbiddenUsed): either way no gradient comes back.
    try:
        reply = _call(no_autograd_worker, route)
        named = reply.get("forbidden")
        assert named is not None, reply
    except ForbiddenUsed as e:
        named = e.args[0]
    assert AUTOGRAD_REFUSED[route] in named
    assert "value" in _call(no_autograd_worker, "honest")


def test_the_engine_reached_another_way_finds_nothing_recorded(no_autograd_worker):
    reply = _call(no_autograd_worker, "engine_type")
    assert "value" not in reply and "does not require grad" in reply["error"]["message"]


def test_autograd_still_works_for_the_other_exercises():
    """The category is the exercise's: in a worker for any other exercise (the grader's own
    gradient checks run autograd there) the same calls give gradients."""
    import torch
    t = isolation.open_worker([("<routes>", AUTOGRAD_ROUTES)], sandboxed=True,
                              fresh_per_name=False)
    try:
        for route in ("tensor_backward", "autograd_grad", "func_vjp"):
            got = _call(t, route)["value"]
            assert torch.equal(got, 2 * torch.arange(4.0, dtype=torch.float64)), route
    finally:
        t.close()


def test_a_top_level_gradcheck_is_skipped_not_fatal():
    """The notebook's own gradient check cell, loaded in the worker of a backward exercise: that
    cell is skipped (SPEC forbids routines inside the student's functions), the worker lives and
    the definitions of the other cells are graded. Elsewhere the cell runs."""
    cells = [("<a>", "import torch\nx = torch.rand(3, dtype=torch.float64, requires_grad=True)\n"
                     "CHECKED = torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,))\n"),
             ("<b>", "def f(x):\n    return x + (2 if 'CHECKED' in globals() else 1)\n"),
             ("<c>", "def g(x):\n    return x + (2 if 'CHECKED' in globals() else 1)\n")]
    t = isolation.open_worker(cells, sandboxed=True, forbidden={"f": _WITH_AUTOGRAD})
    try:
        assert float(_call(t, "f")["value"][0]) == 1.0      # autograd-free: the cell was skipped
        assert float(_call(t, "g")["value"][0]) == 2.0      # another exercise: the cell ran
        assert t.lost is None
    finally:
        t.close()


@pytest.mark.parametrize("mutant, named", [("bug_bw_autograd_grad", "torch.autograd.grad"),
                                           ("bug_bw_tensor_backward", "Tensor.backward"),
                                           ("bug_bw_func_vjp", "torch.func.vjp")])
def test_a_backward_pass_by_autograd_scores_zero_in_a_worker(mutant, named):
    """Graded in the sandbox: the exercise that derives a gradient by hand scores 0, the message
    names the routine, and the exercise before it (whose checks run autograd) keeps its points."""
    from autograder.engine.grade import grade
    from support import CORPUS, by_exercise, home
    a = home("conv2d_backward")
    ex = by_exercise(grade(CORPUS / a / f"{mutant}.py", a, isolation="sandbox"))
    assert ex["conv2d_backward"]["score"] == 0
    assert any(named in out for _, out in ex["conv2d_backward"]["failed"])
    assert ex["conv2d"]["score"] == ex["conv2d"]["max"]
