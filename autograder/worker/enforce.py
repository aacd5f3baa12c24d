"""Forbidden routines refused below Python: at torch's dispatcher, by an audit hook, in numpy.

The ``guard`` (a ``TorchFunctionMode``) names the routine a student called, but it lives in Python
state the student's code can reach. This module is the floor under it, prepared in the zygote
(``prepare``) and completed in each worker before the first line of the submission (``activate``):

- **Allowlist at the autograd keys** (``_allowlist``, the list in ``allowlist``). A call from
  the student's code (Python, TorchScript, ``torch.ops``, a callback) enters the dispatcher at
  the tensor's autograd key; what an allowed op's kernel calls inside runs below it (``repeat``
  -> ``unfold``). Every operator outside the list gets a refusing kernel at every autograd key,
  every operator one at the ``Python`` key (dispatch modes and ``__torch_dispatch__`` tensors run
  below the autograd keys), and every way to skip those keys is taken away (``_no_skipping``).
- **Backend floor** (``_dispatcher``). The convolution, im2col and pooling ops (the categories)
  are also refused at every key where they have a kernel: no allowed kernel calls them.
- **Audit hook** (``sys.addaudithook``, which nothing can remove): refuses ctypes, ``gc`` walks,
  frame and code introspection, tracing and profiling hooks, new processes, writes to ``/proc``
  (``/proc/self/mem``), code objects built by hand, and another audit hook; importing a module
  that only serves to reach below Python (ctypes, cffi, scipy.signal...) raises ImportError.
- **torch and numpy entry points** that would undo the above or compute a forbidden routine
  elsewhere: new dispatcher libraries, torch's Python decompositions and references (every
  function, ``_no_decompositions``), numpy's C correlation functions; and, for an exercise whose
  gradient is derived by hand, autograd (``_no_autograd``).

A refusal is named in Python first where a guard is active (``_named_first``: the guard's
``Forbidden``, so a top-level cell is skipped and a call is answered "forbidden"; the refused
routine did not run, so catching it gains nothing). With the guard taken away, a violation
writes the routine's name to the *report* fd (a pipe whose read end only the zygote holds) and
ends the process at once with ``VIOLATION_EXIT``, decided in C. If the report fd was closed or
replaced, the exit status still says "forbidden"; only the routine's name is lost.

Everything this needs (``os._exit``, ``os.write``, the dispatcher library handles, the kernels
kept for the exempt calls) is held in closures of kernels only the dispatcher holds, or made
here; no refuser a student can reach holds an original.
"""
from __future__ import annotations

import os
import re
import sys
import warnings

VIOLATION_EXIT = 86     # the worker's exit status for "used a forbidden routine or tampered"

# Categories an exercise may forbid (``Exercise.forbidden``), each a pattern over aten op names.
# ``constant_pad_nd`` is its own category: ``torch.fft`` with ``s=`` pads through it inside C++,
# so it is forbidden below Python only where zero padding is the exercise (``pad2d``); everywhere
# the Python-level names (``F.pad``, ``torch.constant_pad_nd``) are refused by the guard.
CATEGORIES = {
    "convolution": r"conv(?!ert)|thnn_conv|slow_conv|_nnpack_spatial",
    "unfold": r"im2col|col2im|^unfold",
    "pool": r"pool",
    "padding": r"^pad$|^_pad_enum$|^_pad_circular$|reflection_pad|replication_pad",
    "constant_pad_nd": r"^constant_pad_nd$",
    # Automatic differentiation, for an exercise whose point is a gradient derived by hand. At
    # the dispatcher these are forward mode's ops; reverse mode has no op of its own, so
    # ``activate`` also takes away its entry points and stops autograd recording (``_no_autograd``).
    "autograd": r"^_make_dual|^_unpack_dual$|^_fw_primal",
}
DEFAULT = ("convolution", "unfold", "pool", "padding")

# Dispatch keys always covered besides those where an op has a kernel: routes such as excluding
# the backend key or running under autograd must land on our kernel, not on a missing one.
_ALWAYS_KEYS = ("CompositeImplicitAutograd", "CPU", "CUDA", "Autograd", "AutogradCPU",
                "AutogradCUDA")

