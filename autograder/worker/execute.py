"""Answer one request of the grader by running the student's code.

A request names one thing the student defined and says what to do with it:

- ``{"op": "call", "name", "args", "kwargs", "device", "grad", "return_inputs"}``: call a function.
  ``grad = {"wrt": [argument indices], "out": upstream gradient}`` also runs a backward pass.
- ``{"op": "module", "name", "init", "device", "steps"}``: build ``name(*init)`` (an ``nn.Module``),
  describe its parameters, then run ``steps``: ``{"set": {attr: tensor}}`` overwrites a parameter's
  data in place (as the grader promises students), ``{"call": [args], "grad": {...}}`` calls it,
  ``{"trace": [args]}`` calls it with a forward hook on each child and records every child's
  output shape in call order. ``"describe": true`` adds the module as data (``describe_module``):
  ``name`` may be a class or a function that returns an ``nn.Module`` (an ``nn.Sequential``).

Either op may also carry ``"seed"`` (``torch.manual_seed`` right before the student's code runs:
training with a random initialisation is then the same on every run), and a call ``"nets"``:
``{argument index: description}``, a standard ``torch.nn`` network the worker builds from data
(``build_module``) and passes in that argument, with ``"return_nets": true`` to get those networks
back, described, as the call left them. Nothing but torch.nn's own layer classes is ever built,
and nothing crosses the wire but data (``wire``): the grader never runs or unpickles an object
the student made.

Replies are plain data (see ``wire``); student exceptions become ``{"error": ...}`` with only the
student's own traceback lines; a forbidden routine becomes ``{"forbidden": name}``.
"""
from __future__ import annotations

import signal
import threading
import time
import traceback

import torch

from . import guard

STUDENT_FILES_PREFIX = "<"   # student code is compiled with file names like "<cell 3>"


def exact_float32(device: str) -> None:
    """On CUDA, matmul and cuDNN use TF32 by default (10-bit mantissa): a correct float32 answer
    would miss the contract's error bound. Ask for IEEE float32 (the newer API only; never mix
    it with the legacy allow_tf32 flags)."""
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cudnn.conv.fp32_precision = "ieee"


def _to_device(v, device):
    if isinstance(v, torch.Tensor):
        return v.to(device)
    if isinstance(v, tuple):
        return tuple(_to_device(x, device) for x in v)
    if isinstance(v, list):
        return [_to_device(x, device) for x in v]
    return v


