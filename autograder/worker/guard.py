"""Catch forbidden routines while student code runs, and count the torch operations it performs.

The contract (docs/CONTRACT.md): a student's function may not call any library's ready-made convolution, correlation,
unfold/fold, padding or pooling routine, however it is reached. Torch routines are caught with a
``TorchFunctionMode``: every torch entry point that Python can reach (``torch.*``, ``F.*``, Tensor
methods, ``torch._C._VariableFunctions``, ``torch._C._nn``, ``torch.ops.aten.*``) passes through
it, so aliases and ``getattr`` tricks change nothing, while what an allowed routine does inside C++
(``torch.fft`` padding its input) is not seen, as the contract wants. Other libraries' routines are wrapped
in their modules, now or when they are first imported.

The guard raises ``Forbidden``, a BaseException, so a student's ``except Exception`` cannot swallow
it; it also remembers the first hit, so even ``except BaseException`` does not hide it.

This layer lives in Python state the student's code can reach, so it is not what the rule rests
on in an isolated worker: ``enforce`` refuses the same routines below Python (at the dispatcher,
with an audit hook) and ends the process. The guard is kept in front of it for its messages
(the public name the student wrote), for the Python-level padding names (``F.pad``), for the
cells of a notebook that demonstrate ``F.conv2d`` at top level, and for in-process grading.
"""
from __future__ import annotations

import functools
import importlib.abc
import re
import sys

from torch.overrides import TorchFunctionMode

# Names of torch callables (their ``__name__`` as the mode sees them, overload suffix removed).
TORCH_FORBIDDEN = {
    # convolution and correlation
    "conv1d", "conv2d", "conv3d", "conv_tbc", "convolution", "_convolution", "_convolution_mode",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cudnn_convolution",
    "cudnn_convolution_transpose", "mkldnn_convolution", "miopen_convolution",
    "_conv_depthwise2d", "slow_conv2d", "thnn_conv2d", "_slow_conv2d_forward",
    "slow_conv_dilated2d", "slow_conv_transpose2d", "_nnpack_spatial_convolution",
    "convolution_overrideable", "conv_depthwise3d",
    # unfold / fold
    "unfold", "fold", "im2col", "col2im", "unfold_copy",
    # padding
    "pad", "constant_pad_nd", "_pad_enum", "_pad_circular", "reflection_pad1d", "reflection_pad2d",
    "reflection_pad3d", "replication_pad1d", "replication_pad2d", "replication_pad3d",
    # pooling
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool3d", "_adaptive_avg_pool2d", "lp_pool1d", "lp_pool2d", "fractional_max_pool2d",
    "mkldnn_max_pool2d", "quantized_max_pool2d",
}

# Other libraries: module -> attribute names that are ready-made routines of the same kinds.
OTHER_FORBIDDEN = {
    "numpy": ["correlate", "convolve", "pad"],
    "numpy._core.multiarray": ["correlate", "correlate2"],
    "numpy.lib.stride_tricks": ["sliding_window_view"],
    "scipy.signal": ["correlate", "correlate2d", "convolve", "convolve2d", "fftconvolve",
                     "oaconvolve", "choose_conv_method"],
    "scipy.ndimage": ["correlate", "convolve", "correlate1d", "convolve1d", "uniform_filter",
                      "maximum_filter"],
}


_FROZEN = frozenset(TORCH_FORBIDDEN)

# Automatic differentiation as the mode sees it (``Tensor.backward``, ``torch.autograd.grad``,
# which ``torch.func``'s transforms call inside, forward mode's ``_make_dual``): refused only for
# an exercise whose gradient is derived by hand (the "autograd" category), where ``execute``
# passes them as ``extra``. In a worker ``enforce`` refuses them below Python as well.
AUTOGRAD = frozenset({"backward", "grad", "_make_dual", "_unpack_dual"})


# Which category (``Exercise.forbidden``, ``enforce.CATEGORIES``) each name above belongs to. At
# the Python level ``padding`` covers ``constant_pad_nd`` too (``F.pad`` is refused wherever
# padding is; only below Python is ``constant_pad_nd`` a category of its own, see ``enforce``).
_GUARD_CATEGORIES = {"convolution": r"conv", "unfold": r"fold|im2col|col2im",
                     "pool": r"pool", "padding": r"pad"}


def names_for(categories) -> frozenset:
    """The names the guard refuses for an exercise that forbids ``categories``: every name for
    the default set, none for an exercise that forbids nothing (one about composing nn layers)."""
    return _names_for(tuple(sorted(set(categories))))


@functools.lru_cache(maxsize=64)
def _names_for(categories: tuple) -> frozenset:
    # Cached: a worker asks for the same categories on every request.
    pats = [re.compile(_GUARD_CATEGORIES[c]) for c in categories if c in _GUARD_CATEGORIES]
    return frozenset(n for n in _FROZEN if any(p.search(n) for p in pats))