# Audit events refused outright (after ``install``; during loading and during requests alike).
# Measured on an honest grade: the worker's own traceback reads ``tb_frame`` and ``f_code``,
# ``collections.namedtuple`` and torch call ``sys._getframe``; those stay allowed. Frames give
# no way past the dispatcher (its kernels and their closures are reachable from no frame), so
# they are not the floor; what is refused is what reaches below Python or hides from it.
_REFUSED_EVENTS = {
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
    "sys._current_exceptions", "sys.settrace", "sys.setprofile", "sys.addaudithook",
    "code.__new__", "function.__new__", "mmap.__new__",
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "pty.spawn", "cpython.run_command", "cpython.run_file",
    "cpython.PyInterpreterState_New", "_xxsubinterpreters.create", "setopencodehook",
    "cpython._PySys_ClearAuditHooks", "socket.__new__", "socket.bind", "socket.connect",
    "sys.remote_exec",
}
_REFUSED_PREFIXES = ("ctypes.", "_ctypes")
# Generator and coroutine frames: no honest exercise reads them.
_FRAME_ATTRS = {"gi_frame", "cr_frame", "ag_frame"}
# Re-running the source of a module that implements forbidden ops in Python (``importlib.reload``,
# ``spec.loader.exec_module``) would bring back what ``_replace_entry_points`` took away.
_SOURCES = ("/torch/_decomp/", "/torch/_refs/", "/torch/_prims", "/torch/_inductor/decomp",
            "/torch/nn/functional.py", "/numpy/_core/numeric.py", "/numpy/_core/multiarray.py",
            "/numpy/core/", "/numpy/lib/_arraypad", "/numpy/lib/_stride_tricks")
# Modules a submission may not import (they only exist to reach below Python or to compute a
# forbidden routine elsewhere).
_REFUSED_IMPORTS = re.compile(
    r"^(ctypes|_ctypes|gc|cffi|_cffi_backend|mmap|_posixsubprocess|subprocess|multiprocessing|"
    r"_xxsubinterpreters|_testcapi|_testinternalcapi|pickle|_pickle|dill|"
    r"scipy\.(signal|ndimage)|scipy\._lib|numpy\._core\._multiarray_umath)(\.|$)")
# Python decompositions and references torch keeps for forbidden ops, replaced by refusers.
_DECOMP_MODULES = ("torch._decomp.decompositions", "torch._refs.nn.functional", "torch._refs",
                   "torch._decomp", "torch._prims_common", "torch._meta_registrations")
# numpy's C entry points for correlation and convolution.
_NUMPY = {"numpy._core.multiarray": ("correlate", "correlate2"),
          "numpy._core._multiarray_umath": ("correlate", "correlate2"),
          "numpy.core.multiarray": ("correlate", "correlate2"),
          "numpy._core.numeric": ("correlate", "convolve"),
          "numpy.core.numeric": ("correlate", "convolve"),
          "numpy": ("correlate", "convolve", "pad"),
          "numpy.lib._arraypad_impl": ("pad",),
          "numpy.lib.stride_tricks": ("sliding_window_view",),
          "numpy.lib._stride_tricks_impl": ("sliding_window_view",)}
# Namespaces whose kernels a submission may not replace (a custom op of the student's own is
# harmless: whatever it calls meets the same kernels).
_RESERVED_NS = {"aten", "prim", "prims", "quantized", "_quantized", "mkldnn", "_caffe2", "_c10d",
                "profiler", "_test", "cudnn", "mkl", "xnnpack", "onednn"}


# Namespaces of torch's own operators (``quantized::conv2d`` is a convolution too).
_FORBIDDEN_NS = {"aten", "prims", "quantized", "_quantized", "mkldnn", "mkldnn_prepacked",
                 "onednn", "xnnpack", "_caffe2", "cudnn", "miopen", "vulkan_prepack", "prepacked"}


def forbidden_ops(categories) -> list[str]:
    """Every aten op name (``aten::name.overload``) of the given categories that torch has."""
    import torch
    pats = [re.compile(CATEGORIES[c]) for c in categories if c in CATEGORIES]
    out = []
    for full in torch._C._dispatch_get_all_op_names():
        ns, _, rest = full.partition("::")
        if ns not in _FORBIDDEN_NS:
            continue
        base = rest.split(".")[0]
        if base == "_pad_packed_sequence":
            continue
        if any(p.search(base) for p in pats):
            out.append(full)
    return sorted(out)