def _student_trace(exc: BaseException) -> str:
    """The traceback lines that point into the student's code, and the exception line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(STUDENT_FILES_PREFIX)]
    lines = traceback.format_list(frames[-6:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-3000:]


def error_reply(exc: BaseException) -> dict:
    try:
        message = str(exc)[:500]
    except BaseException:
        message = ""
    return {"error": {"type": type(exc).__name__, "message": message, "trace": _student_trace(exc)}}


def _describe(value):
    """What the student returned, with the facts the checks need about a tensor result."""
    if isinstance(value, torch.Tensor):
        exact = type(value) in (torch.Tensor, torch.nn.Parameter)
        return {"value": value.detach() if exact else None,
                "type": type(value).__module__ + "." + type(value).__qualname__,
                "device": str(value.device), "requires_grad": bool(value.requires_grad),
                "grad_fn": value.grad_fn is not None}
    return {"value": value, "type": type(value).__module__ + "." + type(value).__qualname__}


def _grads(result, leaves, upstream):
    if not isinstance(result, torch.Tensor) or not result.requires_grad:
        return None
    if upstream is None or upstream.shape != result.shape:
        return None
    got = torch.autograd.grad(result, leaves, grad_outputs=upstream.to(result.device, result.dtype),
                              allow_unused=True)
    return [g.detach() if g is not None else None for g in got]


# ---- networks as data ------------------------------------------------------------------------
# Hyper-parameters are a layer's ``__constants__`` (torch.nn's own list of them), where JSON can
# carry them.
def _plain(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (tuple, list)) and all(isinstance(x, (bool, int, float, str)) for x in v):
        return list(v)
    return None


def describe_module(m, depth: int = 0) -> dict:
    """An ``nn.Module`` as plain data: its type, hyper-parameters, own parameters and buffers
    (tensors), parameter count and, in order, its children described the same way."""
    cls = type(m)
    out = {"type": cls.__module__ + "." + cls.__qualname__, "class": cls.__name__,
           "torch_nn": cls.__module__.startswith("torch.nn.") and getattr(torch.nn, cls.__name__, None) is cls,
           "hparams": {}, "params": {}, "numel": 0, "children": [], "training": bool(m.training)}
    for k in getattr(cls, "__constants__", ()) or ():
        v = _plain(getattr(m, k, None))
        if v is not None or getattr(m, k, 1) is None:
            out["hparams"][str(k)] = v
    for n, p in m.named_parameters(recurse=False):
        out["params"][n] = p.detach()
    out["numel"] = sum(p.numel() for p in m.parameters())
    if depth < 8:
        out["children"] = [dict(describe_module(c, depth + 1), name=str(n)) for n, c in m.named_children()]
    return out


def build_module(spec: dict, device: str = "cpu"):
    """``nn.Sequential`` of torch.nn layers from ``spec = {"layers": [{"type": "Conv2d", "args":
    [...], "kwargs": {...}}, ...], "state": {key: tensor}}``; the grader's own network for a call
    that takes one. Only classes torch.nn itself defines are built."""
    layers = []
    for layer in spec.get("layers", []):
        cls = getattr(torch.nn, str(layer.get("type")), None)
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
                and cls.__module__.startswith("torch.nn.")):
            raise ValueError(f"not a torch.nn layer: {layer.get('type')!r}")
        layers.append(cls(*layer.get("args", []), **layer.get("kwargs", {})))
    net = torch.nn.Sequential(*layers)
    state = spec.get("state")
    if state:
        net = net.to(next(iter(state.values())).dtype)
        net.load_state_dict(state)
    return net.to(device)


def _call(namespace, req, g: guard.Guard):
    fn = namespace[req["name"]]
    device = req.get("device", "cpu")
    args = _to_device(list(req.get("args", [])), device)
    kwargs = _to_device(dict(req.get("kwargs", {})), device)
    nets = {int(i): spec for i, spec in (req.get("nets") or {}).items()}
    for i, spec in nets.items():
        args[i] = build_module(spec, device)
    grad = req.get("grad")
    leaves = _grad_leaves(args, grad)
    _seed(req)
    g.seen = set()
    result = fn(*args, **kwargs)
    called = g.called()
    reply = _describe(result)
    reply["called"] = called
    if req.get("return_nets"):
        reply["nets"] = {str(i): describe_module(args[i]) for i in nets}
    if grad:
        reply["grads"] = _grads(result, leaves, _to_device(grad.get("out"), device))
    if req.get("return_inputs"):     # the inputs as they are after the call (modified in place?)
        reply["inputs"] = [a.detach() if isinstance(a, torch.Tensor) else None for a in args]
    return reply


def _grad_leaves(args: list, grad: dict | None) -> list:
    """Make the arguments named in ``grad["wrt"]`` fresh leaves that require grad."""
    leaves = []
    for i in (grad or {}).get("wrt", []):
        args[i] = args[i].detach().requires_grad_(True)
        leaves.append(args[i])
    return leaves


def _module(namespace, req, g: guard.Guard):
    cls = namespace[req["name"]]
    device = req.get("device", "cpu")
    _seed(req)
    g.seen = set()
    module = cls(*req.get("init", []))
    called = set(g.called())
    params = [{"name": n, "shape": list(p.shape), "dtype": str(p.dtype).replace("torch.", "")}
              for n, p in module.named_parameters()] if isinstance(module, torch.nn.Module) else None
    attrs = {}
    for attr in ("weight", "bias"):
        v = getattr(module, attr, None)
        attrs[attr] = None if v is None else type(v).__module__ + "." + type(v).__qualname__
    results = []
    described = None
    if req.get("describe"):
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"{req['name']}(...) returned a {type(module).__name__}, not an nn.Module")
        described = describe_module(module)
    for step in req.get("steps", []):
        if "trace" in step:
            results.append(_trace(module, _to_device(list(step["trace"]), device)))
            continue
        if "set" in step:
            for attr, value in step["set"].items():
                target = getattr(module, attr, None)
                if not isinstance(target, torch.Tensor):
                    raise AttributeError(
                        f"the layer has no tensor attribute '{attr}' for the grader to set before "
                        f"calling forward ({req['name']} must register weight and bias as "
                        f"nn.Parameter)")
                # Overwrite the data in place: the student's object stays the one forward uses.
                target.data = value.to(device)
            continue
        args = _to_device(list(step["call"]), device)
        grad = step.get("grad")
        leaves = _grad_leaves(args, grad)
        if grad:
            for attr in grad.get("params", []):
                p = getattr(module, attr, None)
                if isinstance(p, torch.Tensor):
                    if not p.requires_grad and p.is_leaf:
                        p.requires_grad_(True)
                    leaves.append(p)
        g.seen = set()
        out = module(*args)
        called.update(g.called())
        r = _describe(out)
        if grad:
            r["grads"] = _grads(out, leaves, _to_device(grad.get("out"), device))
        if step.get("return_inputs"):
            r["inputs"] = [a.detach() if isinstance(a, torch.Tensor) else None for a in args]
        results.append(r)
    reply = {"params": params, "attrs": attrs, "results": results, "called": sorted(called)}
    if described is not None:
        reply["module"] = described
    return reply


def _seed(req) -> None:
    if isinstance(req.get("seed"), int):
        torch.manual_seed(req["seed"])


def _trace(module, args) -> dict:
    """Call ``module(*args)`` with a forward hook on each child: every child's output shape, in
    the order the children ran (the book's table of LeNet's layers)."""
    seen = []

    def hook(child, _inputs, output, names={id(c): n for n, c in module.named_children()}):
        shape = list(output.shape) if isinstance(output, torch.Tensor) else None
        seen.append([names.get(id(child), "?"), type(child).__name__, shape])
    handles = [c.register_forward_hook(hook) for c in module.children()]
    try:
        out = module(*args)
    finally:
        for h in handles:
            h.remove()
    return dict(_describe(out), shapes=seen)


OPS = {"call": _call, "module": _module}


def execute(namespace: dict, req: dict, forbidden=None) -> dict:
    """Run one request under the guard; never raises for anything the student's code does.
    ``forbidden``: the exercise's categories of refused routines (None: all of them)."""
    name = req.get("name")
    if name not in namespace:
        return {"missing": name}
    exact_float32(str(req.get("device", "cpu")))
    with guard.watching(forbidden) as g:
        # CPU time, not wall time: what the student's code costs, however busy the machine is.
        t0 = time.process_time()
        try:
            reply = OPS[req["op"]](namespace, req, g)
        except guard.Forbidden as e:
            return {"forbidden": str(e.args[0])}
        except Exception as e:
            reply = error_reply(e)
        except BaseException as e:  # SystemExit, KeyboardInterrupt from student code
            if g.hit:
                return {"forbidden": g.hit}
            if isinstance(e, (SystemExit, KeyboardInterrupt)):
                reply = error_reply(e)
            else:
                raise
    if g.hit:
        return {"forbidden": g.hit}
    reply["ops"] = g.ops
    # CPU time inside the student's code (and its backward pass): the budgets' measure and the
    # benchmark's denominator.
    reply["seconds"] = time.process_time() - t0
    return reply


