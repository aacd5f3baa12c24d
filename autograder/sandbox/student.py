"""The one narrow door to a student's code: call a named function or module with tensors.

Checks talk to a ``Student``; a ``Student`` talks to a transport that answers requests (see
``worker.execute``): in-process for a student's own self-check, or an isolated worker process when
grading (``isolation``). Replies become values or exceptions the checks understand:

- ``StudentRaised`` (an Exception): the student's code raised; hypothesis may shrink the input.
- ``ForbiddenUsed``, ``WorkerLost`` (BaseExceptions): stop the check at once, no shrinking.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field

import torch

from ..core.outcomes import ForbiddenUsed, Missing, StudentRaised, WorkerHung, WorkerLost
from ..core.settings import LIMITS
from ..worker import execute as _execute
from ..worker import wire
from ..worker.serve import call_budget
from . import waiting


@dataclass
class Result:
    """A student's return value, with the facts about it that the worker saw."""
    value: object
    type: str
    device: str | None = None
    requires_grad: bool = False
    grad_fn: bool = False
    grads: list | None = None
    inputs: list | None = None
    ops: int = 0
    # CPU seconds the call took, measured by the grader from outside the worker where the
    # request asked for it (``measure_cpu``) and the transport can (None otherwise).
    cpu: float | None = None
    # Networks the grader passed in, described as the call left them (``nets``/``return_nets``),
    # by argument index as a string.
    nets: dict | None = None
    # A module traced layer by layer: [child name, class name, output shape] in call order.
    shapes: list | None = None

    @property
    def tensor(self) -> torch.Tensor | None:
        return self.value if isinstance(self.value, torch.Tensor) else None


@dataclass
class ModuleResult:
    params: list | None
    attrs: dict
    results: list = field(default_factory=list)
    # The module as data (``worker.execute.describe_module``), where the request asked for it.
    module: dict | None = None


def _result(d: dict, ops: int = 0) -> Result:
    return Result(value=d.get("value"), type=d.get("type", ""), device=d.get("device"),
                  requires_grad=d.get("requires_grad", False), grad_fn=d.get("grad_fn", False),
                  grads=d.get("grads"), inputs=d.get("inputs"), ops=ops,
                  cpu=d.get("cpu_seconds") if isinstance(d.get("cpu_seconds"), float) else None,
                  nets=d.get("nets") if isinstance(d.get("nets"), dict) else None,
                  shapes=d.get("shapes") if isinstance(d.get("shapes"), list) else None)


class Student:
    """Grader-side handle on one submission; ``transport.request(dict) -> dict`` does the work."""

    def __init__(self, transport, device: str = "cpu"):
        self.transport = transport
        self.device = device
        self.seconds = 0.0      # time spent inside the student's code, as the worker measured it
        # CPU seconds each call may use, where the check being run asks for more than the
        # default (``Check.cpu_s``, set by the runner); bounded by ``LIMITS.max_call_cpu_s``.
        self.cpu_s: float | None = None
        # request name -> the torch functions the student's code called at the top level
        self.called: dict[str, set] = {}

    def _ask(self, req: dict) -> dict:
        if self.cpu_s:
            req = dict(req, cpu_s=min(float(self.cpu_s), LIMITS.max_call_cpu_s))
        reply = self.transport.request(req)
        if not isinstance(reply, dict):
            raise WorkerLost("the worker sent a malformed reply")
        if "missing" in reply:
            raise Missing(req["name"])
        if "forbidden" in reply:
            raise ForbiddenUsed(str(reply["forbidden"]))
        if isinstance(reply.get("seconds"), float):
            self.seconds += reply["seconds"]
        self.note_called(str(req.get("name")), reply)
        if "error" in reply:
            raise StudentRaised(req["name"], reply["error"])
        return reply

    def note_called(self, name: str, reply: dict) -> None:
        """Keep the torch functions a reply about ``name`` says the student's code called."""
        if isinstance(reply.get("called"), list):
            self.called.setdefault(name, set()).update(str(n)[:100] for n in reply["called"][:500])

    def call(self, name: str, *args, grad: dict | None = None, return_inputs: bool = False,
             measure_cpu: bool = False, nets: dict | None = None, return_nets: bool = False,
             seed: int | None = None, **kwargs) -> Result:
        """Call ``name(*args, **kwargs)``. ``nets = {argument index: description}`` passes the
        grader's own torch.nn network there, built in the worker (``worker.execute.build_module``;
        the argument itself is a placeholder); ``return_nets`` gets them back described;
        ``seed`` seeds torch's generator right before the call."""
        req = {"op": "call", "name": name, "args": list(args), "kwargs": kwargs,
               "device": self.device, "grad": grad, "return_inputs": return_inputs}
        if measure_cpu:
            req["measure_cpu"] = True
        if nets:
            req["nets"] = {str(i): spec for i, spec in nets.items()}
            req["return_nets"] = bool(return_nets)
        if seed is not None:
            req["seed"] = int(seed)
        reply = self._ask(req)
        return _result(reply, reply.get("ops", 0))

    def module(self, name: str, init: list, steps: list, describe: bool = False,
               seed: int | None = None) -> ModuleResult:
        """Build ``name(*init)`` (a class, or a function returning an ``nn.Module``) and run
        ``steps``; ``describe`` also returns the module as data."""
        req = {"op": "module", "name": name, "init": list(init), "device": self.device, "steps": steps}
        if describe:
            req["describe"] = True
        if seed is not None:
            req["seed"] = int(seed)
        reply = self._ask(req)
        module = reply.get("module")
        return ModuleResult(params=reply.get("params"), attrs=reply.get("attrs") or {},
                            results=[_result(r) for r in reply.get("results", [])],
                            module=module if isinstance(module, dict) else None)

    def lend_book(self, name: str, book) -> None:
        """Check ``name`` with the book's code in place of the student's helpers it builds on:
        ``book = (names, source)`` (see ``Exercise.trusted``), or None for the student's own."""
        lend_book = getattr(self.transport, "lend_book", None)
        if lend_book is not None:
            lend_book(name, book)

    def forbid(self, name: str, categories) -> None:
        """Requests about ``name`` refuse the routines of ``categories`` (``Exercise.forbidden``)
        where the transport is told per exercise (an isolated worker gets them when it starts)."""
        forbid = getattr(self.transport, "forbid", None)
        if forbid is not None:
            forbid(name, tuple(categories))

    def problems(self) -> list[dict]:
        """Errors met while loading the submission (syntax errors, failing cells)."""
        return list(getattr(self.transport, "problems", []))