REPORT_FD = 250          # the worker's end of the report pipe (see ``zygote``)
_pending: list = []      # the zygote's registrar for per-exercise extras, popped by the worker


def _make_violation():
    """A fresh reporter: names the routine on the report fd, then ends the process in C.

    Each user (dispatcher kernels, module refusers, the audit hook) gets its own, so reaching one
    through an object a student can see (a refuser's ``__closure__``) changes none of the others;
    the dispatcher's copy is held only by the dispatcher."""
    _exit, _write, _encode, fd = os._exit, os.write, str.encode, REPORT_FD

    def violation(what):
        try:
            _write(fd, _encode(str(what)[:200] + "\n", "utf-8", "replace"))
        except BaseException:
            pass
        _exit(VIOLATION_EXIT)
        raise SystemExit(VIOLATION_EXIT)      # only if _exit was tampered with: still no result
    return violation


def prepare(categories=DEFAULT) -> None:
    """In the zygote, before any fork: the kernels and refusers every worker inherits (about
    1 s, paid once instead of per worker). The zygote itself never calls a forbidden routine.

    Where ``categories`` is not empty (every exercise but those about composing nn layers), the
    allowlist (``allowlist``) is the rule: every operator outside it is refused at the autograd
    keys, where the student's calls enter and an allowed kernel's inner calls do not pass."""
    import torch
    import torch._decomp.decompositions  # noqa: F401  (imported now: refused once replaced)
    import torch._refs.nn.functional  # noqa: F401
    original = torch._C._dispatch_library
    covered = set(_dispatcher(torch, original, categories, _make_violation()))
    allow = None
    if categories:
        allow = _allowlist(torch, original, _make_violation())
        _no_skipping(torch, _make_violation())
        _no_decompositions(torch, _make_violation())
    _replace_entry_points(torch, categories, _make_violation())

    def extra(more, allows=(), _allow=allow):
        if more:
            _dispatcher(torch, original, more, _make_violation(), skip=covered)
        if allows and _allow is not None:
            _allow(allows)
    _pending.append(extra)
    _find_grad_setters(torch)


def activate(categories=DEFAULT) -> None:
    """In the worker, after the fork and before the submission's first line: the exercise's
    extra categories at the dispatcher (``constant_pad_nd`` for ``pad2d``) and the audit hook."""
    extra = _pending.pop() if _pending else None
    # ``+name`` entries: operators this exercise allows beyond the allowlist (``Exercise.allows``).
    allows = tuple(c[1:] for c in categories if c.startswith("+"))
    more = tuple(c for c in set(categories) - set(DEFAULT) if not c.startswith("+"))
    if extra is not None and (more or allows):
        extra(more, allows)
    del extra
    if "autograd" in categories:
        _no_autograd(_make_violation())
    _audit(_make_violation())


# ---------------------------------------------------------------------------------- dispatcher
# Forbidden ops that allowed kernels call inside (``repeat`` -> ``unfold``, ``fft`` with ``s=`` ->
# ``constant_pad_nd``): refused where the student's calls enter (the allowlist), not at the
# backend keys, except ``constant_pad_nd`` in the exercise whose point is padding.
_ENTRY_ONLY = {"aten::unfold", "aten::constant_pad_nd"}
# Where a forbidden op's kernels can be (checking all ~150 keys cost a second per zygote).
_BACKEND_KEYS = ("CPU", "CUDA", "Meta", "SparseCPU", "SparseCUDA", "SparseCsrCPU", "SparseCsrCUDA",
                 "MkldnnCPU", "QuantizedCPU", "QuantizedCUDA", "NestedTensorCPU",
                 "NestedTensorCUDA", "CompositeExplicitAutograd",
                 "CompositeExplicitAutogradNonFunctional", "CompositeImplicitAutograd",
                 "CompositeImplicitAutogradNestedTensor", "AutogradOther", "AutogradNestedTensor",
                 "AutogradCPU", "AutogradCUDA", "Autograd", "Python", "FuncTorchBatched",
                 "Functionalize", "ZeroTensor", "Conjugate", "Negative")
