"""Forbidden routines refused below Python (``autograder/worker/enforce.py``), asked directly.

Each route below reaches a forbidden operator (or a way below Python) in a real sandboxed worker;
every one must end that worker with the violation status, so the request raises ``ForbiddenUsed``
naming what was used, while the honest operations next to them (``torch.fft`` padding inside,
autograd, ``as_strided``, ``einsum``, an optimiser, tracebacks) keep working.
"""
from __future__ import annotations

import pytest

from autograder import isolation
from autograder.student import ForbiddenUsed

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
    "below_autograd": "torch.ops.aten.convolution",
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


@pytest.fixture(scope="module")
def worker():
    t = isolation.open_worker([("<routes>", ROUTES)], sandboxed=True, fresh_per_name=False)
    yield t
    t.close()


@pytest.mark.parametrize("route", sorted(REFUSED))
def test_route_ends_in_the_refusing_kernel(worker, route):
    with pytest.raises(ForbiddenUsed) as e:
        _call(worker, route)
    assert REFUSED[route] in e.value.args[0]
    # The next request gets a fresh worker in which honest code still runs.
    assert "value" in _call(worker, "honest")


def test_constant_pad_nd_below_python_only_where_padding_is_the_exercise():
    """torch.fft pads through aten::constant_pad_nd: allowed below Python by default, refused
    for an exercise that declares it (pad2d)."""
    cells = [("<routes>", ROUTES)]
    t = isolation.open_worker(cells, sandboxed=True,
                              forbidden={"constant_pad_below": ("convolution", "unfold", "pooling",
                                                                "padding", "constant_pad_nd"),
                                         "honest": ("convolution", "unfold", "pooling", "padding",
                                                    "constant_pad_nd")})
    try:
        with pytest.raises(ForbiddenUsed, match="constant_pad_nd"):
            _call(t, "constant_pad_below")
    finally:
        t.close()
    t = isolation.open_worker(cells, sandboxed=True)
    try:
        assert tuple(_call(t, "constant_pad_below")["value"].shape) == (1, 1, 6, 8)
    finally:
        t.close()


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