class InProcess:
    """Runs requests in this process against a namespace: for a student's self-check only.

    Requests and replies still cross ``wire`` (encode, validate, decode), so the checks see exactly
    what they see from an isolated worker. A SIGALRM timer bounds each call where that is possible
    (main thread, Unix), so an endless loop in a notebook is reported instead of hanging the cell.
    """

    def __init__(self, namespace: dict, call_timeout: float | None = None,
                 forbidden: dict | None = None):
        self.namespace = namespace
        # exercise name -> its forbidden categories (the guard refuses autograd where one says so)
        self.forbidden = dict(forbidden or {})
        self.call_timeout = LIMITS.call_cpu_s if call_timeout is None else call_timeout
        self.problems = list(namespace.get("__convkit_problems__", []))
        self.books: dict = {}

    def lend_book(self, name: str, book) -> None:
        self.books[name] = book

    def forbid(self, name: str, categories) -> None:
        self.forbidden[name] = tuple(categories)

    def request(self, req: dict) -> dict:
        req, _ = wire.roundtrip(req)
        book = self.books.get(req.get("name"))
        # The student's own globals (a notebook's): the book's helpers go in for this request
        # only, and the student's come back after it.
        where = _execute.globals_of(self.namespace.get(req.get("name")), self.namespace) \
            if book else None
        before = _execute.put_book(where, *book) if book else None
        t0 = time.process_time()
        try:
            with _alarm(call_budget(req, self.call_timeout)):
                reply = _execute.execute(self.namespace, req, self.forbidden.get(req.get("name")))
        finally:
            if book:
                _execute.take_book(where, before)
        if req.get("measure_cpu") and isinstance(reply, dict):
            # This process's CPU time for the request, the same measure an isolated worker's
            # grader reads from /proc (a self-check claims no isolation: the student's code
            # shares this process either way).
            reply["cpu_seconds"] = time.process_time() - t0
        reply, _ = wire.roundtrip(reply)
        return reply


class _Timeout(BaseException):
    pass


class _alarm:
    """The in-process transport's limits on one call: ``seconds`` of CPU time (``ITIMER_PROF``),
    and ``LIMITS.wait_s(seconds)`` of waiting (``ITIMER_REAL``, re-armed for as long as this
    process spent the time running or waiting for a CPU: see ``waiting``)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.wait = LIMITS.wait_s(seconds)
        self.usable = (hasattr(signal, "setitimer") and hasattr(signal, "ITIMER_PROF")
                       and threading.current_thread() is threading.main_thread())
        self.fired = None

    def _fire(self, signum, _frame):
        if signum == signal.SIGALRM:
            left = self.deadline.left()
            if left > 0:    # a busy machine, not waiting: wait on
                signal.setitimer(signal.ITIMER_REAL, left)
                return
        self.fired = signum
        raise _Timeout()

    def __enter__(self):
        if self.usable:
            self.old = (signal.signal(signal.SIGPROF, self._fire),
                        signal.signal(signal.SIGALRM, self._fire))
            self.stat = waiting.Schedstat(os.getpid())
            self.deadline = waiting.Deadline(self.wait, self.stat)
            signal.setitimer(signal.ITIMER_PROF, self.seconds)
            signal.setitimer(signal.ITIMER_REAL, self.wait)

    def __exit__(self, kind, exc, tb):
        if self.usable:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, self.old[0])
            signal.signal(signal.SIGALRM, self.old[1])
            self.stat.close()
        if kind is _Timeout:
            if self.fired == signal.SIGALRM:
                raise WorkerHung(f"waited {self.wait:g} s without computing and was stopped "
                                 f"(a sleep, input() or a lock?)")
            raise WorkerHung(f"did not return within {self.seconds:g} s of CPU time (an endless loop?)")
        return False