def _dispatcher(torch, make_library, categories, violation, skip=()) -> list[str]:
    C = torch._C
    keys = [k for k in _BACKEND_KEYS if k in C.DispatchKey.__members__]
    libs: dict = {}
    has = C._dispatch_has_kernel_for_dispatch_key
    done = []
    for full in forbidden_ops(categories):
        if full in skip or (full.split(".")[0] in _ENTRY_ONLY and "constant_pad_nd" not in
                            categories):
            continue
        ns, name = full.split("::", 1)
        lib = libs.get(ns)
        if lib is None:
            lib = libs[ns] = make_library("IMPL", ns, "", "<convkit>", 0)
        shown = ("torch.ops." + ns + "." + name.split(".")[0])

        # The kernel holds the library: the dispatcher holds the kernel (a reference Python's
        # collector cannot see), so the library lives as long as the process, reachable from
        # nothing a student can name.
        def refuse(*args, _shown=shown, _lib=lib, **kwargs):
            violation(_shown)

        wanted = [k for k in keys if _has(has, full, k)]
        for k in _ALWAYS_KEYS:
            if k not in wanted:
                wanted.append(k)
        with warnings.catch_warnings():     # "overriding a previously registered kernel": yes
            warnings.simplefilter("ignore")
            for k in wanted:
                try:
                    lib.impl(name, k, refuse, False)
                except RuntimeError:
                    pass
        done.append(full)
    return done


def _has(has, full, key) -> bool:
    try:
        return bool(has(full, key))
    except (RuntimeError, TypeError):
        return False


# ---------------------------------------------------------------------------------- allowlist
# The runtime autograd keys a call can enter at (the ``Autograd`` alias covers them all for an op
# with an autograd kernel; a CompositeImplicitAutograd op's own kernel wins over the alias, so
# those get a kernel at each runtime key too).
_AUTOGRAD_KEYS = ("AutogradCPU", "AutogradCUDA", "AutogradOther", "AutogradNestedTensor",
                  "AutogradMeta")


def _allowlist(torch, make_library, violation):
    """Every operator outside ``allowlist.allowed_ops`` gets a refusing kernel at every autograd
    key, and every operator one at the ``Python`` key (a ``TorchDispatchMode`` or a
    ``__torch_dispatch__`` subclass runs below the autograd keys, where its calls would skip them).

    Two kinds of call pass the autograd keys without being the student's: the inner calls of an
    allowed op that decomposes above them (``allowlist.COMPOSITES``: ``fft`` with ``s=`` pads with
    ``constant_pad_nd``), which are marked while that op runs, and the backward formulas torch's
    engine runs for the grader (``_current_graph_task_id``). Both run the op's own kernel, kept
    from before the refusal; nothing of it is reachable from Python."""
    from . import allowlist
    C = torch._C
    K = C.DispatchKey
    allowed = allowlist.allowed_ops(torch)
    computed = C._dispatch_get_computed_kernel_for_dispatch_key
    in_backward = C._current_graph_task_id
    own_keys = {getattr(K, k): k for k in ("AutogradCPU", "AutogradCUDA")}
    depth = [0]              # > 0 while an allowed composite's own kernel runs
    allowed_here: set = set()   # an exercise's own extras (``allow``, after the fork)
    violation = _named_first(violation)
    libs: dict = {}

    def library(ns):
        lib = libs.get(ns)
        if lib is None:
            lib = libs[ns] = make_library("IMPL", ns, "", "<convkit>", 0)
        return lib

    def originals(full):
        out = {}
        for key, name in own_keys.items():
            try:
                out[key] = computed(full, name).call_boxed
            except (RuntimeError, TypeError, AttributeError):
                pass
        return out

    def refusing(full, shown, lib):
        kernels = originals(full)

        def refuse(keyset, *args, _lib=lib, **kwargs):
            if depth[0] > 0 or in_backward() != -1 or full in allowed_here:
                own = kernels.get(keyset.highestPriorityTypeId())
                if own is not None:
                    return own(keyset, *args, **kwargs)
            violation(shown)
        return refuse

    def marking(full, lib):
        kernels = originals(full)

        def mark(keyset, *args, _lib=lib, **kwargs):
            own = kernels.get(keyset.highestPriorityTypeId())
            if own is None:
                violation(f"torch.ops.{full.replace('::', '.')} on this kind of tensor")
            depth[0] += 1
            try:
                return own(keyset, *args, **kwargs)
            finally:
                depth[0] -= 1
        return mark

    def dispatch_refused(*args, _lib=None, **kwargs):
        violation("a TorchDispatchMode or __torch_dispatch__ tensor (it runs below the checks)")

    with warnings.catch_warnings():       # "overriding a previously registered kernel": yes
        warnings.simplefilter("ignore")
        for full in C._dispatch_get_all_op_names():
            ns, name = full.split("::", 1)
            lib = library(ns)
            try:
                lib.impl(name, "Python", dispatch_refused, False)
            except RuntimeError:
                pass
            if full in allowed:
                if allowlist.composite(full):
                    fn = marking(full, lib)
                    for key in own_keys.values():
                        _impl(lib, name, fn, key)
                continue
            shown = "torch.ops." + ns + "." + name.split(".")[0]
            fn = refusing(full, shown, lib)
            for key in ("Autograd",) + _AUTOGRAD_KEYS:
                _impl(lib, name, fn, key)

    def allow(bases):
        """In a worker: the exercise's extra operators (base names), every overload."""
        wanted = set(bases)
        allowed_here.update(f for f in C._dispatch_get_all_op_names()
                            if f.startswith("aten::") and allowlist.base(f) in wanted)
    return allow


