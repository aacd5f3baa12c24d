"""The worker's request loop: load the submission, then answer the grader's requests over a socket.

Runs inside the hardened worker (see ``zygote``), after its limits are in place. Messages cross
only through ``wire`` in both directions. A reply that could not cross (a result larger than
``wire.MAX_PAYLOAD``, a tensor the encoder chokes on) becomes an ``error`` reply that says so, which
fails the check that asked; nothing here decides a grade.
"""
from __future__ import annotations

import math
import resource

from . import execute, wire


def _limit_cpu(seconds: float) -> None:
    """This request may use ``seconds`` of CPU time: past them the kernel ends the worker with
    SIGXCPU, which the grader reads as a hang. CPU time, so that a busy machine (which stretches
    wall time) changes no verdict."""
    if seconds <= 0:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = math.ceil(used.ru_utime + used.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))
    except (ValueError, OSError):
        pass


def _tensor_bytes(obj, depth=0) -> int:
    """Bytes of tensor data a reply would carry; stops early past the limit."""
    import torch
    if depth > 20:
        return 0
    if isinstance(obj, torch.Tensor):
        try:
            return math.prod(obj.shape) * obj.element_size()
        except BaseException:
            return wire.MAX_PAYLOAD + 1
    total = 0
    if isinstance(obj, dict):
        items = obj.values()
    elif isinstance(obj, (list, tuple)):
        items = obj
    else:
        return 0
    for v in items:
        total += _tensor_bytes(v, depth + 1)
        if total > wire.MAX_PAYLOAD:
            break
    return total


def _unsendable(why: str) -> dict:
    return {"error": {"type": "ResultTooLarge" if "large" in why else "UnsendableResult",
                      "message": why, "trace": ""}}


def encode_reply(reply) -> bytes:
    """Encode a reply; one that cannot cross becomes an error reply."""
    try:
        size = _tensor_bytes(reply)
        if size > wire.MAX_PAYLOAD:
            return wire.encode(_unsendable(
                f"the result is too large to send back to the grader (more than "
                f"{wire.MAX_PAYLOAD >> 20} MiB of tensor data)"))
        msg = wire.encode(reply)
        if len(msg) > 4 + wire.MAX_HEADER + wire.MAX_PAYLOAD:
            return wire.encode(_unsendable("the result is too large to send back to the grader"))
        return msg
    except MemoryError:
        return wire.encode(_unsendable("the result is too large to send back to the grader "
                                       "(out of memory while encoding it)"))
    except BaseException as e:
        try:
            what = f"{type(e).__name__}: {e}"[:300]
        except BaseException:
            what = type(e).__name__
        return wire.encode(_unsendable(f"the result could not be sent back to the grader ({what})"))


# The most CPU time one request may ask for (``"cpu_s"``, a check's own budget: a training run);
# the same bound as ``student.MAX_CALL_CPU_S``, which the grader applies before asking.
MAX_CALL_CPU_S = 30.0


def call_budget(req, call_cpu: float) -> float:
    """The CPU seconds this request may use: its own ``cpu_s`` where it asks for one (bounded),
    else the worker's per-call limit."""
    asked = req.get("cpu_s") if isinstance(req, dict) else None
    if isinstance(asked, (int, float)) and not isinstance(asked, bool) and asked > 0:
        return min(float(asked), MAX_CALL_CPU_S)
    return call_cpu


def run(sock, cells, book=None, call_cpu: float = 0.0, forbidden=None) -> None:
    """Load ``cells``, say ready, answer requests until the grader hangs up. ``book``, when
    given, is ``(names, source)``: the book's code that replaces the student's ``names``.
    ``forbidden``: the exercise's categories of refused routines (None: all)."""
    ns = execute.load_source(cells, forbidden=forbidden)
    problems = ns.get("__convkit_problems__", [])
    if book:
        try:
            execute.put_book(ns, *book)
        except BaseException as e:      # the kit's own code: say so, do not blame the student
            problems = problems + [{"cell": execute.BOOK_FILE, "type": type(e).__name__,
                                    "message": f"internal grader error: {e}"[:500], "trace": ""}]
    sock.sendall(encode_reply({"ready": True, "problems": problems}))
    while True:
        try:
            req, _ = wire.recv(sock)
        except (EOFError, OSError, wire.WireError):
            return
        _limit_cpu(call_budget(req, call_cpu))
        try:
            reply = execute.execute(ns, req, forbidden)
        except BaseException as e:     # an odd BaseException from student code: report, go on
            reply = execute.error_reply(e)
        sock.sendall(encode_reply(reply))
