"""The last-resort deadlines count waiting, not wall time (``autograder/sandbox/waiting.py``).

A busy machine must not fail an honest call: these tests starve a worker on purpose (pinned to
one CPU beside a busy process that outranks it) and check that the verdict is the one an idle
machine gives, while code that truly waits (a sleep) is still stopped. What decides is read from
``/proc`` (the worker's run and ready-to-run times), never from the clock.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest
import torch

from autograder.core.outcomes import WorkerLost
from autograder.sandbox import isolation, student, waiting

# A request may use 5 s of CPU time and wait 2 s. The waiting limit is short so that the test is;
# it is far above what a request waits for the grader on a loaded machine (microseconds).
CPU_S, WAIT_S = 5.0, 2.0

CODE = '''
import time
def compute(x, seconds):
    """Runs, never waits, for ``seconds`` of CPU time."""
    t = time.process_time()
    while time.process_time() - t < float(seconds):
        pass
    return x * 2
def nap(x):
    time.sleep(1000)
    return x
'''


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(waiting, "_now", c)
    return c


def test_only_waiting_ends_a_deadline(clock):
    sample = {"v": (1.0, 0.5)}
    d = waiting.Deadline(2.0, lambda: sample["v"])
    clock.now += 1.0
    assert d.left() == pytest.approx(1.0)          # within the wall time: /proc not needed
    # 30 s of wall time, of which the process ran 10 and was ready to run for 19: it waited 1.
    clock.now += 29.0
    sample["v"] = (11.0, 19.5)
    assert d.left() == pytest.approx(1.0) and d.why == ""
    # Then 1.5 s more, all of it asleep.
    clock.now += 1.5
    assert d.left() == pytest.approx(-0.5) and d.why == "wait"


def test_a_cpu_bound_ends_a_deadline_that_has_one(clock):
    sample = {"v": (0.0, 0.0)}
    d = waiting.Deadline(60.0, lambda: sample["v"], cpu_s=4.0)
    clock.now += 10.0
    sample["v"] = (3.0, 7.0)                       # a loaded machine: ran 3 s in 10
    assert d.left() == pytest.approx(1.0)
    clock.now += 3.0
    sample["v"] = (4.5, 8.5)
    assert d.left() <= 0 and d.why == "cpu"


def test_where_proc_cannot_be_read_the_deadline_is_wall_time(clock):
    d = waiting.Deadline(2.0, lambda: None)
    clock.now += 2.5
    assert d.left() == pytest.approx(-0.5)
    assert waiting.Deadline(2.0, waiting.Schedstat(-1)).start is None


def test_schedstat_counts_running_time_until_closed():
    stat = waiting.Schedstat(os.getpid())
    ran0, ready0 = stat()
    t = __import__("time").process_time()
    while __import__("time").process_time() - t < 0.2:
        pass
    ran1, ready1 = stat()
    assert ran1 - ran0 >= 0.15 and ready1 >= ready0
    stat.close()
    assert stat() is None


@pytest.fixture
def limits(monkeypatch):
    # wait_s(CPU_S) == WAIT_S, for the isolated transport and the in-process one alike
    short = dataclasses.replace(isolation.LIMITS, call_cpu_s=CPU_S, wait_factor=0.0,
                                wait_extra_s=WAIT_S - CPU_S)
    assert short.wait_s(CPU_S) == WAIT_S
    monkeypatch.setattr(isolation, "LIMITS", short)
    monkeypatch.setattr(student, "LIMITS", short)


def _lowest_priority(pid: int) -> None:
    """Nice 19 (weight 15 against the hog's 1024), for the process and, where the kernel groups
    processes by session (autogroup: the worker has a session of its own), for its group."""
    os.setpriority(os.PRIO_PROCESS, pid, 19)
    try:
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write("19")
    except OSError:
        pass


def _call(t, name, *args):
    reply = t.request({"op": "call", "name": name, "args": [torch.tensor([3.0]), *args],
                       "kwargs": {}, "device": "cpu", "grad": None, "return_inputs": False})
    return reply


def _sandboxes():
    modes = [pytest.param(False, id="process")]
    if isolation.bwrap_path() is not None:
        modes.insert(0, pytest.param(True, id="sandbox"))
    return modes


@pytest.mark.parametrize("sandboxed", _sandboxes())
def test_a_starved_worker_is_not_a_waiting_one(limits, sandboxed):
    """The worker, pinned to one CPU beside a busy process at a higher priority, gets a small
    share of it: its 0.1 s of computing take several times the 2 s it may wait. It was never
    waiting, so it answers; the same worker that sleeps is stopped as waiting."""
    t = isolation.open_worker([("<w.py>", CODE)], sandboxed=sandboxed, call_timeout=CPU_S)
    hog = None
    try:
        assert t.problems == []
        assert float(_call(t, "compute", 0.0)["value"][0]) == 6.0
        worker = t.host_pid
        assert worker is not None, "the worker's pid was not found in /proc"
        cpu = sorted(os.sched_getaffinity(0))[0]
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        os.sched_setaffinity(hog.pid, {cpu})
        os.sched_setaffinity(worker, {cpu})
        _lowest_priority(worker)
        stat = waiting.Schedstat(worker)
        before = stat()
        assert float(_call(t, "compute", 0.1)["value"][0]) == 6.0
        after = stat()
        stat.close()
        # The setting really starved it: longer ready to run than it may wait (read from /proc).
        starved = after[1] - before[1] > WAIT_S
        if not starved and os.geteuid() != 0:
            pytest.skip("could not starve the worker: lowering its group's priority "
                        f"(/proc/{worker}/autogroup) needs root here")
        assert starved, (before, after)
        assert t.workers_started == 1
        hog.kill()
        hog.wait()
        hog = None
        with pytest.raises(WorkerLost) as e:
            _call(t, "nap")
        assert f"waited {WAIT_S:g} s without computing" in e.value.args[0]
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
        t.close()


def test_in_process_a_long_computation_is_not_waiting(limits):
    """A student's self-check (no worker): the wall-time alarm fires while the call computes
    past the waiting limit and is re-armed, because the process was running; a sleep is stopped."""
    ns: dict = {}
    exec(compile(CODE, "<w.py>", "exec"), ns)
    t = student.InProcess(ns, call_timeout=CPU_S)
    assert float(_call(t, "compute", WAIT_S + 0.5)["value"][0]) == 6.0
    with pytest.raises(WorkerLost) as e:
        _call(t, "nap")
    assert f"waited {WAIT_S:g} s without computing" in e.value.args[0]


def test_a_top_level_that_waits_is_stopped_as_waiting(limits, monkeypatch):
    """Loading has its own pair of limits: a top level that sleeps is stopped once it has
    waited ``load_wait_s`` (a top level that computes meets ``load_cpu_s``:
    tests/test_isolation.py's load_hang), and the student is told which."""
    monkeypatch.setattr(isolation, "LIMITS", dataclasses.replace(isolation.LIMITS,
                                                                 load_wait_s=WAIT_S))
    t = isolation.open_worker([("<w.py>", "import time\ntime.sleep(1000)\n")],
                              sandboxed=False, call_timeout=CPU_S)
    try:
        assert [p["type"] for p in t.problems] == ["WorkerLost"]
        assert f"it waited {WAIT_S:g} s without computing" in t.problems[0]["message"]
        with pytest.raises(WorkerLost):
            _call(t, "compute", 0.0)
    finally:
        t.close()