# Ways to call a kernel below the autograd keys, or to make the dispatcher skip them: refused
# wherever the allowlist applies (no honest exercise needs one). ``torch.inference_mode`` and the
# tensors made under it go through ``_InferenceMode``.
_SKIPPING = ("_InferenceMode", "_ExcludeDispatchKeyGuard", "ExcludeDispatchKeyGuard",
             "_AutoDispatchBelowAutograd", "_AutoDispatchBelowADInplaceOrView",
             "_ForceDispatchKeyGuard", "_IncludeDispatchKeyGuard", "_SetExcludeDispatchKeyGuard",
             "_dispatch_tls_set_dispatch_key_excluded", "_dispatch_tls_set_dispatch_key_included",
             "_dispatch_call_boxed", "_dispatch_get_computed_kernel_for_dispatch_key",
             "_EnablePythonDispatcher", "_set_dispatch_mode", "_push_on_torch_dispatch_stack")
_SKIPPING_METHODS = {"_DispatchOperatorHandle": ("redispatch_boxed",),
                     "_SafeKernelFunction": ("call_boxed",)}


def _no_skipping(torch, violation) -> None:
    """Take away every Python entry point of ``_SKIPPING`` (under every name a loaded module
    holds it by), the redispatch methods, and the call-at-a-dispatch-key function every
    ``OpOverload`` carries (``_op_dk``, which ``decompose`` uses)."""
    import torch._ops as ops
    C = torch._C
    targets = {}
    for name in _SKIPPING:
        value = getattr(C, name, None)
        if value is not None:
            targets[id(value)] = (value, _refuser(f"torch._C.{name}", violation))
    for mod in list(sys.modules.values()):
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict) or not (getattr(mod, "__name__", "") or "").startswith("torch"):
            continue
        for attr, value in list(d.items()):
            hit = targets.get(id(value))
            if hit is not None and hit[0] is value:
                d[attr] = hit[1]
    for cls, methods in _SKIPPING_METHODS.items():
        for m in methods:
            try:
                setattr(getattr(C, cls), m, _refuser(f"torch._C.{cls}.{m}", violation))
            except (AttributeError, TypeError):
                pass
    at_key = _refuser("calling an operator at a chosen dispatch key (OpOverload._op_dk)", violation)
    for m in ("redispatch", "decompose"):
        setattr(ops.OpOverload, m, _refuser(f"OpOverload.{m}", violation))
    # Every overload made now (they are made lazily, by ``_get_operation_overload``, which hands
    # out the function and is then refused), each without its ``_op_dk``.
    for full in C._dispatch_get_all_op_names():
        ns, name = full.split("::", 1)
        op, _, overload = name.partition(".")
        try:
            ov = getattr(getattr(getattr(torch.ops, ns), op), overload or "default")
        except (AttributeError, RuntimeError):
            continue
        if isinstance(ov, ops.OpOverload):
            ov._op_dk = at_key
    C._get_operation_overload = _refuser("torch._C._get_operation_overload", violation)


# torch's Python decompositions and references: each is built from allowed ops (the im2col index
# builder, the reflection-padding engine, the max-pool core are indexing and arithmetic), so the
# allowlist cannot see them; no honest eager code calls them. Every function these modules define
# or hold in a table is replaced, whatever it is named (a module's global ``F`` swapped to steer
# a helper around a refused op then reaches a refuser).
_PRIVATE_PYTHON = ("torch._decomp", "torch._refs", "torch._prims", "torch._prims_common",
                   "torch._meta_registrations")


