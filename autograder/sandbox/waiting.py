"""The grader's last-resort deadlines count the time a process *waits*, never wall time.

A request's real limit is CPU time (the worker's ``RLIMIT_CPU``): load does not move it. Code that
waits without computing (``time.sleep``, ``input()``, a lock, a process that stopped itself)
never reaches a CPU limit, so a second deadline is needed. Were that deadline on wall time, a
loaded machine (a class run beside nbgrader's, two test workers, twelve zygotes importing torch at
once) would stretch an honest computation past it and fail a correct answer as "waiting": the
same notebook would score differently on a busy machine.

Linux accounts, per thread, the time it ran and the time it was ready to run but waited for a CPU
(``/proc/<pid>/schedstat``: ``exec_runtime`` and ``run_delay``; kept by every kernel with
``CONFIG_SCHED_INFO``, whether or not schedstats are switched on). Wall time minus both is time the
process itself chose to wait, which the machine's load does not change. A ``Deadline`` is on
that, and optionally on the time it ran (loading a submission has no per-request ``RLIMIT_CPU``:
its cells' bound is CPU time measured from here). Where ``/proc`` cannot be read (macOS, a
process already gone) both are wall time, as before.

Only a process's main thread is counted (the worker runs torch with one thread; a thread the
student starts is bounded by the process-wide CPU limit anyway). The zygote's start is measured on
the busiest process of its tree (``busiest``): under bubblewrap the process importing torch is a
child of the one the grader started.
"""
from __future__ import annotations

import os
import time
from typing import Callable


_now = time.monotonic      # the wall clock (a test swaps in its own)

Sample = tuple  # (seconds run, seconds ready to run but waiting for a CPU)


class Schedstat:
    """A process's main thread: seconds it has run and seconds it waited for a CPU, read from one
    open file (``__call__``; None once it cannot be read)."""

    def __init__(self, pid: int):
        self.fd: int | None = None
        try:
            self.fd = os.open(f"/proc/{pid}/schedstat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            pass

    def __call__(self) -> Sample | None:
        if self.fd is None:
            return None
        try:
            ran, ready = os.pread(self.fd, 128, 0).split()[:2]
            return int(ran) / 1e9, int(ready) / 1e9
        except (OSError, ValueError):
            return None     # the process is gone: its deadline no longer matters

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        self.close()


def tree(pid: int):
    """``pid`` and every process below it, as /proc shows them now (parents before children)."""
    todo, seen = [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        yield p
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            continue


def busiest(pid: int) -> Sample | None:
    """The sample of the busiest process of the tree under ``pid`` (itself included), or None
    where none can be read."""
    best = None
    for p in tree(pid):
        stat = Schedstat(p)
        value = stat()
        stat.close()
        if value is not None and (best is None or sum(value) > sum(best)):
            best = value
    return best


class Deadline:
    """Ends once the measured process has waited ``wait_s`` seconds (see the module's docstring)
    or, with ``cpu_s``, run for that many; ``measure`` samples it (``Schedstat``, ``busiest``)."""

    def __init__(self, wait_s: float, measure: Callable[[], Sample | None] | None = None,
                 cpu_s: float | None = None):
        self.wait_s = wait_s
        self.cpu_s = cpu_s
        self.measure = measure
        self.t0 = _now()
        self.start = measure() if measure is not None else None
        self.why = ""       # "wait" or "cpu" once ended

    def _spent(self) -> tuple[float, float]:
        """(seconds waited, seconds run) since the start; wall time for both where the process
        cannot be measured."""
        elapsed = _now() - self.t0
        now = self.measure() if self.start is not None else None
        if now is None:
            return elapsed, elapsed
        ran = now[0] - self.start[0]
        return max(elapsed - ran - (now[1] - self.start[1]), 0.0), ran

    def left(self) -> float:
        """Seconds before the deadline can end at the earliest (<= 0: it has ended, ``why``
        says how). Cheap while the wall time is within both limits: ``/proc`` is read only past
        the smaller."""
        elapsed = _now() - self.t0
        first = min(self.wait_s, self.cpu_s) if self.cpu_s is not None else self.wait_s
        if elapsed < first:
            return first - elapsed
        waited, ran = self._spent()
        left = self.wait_s - waited
        if left <= 0:
            self.why = "wait"
        if self.cpu_s is not None:
            if self.cpu_s - ran <= 0 and left > 0:
                self.why = "cpu"
            left = min(left, self.cpu_s - ran)
        return left
