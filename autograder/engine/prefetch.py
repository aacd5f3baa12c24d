"""Ask a worker for a whole check's answers at once, then let the check read them one by one.

A check's examples are the same for every student (``streams``), and so are the requests its
``verify`` makes for each example, as long as the student answers as the reference does (they are
built from the example; later requests in one example may depend on earlier answers). So the
requests are recorded once per process by verifying the kit's reference solution in this process
(``plan``), encoded once, and sent to each student's worker as one pipelined stream
(``WorkerTransport.pipeline``): the worker runs them back to back, without waiting for the grader
between calls. ``Prefetched`` then stands in for the transport while ``verify`` runs: each request
``verify`` makes is compared with the planned one and answered with the reply already on its way.

A request that differs from the plan (the student's answer led ``verify`` elsewhere) raises
``Diverged``; the runner then ends the pipeline and goes on example by example. Without reference
solutions (a student's machine) or off the CPU there is no plan, and nothing changes.
"""
from __future__ import annotations

import torch

from . import streams
from ..checks.reference import solution
from ..core.declarations import Check
from ..core.outcomes import WorkerLost
from ..sandbox.student import Student
from ..worker import execute, wire


class Diverged(BaseException):
    """``verify`` made a request the plan does not have at this point (a BaseException, so no
    ``except Exception`` in a check's code can take it for the student's error)."""


class _Direct:
    """Answers requests with the kit's reference solution in this process: the same wire crossing
    as ``InProcess``, without its guard and timer (trusted code; the guard would double its time)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def request(self, req: dict) -> dict:
        req, _ = wire.roundtrip(req)
        execute.exact_float32(str(req.get("device", "cpu")))
        try:
            reply = execute.OPS[req["op"]](self.namespace, req, _Unguarded())
        except Exception as e:
            reply = execute.error_reply(e)
        reply, _ = wire.roundtrip(reply)
        return reply


class _Unguarded:
    """What ``execute`` records calls through, for trusted code: nothing is refused or counted."""

    def __init__(self):
        self.seen: set = set()

    def called(self) -> list[str]:
        return []


class _Recorder:
    """A transport that runs requests in-process and remembers them, example by example."""

    def __init__(self, inner):
        self.inner = inner
        self.cases: list[list[dict]] = []

    def request(self, req: dict) -> dict:
        self.cases[-1].append(req)
        return self.inner.request(req)


# (id(check), number of examples, name) -> (check, plan or None)
_PLANS: dict[tuple, tuple] = {}

# Making a plan costs about one grading of a correct submission: worth it only in a process that
# grades many (``classroom`` turns this on; plans it installs from ``prepare`` are always used).
RECORD_PLANS = False


def plan(check: Check, name: str, record: bool | None = None):
    """Per example of ``streams.stream(check)``: the requests ``verify`` makes of a correct
    solution, as ``(request, encoded bytes)`` pairs; None when there is none. One is made when
    ``record`` (default: ``RECORD_PLANS``) is true."""
    examples = streams.stream(check)
    key = (id(check), len(examples), name)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is check:
        return hit[1]
    if not (RECORD_PLANS if record is None else record):
        return None
    _PLANS[key] = (check, _record(check, name, examples))
    return _PLANS[key][1]


def install(check: Check, name: str, plan_) -> None:
    """Use ``plan_`` (made by another process of this grader, see ``prepare``) for ``check``."""
    _PLANS[(id(check), len(streams.stream(check)), name)] = (check, plan_)


def _record(check: Check, name: str, examples):
    obj = solution(name)
    if obj is None:
        return None
    rec = _Recorder(_Direct({name: obj}))
    student = Student(rec)
    for ex in examples:
        rec.cases.append([])
        try:
            check.verify(student, ex.case)
        except BaseException:       # the reference fails its own check: no plan, grade live
            return None
    out = []
    for reqs in rec.cases:
        if any(not isinstance(r, dict) or r.get("name") != name for r in reqs):
            return None             # a request about another name would need another worker
        out.append([(r, wire.encode(r)) for r in reqs])
    return out


def same(a, b) -> bool:
    """Whether two requests are the same (tensors by dtype, layout and exact values)."""
    if a is b:
        return True
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.stride() == b.stride() and a.device == b.device
                and a.requires_grad == b.requires_grad and bool(torch.equal(a, b)))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


class Prefetched:
    """Stands in for the transport while one check replays: serves the pipelined replies.

    ``begin(i)`` starts example i; ``request`` answers ``verify``'s next request from the
    pipeline when it is the planned one, else raises ``Diverged``; ``end_example`` reads past the
    replies of planned requests ``verify`` did not make (it stopped at a wrong answer), counting
    the student's time they took.
    """

    def __init__(self, transport, plan_, name: str, device: str):
        self.plan = plan_
        self.name = name
        self.student = Student(self, device)     # what verify talks to during the replay
        self.feed = transport.pipeline([m for reqs in plan_ for _, m in reqs], name)
        self.planned: list = []
        self.used = 0

    def begin(self, i: int) -> None:
        self.planned, self.used = self.plan[i], 0

    def request(self, req: dict) -> dict:
        if self.used >= len(self.planned) or not same(req, self.planned[self.used][0]):
            raise Diverged()
        self.used += 1
        return next(self.feed)

    def end_example(self) -> None:
        while self.used < len(self.planned):
            self.used += 1
            try:
                reply = next(self.feed)
            except WorkerLost:
                # A call verify did not make hung or crashed: not the student's failure here.
                raise Diverged() from None
            if isinstance(reply.get("seconds"), float):
                self.student.seconds += reply["seconds"]
            self.student.note_called(self.name, reply)

    def close(self) -> None:
        self.feed.close()


def start(check: Check, name: str, student: Student):
    """A ``Prefetched`` for this check and student, or None where the check replays live."""
    if student.device != "cpu" or not hasattr(student.transport, "pipeline") or check.cpu_s:
        # A check with its own CPU budget per call runs live (a pipeline waits the default).
        return None
    p = plan(check, name)
    if not p or not any(p):
        return None
    return Prefetched(student.transport, p, name, student.device)