def _no_decompositions(torch, violation) -> None:
    import types
    refused = _refuser("torch's Python decompositions (torch._decomp, torch._refs, "
                       "torch._prims)", violation)
    mine = tuple(p + "." for p in _PRIVATE_PYTHON) + _PRIVATE_PYTHON

    def ours(value):
        return isinstance(value, (types.FunctionType, types.MethodType)) or (
            callable(value) and str(getattr(value, "__module__", "") or "").startswith(mine))
    for name, mod in list(sys.modules.items()):
        if not (name in _PRIVATE_PYTHON or name.startswith(mine)):
            continue
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict):
            continue
        for attr, value in list(d.items()):
            if isinstance(value, type) or attr.startswith("__"):
                continue
            if ours(value) and str(getattr(value, "__module__", "") or "").startswith(mine):
                d[attr] = refused
            elif isinstance(value, dict):
                for key in [k for k, v in list(value.items()) if callable(v) and ours(v)]:
                    value[key] = refused
    # Python kernels attached to operators (``py_impl``), used only under the Python dispatcher.
    import torch._ops as ops
    for namespace in list(vars(torch.ops).values()):
        for packet in list(getattr(namespace, "__dict__", {}).values()):
            for ov in list(getattr(packet, "__dict__", {}).values()):
                if isinstance(ov, ops.OpOverload) and isinstance(ov.py_kernels, dict):
                    ov.py_kernels.clear()


def _impl(lib, name, fn, key) -> None:
    try:
        lib.impl(name, key, fn, True)
    except RuntimeError:
        pass


# ---------------------------------------------------------------------------------- entry points
def _refuser(what, violation):
    flag = _named_first(violation)

    def refused(*args, **kwargs):
        flag(what)
    refused.__convkit_wrapped__ = True
    return refused


def _named_first(violation):
    """``violation``, preceded by the guard's ``Forbidden`` where a guard is active: a notebook
    cell that calls a refused routine at the top level is then skipped, not fatal, and a call
    is answered "forbidden" with the name. Catching it gains nothing (the routine did not run,
    and the guard remembers the hit); with the guard taken away, the violation ends the
    process."""
    from . import guard
    active = guard._active

    def flag(what):
        if active:
            active[-1].flag(what)
        violation(what)
    return flag


def _replace_entry_points(torch, categories, violation) -> None:
    C = torch._C
    original = C._dispatch_library

    if categories:
        # Wherever the allowlist applies, every new library (a custom op's kernel runs below the
        # autograd keys, where its calls would skip the allowlist); the refuser holds nothing.
        C._dispatch_library = _refuser("torch.library.Library (a new operator or kernel)",
                                       violation)
    else:
        # A zygote whose exercises forbid nothing (composing nn layers): only torch's own
        # namespaces are closed.
        def dispatch_library(kind, ns, *rest, _original=original,
                             _reserved=frozenset(_RESERVED_NS)):
            if str(ns) in _reserved or str(ns).startswith("aten"):
                violation(f"torch.library.Library({ns!r}, {kind!r})")
            return _original(kind, ns, *rest)
        C._dispatch_library = dispatch_library
    # Python-level references (decompositions, refs) are swept for every category, padding
    # included: they are entry points a student calls, not what an allowed routine does inside.
    categories = tuple(categories) + ("constant_pad_nd",)
    # Python decompositions of forbidden ops compute them from allowed ones (torch._decomp's
    # im2col is pure indexing): take them out of every table and module that holds them.
    names = {full.split("::", 1)[1].split(".")[0] for full in forbidden_ops(categories)}
    for modname in _DECOMP_MODULES:
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            if attr.lstrip("_") in names and callable(value):
                try:
                    setattr(mod, attr, _refuser(f"{modname}.{attr}", violation))
                except (AttributeError, TypeError):
                    pass
            elif isinstance(value, dict) and attr.endswith("table"):
                for op in [op for op in value if _op_base(op) in names]:
                    value[op] = _refuser(f"torch._decomp ({_op_base(op)})", violation)
    for base in names:
        packet = getattr(torch.ops.aten, base, None)
        for ov in (getattr(packet, o, None) for o in getattr(packet, "overloads", lambda: [])()):
            table = getattr(ov, "py_kernels", None)
            if isinstance(table, dict):
                table.clear()
    # numpy's C-level correlation (what numpy.correlate/convolve call), under every alias.
    originals: dict = {}
    for modname, attrs in _NUMPY.items():
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for attr in attrs:
            if hasattr(mod, attr):
                value = getattr(mod, attr)
                refuser = _refuser(f"{modname}.{attr}", violation)
                originals.setdefault(id(value), (value, refuser))
                try:
                    setattr(mod, attr, refuser)
                except (AttributeError, TypeError):
                    pass
    _sweep(originals)