BOOK_FILE = "<the book's code>"


def put_book(namespace: dict, names: list, source: str) -> dict:
    """Run the book's ``source`` on its own and put its ``names`` in ``namespace`` in place of the
    student's (one bug costs once: a later exercise is checked with the earlier ones right).
    Returns the entries it replaced, for ``take_book`` to restore."""
    book = {"__name__": "__book__"}
    exec(compile(source, BOOK_FILE, "exec"), book)
    before = {n: namespace.get(n, _ABSENT) for n in names}
    for n in names:
        namespace[n] = book[n]
    return before


def take_book(namespace: dict, before: dict) -> None:
    for n, v in before.items():
        if v is _ABSENT:
            namespace.pop(n, None)
        else:
            namespace[n] = v


_ABSENT = object()


def globals_of(obj, fallback: dict) -> dict:
    """The global namespace ``obj``'s code looks names up in (a function's, or a class's
    methods'): where a helper it calls must be replaced."""
    fn = getattr(obj, "__globals__", None)
    if isinstance(fn, dict):
        return fn
    for v in getattr(obj, "__dict__", {}).values():
        g = getattr(getattr(v, "__func__", v), "__globals__", None)
        if isinstance(g, dict):
            return g
    return fallback


CELL_TIMEOUT_S = 2.0    # a notebook's "try it" cell that calls a hanging function is skipped
# CPU time, not wall time: how loaded the grading machine is must not decide which cells run.
_CELL_TIMER, _CELL_SIGNAL = getattr(signal, "ITIMER_VIRTUAL", None), getattr(signal, "SIGVTALRM", None)