class Forbidden(BaseException):
    """A forbidden routine was called; ``args[0]`` names it."""


def _display(func) -> str:
    name = getattr(func, "__name__", None) or repr(func)
    base = name.split(".")[0]
    module = getattr(func, "__module__", None) or ""
    if module.startswith("torch._ops") or "aten" in str(func):
        return f"torch.ops.aten.{base}"
    if module in ("torch.nn.functional", "torch._C._nn") or base in ("pad", "unfold_fn"):
        return f"torch.nn.functional.{base}" if module == "torch.nn.functional" else f"{module}.{base}"
    qual = getattr(func, "__qualname__", "")
    if qual.startswith("TensorBase.") or qual.startswith("Tensor."):
        return f"Tensor.{base}"
    return f"{module or 'torch'}.{base}"


# The public name of each torch function a guard has seen, for the life of the worker: a Guard
# lasts one request, and working the names out again for every request cost more than the rest
# of ``called``. Bounded, since the callables the mode sees are not all the kit's.
_PUBLIC_NAMES: dict = {}
_PUBLIC_NAMES_MAX = 4096


class Guard(TorchFunctionMode):
    """Active while student code runs: refuses forbidden torch routines and counts operations."""

    def __init__(self, names: frozenset = _FROZEN, extra: frozenset = frozenset()):
        super().__init__()
        self.ops = 0
        self.hit: str | None = None
        # The torch functions called at the top level (the mode sees no inner call), named as
        # the student wrote them: for the instructor (``called``), not for any verdict.
        self.seen: set = set()
        # A frozen copy made from the frozen set bound when the module was made: code that
        # empties the public TORCH_FORBIDDEN set changes nothing here. ``extra``: names outside
        # the torch routines (autograd's, for an exercise whose gradient is derived by hand).
        self.names = frozenset(names) & _FROZEN
        self.extra = frozenset(extra)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.ops += 1
        try:
            self.seen.add(func)
        except TypeError:
            pass
        name = getattr(func, "__name__", "")
        if name.split(".")[0] in self.names or name.split(".")[0] in self.extra:
            self.flag(_display(func))
        return func(*args, **(kwargs or {}))

    def called(self) -> list[str]:
        """The public names of the torch functions seen, sorted; ``seen`` is emptied. Every
        reply carries all of its own (the grader keeps the union): a reply the grader never reads,
        such as a prefetched one past a divergence, then loses nothing of what later ones say."""
        seen, self.seen = self.seen, set()
        out = set()
        for func in seen:
            name = _PUBLIC_NAMES.get(func)
            if name is None:
                try:
                    name = ("" if getattr(func, "__name__", "") == "__get__"   # attribute reads
                            else _display(func))
                except BaseException:
                    continue
                if len(_PUBLIC_NAMES) < _PUBLIC_NAMES_MAX:
                    _PUBLIC_NAMES[func] = name
            if name:
                out.add(name)
        return sorted(out)

    def flag(self, what: str):
        if self.hit is None:
            self.hit = what
        raise Forbidden(what)


# The guard the wrappers of other libraries report to (one student call at a time per process).
_active: list[Guard] = []


def _wrap(module_name: str, attr: str, fn):
    @functools.wraps(fn)
    def refused(*args, **kwargs):
        if _active:
            _active[-1].flag(f"{module_name}.{attr}")
        return fn(*args, **kwargs)
    refused.__convkit_wrapped__ = True
    return refused


def _patch(module) -> None:
    for attr in OTHER_FORBIDDEN.get(module.__name__, []):
        fn = getattr(module, attr, None)
        if callable(fn) and not getattr(fn, "__convkit_wrapped__", False):
            try:
                setattr(module, attr, _wrap(module.__name__, attr, fn))
            except (AttributeError, TypeError):
                pass


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Wraps the routines of a listed module right after it is first imported."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in OTHER_FORBIDDEN:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(fullname, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                original = loader.exec_module

                def exec_module(module, _original=original):
                    _original(module)
                    _patch(module)
                loader.exec_module = exec_module
                return spec
        return None


def install() -> None:
    """Wrap other libraries' routines (already imported ones now, the rest on import). Idempotent."""
    if not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
    for name in OTHER_FORBIDDEN:
        if name in sys.modules:
            _patch(sys.modules[name])


class watching:
    """``with watching() as g:`` runs student code under a fresh Guard; ``categories`` (default:
    all) are the exercise's forbidden ones (``names_for``)."""

    def __init__(self, categories=None):
        self.names = _FROZEN if categories is None else names_for(categories)
        self.extra = AUTOGRAD if categories is not None and "autograd" in categories else frozenset()

    def __enter__(self) -> Guard:
        install()
        self.guard = Guard(self.names, self.extra)
        self.guard.__enter__()
        _active.append(self.guard)
        return self.guard

    def __exit__(self, *exc):
        if _active and _active[-1] is self.guard:
            _active.pop()
        self.guard.__exit__(*exc)
        return False