def _sweep(originals: dict) -> None:
    """Every other name a loaded module holds one of ``originals`` by (``numpy._core.umath``
    re-exports ``correlate2``) now holds its refuser: a refuser's ``__globals__`` lead to
    ``sys.modules``, and from there to nothing that computes what it refuses."""
    refusers = {id(r) for _, r in originals.values()}
    for mod in list(sys.modules.values()):
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict):
            continue
        for attr, value in list(d.items()):
            hit = originals.get(id(value))
            if hit is not None and hit[0] is value and id(value) not in refusers:
                d[attr] = hit[1]


def _op_base(op) -> str:
    name = getattr(op, "__name__", None) or str(op)
    return name.split(".")[0].replace("aten::", "")


# ---------------------------------------------------------------------------------- autograd
# Python entry points of automatic differentiation, by module: refused by name, so the message
# names what the student wrote (``torch.func.vjp`` calls ``torch.autograd.grad`` inside).
_AUTOGRAD_ENTRIES = {
    "torch.autograd": ("backward", "grad"),
    "torch.autograd.functional": ("vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"),
    "torch.autograd.forward_ad": ("make_dual", "unpack_dual"),
    "torch.func": ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
                   "linearize"),
    "torch._functorch.eager_transforms": ("grad", "grad_and_value", "vjp", "jvp", "jacrev",
                                          "jacfwd", "hessian", "linearize", "_autograd_grad"),
    "torch._functorch.apis": ("grad", "grad_and_value"),
    "functorch": ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"),
    # The C entry points under them: the reverse-mode engine, functorch's transform levels, and
    # the dispatch-key TLS setters that could turn recording back on.
    "torch._C": ("_ImperativeEngine", "_EngineBase", "_ForceDispatchKeyGuard",
                 "_SetExcludeDispatchKeyGuard", "_dispatch_tls_set_dispatch_key_excluded"),
    "torch._C._functorch": ("_grad_increment_nesting", "_jvp_increment_nesting",
                            "_wrap_for_grad"),
}


# Where torch's modules hold grad mode's setter, found in the zygote (``prepare``): walking the
# ~30,000 names of torch's modules costs ~7 ms where they were made, but ~40 ms in a fresh fork,
# where every object read is a copy-on-write page fault (its reference count is written).
_SETTER_HOLDERS: list = []          # (module's __dict__, name)
_WALKED: set = set()                # the modules walked


def _holders(torch, modules) -> list:
    target = torch._C._set_grad_enabled
    found = []
    for mod in modules:
        d = getattr(mod, "__dict__", None)
        if isinstance(d, dict) and (getattr(mod, "__name__", "") or "").startswith("torch"):
            found += [(d, attr) for attr, value in list(d.items()) if value is target]
    return found


def _find_grad_setters(torch) -> None:
    mods = list(sys.modules.values())
    _SETTER_HOLDERS[:] = _holders(torch, mods)
    _WALKED.clear()
    _WALKED.update(id(m) for m in mods)


def _grad_setters(torch) -> list:
    """Every (module __dict__, name) holding grad mode's setter: those the zygote found, and
    any in a torch module imported since (the rest of the walk, done now)."""
    new = [m for m in list(sys.modules.values()) if id(m) not in _WALKED]
    return [(d, a) for d, a in _SETTER_HOLDERS if d.get(a) is torch._C._set_grad_enabled] + \
        _holders(torch, new)