class _CellTimeout(BaseException):
    pass


def _raise_cell_timeout(*_):
    raise _CellTimeout()


def load_source(cells: list[tuple[str, str]], namespace: dict | None = None,
                cell_timeout: float = CELL_TIMEOUT_S, forbidden=None) -> dict:
    """Execute the submission's code cells in a fresh namespace.

    A cell that fails is reported and skipped: the names later cells define still count, as they
    would for a student who runs the notebook top to bottom and ignores one error. A cell that
    runs longer than ``cell_timeout`` (say, a demonstration calling a function that loops forever)
    is interrupted and skipped the same way, so the definitions around it are still graded.
    """
    ns = namespace if namespace is not None else {"__name__": "__submission__"}
    guard.install()   # wrap other libraries' routines before the student can alias them
    problems = []
    timer = (cell_timeout and _CELL_TIMER is not None and hasattr(signal, "setitimer")
             and threading.current_thread() is threading.main_thread())
    old = signal.signal(_CELL_SIGNAL, _raise_cell_timeout) if timer else None
    try:
        for filename, source in cells:
            _load_cell(filename, source, ns, problems, cell_timeout if timer else 0, forbidden)
    finally:
        if timer:
            signal.setitimer(_CELL_TIMER, 0)
            signal.signal(_CELL_SIGNAL, old)
    ns["__convkit_problems__"] = problems
    return ns


def _load_cell(filename, source, ns, problems, timeout, forbidden=None):
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as e:
        problems.append({"cell": filename, "type": "SyntaxError",
                         "message": f"{e.msg} (line {e.lineno})",
                         "trace": "".join(traceback.format_exception_only(type(e), e))[-2000:]})
        return
    try:
        # Under the guard: the contract forbids routines inside the student's functions only, but in a
        # worker the dispatcher refuses them below Python everywhere (``enforce``), ending the
        # process. A notebook cell that compares with F.conv2d at top level is stopped here
        # first, in Python, and skipped with a message; the definitions in other cells count.
        if timeout:
            signal.setitimer(_CELL_TIMER, timeout)
        try:
            with guard.watching(forbidden):
                exec(code, ns)
        finally:
            if timeout:
                signal.setitimer(_CELL_TIMER, 0)
    except guard.Forbidden as e:
        problems.append({"cell": filename, "type": "ForbiddenRoutine",
                         "message": f"calls the forbidden routine {e.args[0]} at the top level; "
                                    f"the cell was skipped (such routines may not run in graded "
                                    f"code)", "trace": ""})
    except _CellTimeout:
        problems.append({"cell": filename, "type": "Timeout",
                         "message": f"did not finish within {timeout:g} s of CPU time and was skipped",
                         "trace": ""})
    except Exception as e:
        err = error_reply(e)["error"]
        err["cell"] = filename
        problems.append(err)
    except SystemExit as e:
        problems.append({"cell": filename, "type": "SystemExit", "message": str(e), "trace": ""})