def _no_autograd(violation) -> None:
    """No automatic differentiation in this worker (its exercise is a gradient by hand).

    Three layers: the entry points above, refused by name (in Python, through the guard first, so
    a notebook cell that runs ``gradcheck`` at top level is skipped, not fatal; then the
    violation, which ends the process); the engine object every reverse pass goes through
    (``Variable._execution_engine``), replaced by a refuser; and autograd recording switched off
    for the process (grad mode off in the thread's C state, its setter made to leave it off; the
    worker has no other thread), so even the engine's C type reached some other way finds no
    graph to run, nested tensors and functorch's transforms included. Forward mode needs
    ``_make_dual``, outside the allowlist. The grader asks this worker for no gradients."""
    import torch
    from . import guard
    active = guard._active

    def refuser(what):
        def refused(*args, **kwargs):
            if active:                      # named in Python first (a cell is then skipped)
                active[-1].flag(what)
            violation(what)
        refused.__convkit_wrapped__ = True
        return refused

    # Recording off for the process: grad mode off, in the thread's C state, and the setter
    # (``torch.enable_grad``, ``set_grad_enabled``, under any name a module holds it by) made to
    # leave it off. Not by excluding the autograd keys: the allowlist's refusals live there.
    # Asking for it back is not an offence (the next call names the autograd routine, if any).
    C = torch._C
    C._set_grad_enabled(False)

    def set_grad_enabled(mode):
        """Grad mode stays off in this worker."""
    for d, attr in _grad_setters(torch):
        d[attr] = set_grad_enabled
    for name in ("_enter_dual_level", "_set_fwd_grad_enabled"):
        if hasattr(C, name):
            setattr(C, name, refuser(f"torch._C.{name} (forward-mode autograd)"))
    import torch.autograd.forward_ad  # noqa: F401  (imported now, so replaced now)
    import torch.autograd.functional  # noqa: F401
    import torch.func  # noqa: F401
    for modname, attrs in _AUTOGRAD_ENTRIES.items():
        mod = sys.modules.get(modname)
        for attr in attrs if mod is not None else ():
            if hasattr(mod, attr):
                shown = "torch.autograd.grad (inside torch.func)" if attr == "_autograd_grad" \
                    else f"{modname}.{attr}"
                try:
                    setattr(mod, attr, refuser(shown))
                except (AttributeError, TypeError):
                    pass
    torch.Tensor.backward = refuser("Tensor.backward")

    class _Engine:
        """What ``torch.autograd.backward``/``grad`` call into: refuses every method."""
        def __getattr__(self, name, _refused=refuser("the autograd engine (backward pass)")):
            return _refused
    torch.autograd.variable.Variable._execution_engine = _Engine()


# ---------------------------------------------------------------------------------- audit hook
def _audit(violation) -> None:
    refused, prefixes, frame_attrs = frozenset(_REFUSED_EVENTS), _REFUSED_PREFIXES, frozenset(
        _FRAME_ATTRS)
    imports, sources = _REFUSED_IMPORTS, _SOURCES
    modules = sys.modules
    startswith = str.startswith

    def hook(event, args):
        if event in refused or startswith(event, prefixes):
            violation(event)
        elif event == "object.__getattr__":
            if len(args) > 1 and args[1] in frame_attrs:
                violation(f"{event}({args[1]})")
        elif event == "import":
            name = args[0] if args else ""
            if isinstance(name, str) and imports.match(name) and name not in modules:
                # Refused, not a violation: nothing ran yet, and a notebook that imports
                # scipy.signal at top level for a comparison loses that cell, not everything.
                raise ImportError(f"importing {name} is not allowed in graded code")
        elif event == "exec":
            code = args[0] if args else None
            filename = getattr(code, "co_filename", "")
            if isinstance(filename, str) and any(part in filename for part in sources):
                violation(f"re-running {filename.rsplit('/site-packages/', 1)[-1]}")
        elif event == "open":
            path, mode = (args + (None, None))[:2]
            if isinstance(path, (bytes, bytearray)):
                path = bytes(path).decode("utf-8", "replace")
            if isinstance(path, str) and _proc_danger(path, mode):
                violation(f"open({path})")

    sys.addaudithook(hook)


def _proc_danger(path: str, mode) -> bool:
    """Writing anything under /proc, or reading a process's memory, maps or pagemap."""
    if not path.startswith("/proc/") and not path.startswith("/dev/mem"):
        return False
    writing = isinstance(mode, str) and any(c in mode for c in "wa+x") or (
        isinstance(mode, int) and mode & (os.O_WRONLY | os.O_RDWR))
    leaf = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(writing) or leaf in ("mem", "pagemap", "map_files", "kcore", "syscall", "environ")
