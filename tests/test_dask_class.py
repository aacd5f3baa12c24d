"""Class grading on a Dask cluster (``class --scheduler``, autograder/classroom/cluster.py), for real.

A real ``distributed.LocalCluster`` (2 worker processes under nannies, one thread each; no mock)
grades a tiny class of four corpus submissions over two assignments, once with one of its workers
SIGKILLed while it grades, once interrupted with Ctrl-C (a KeyboardInterrupt in the command line)
and resumed;
each at a known point, whatever the machine's speed: the worker kills itself as it starts a
submission (a Dask worker plugin), the Ctrl-C comes right after the first result is written
(the class run's hook, ``classroom.records.RESULT_HOOKS``);
each time every results.json must be the local pool's (``--jobs 2``) byte for byte, but for the two
timings a run measures (``execution_time``, ``student_code_seconds``). Submissions run sandboxed
(bubblewrap) where it is installed, else in ``process`` isolation, the same in both runs.

All tests here are named ``test_dask_*`` and marked ``dask`` (``pytest -m dask``); about a
minute and a half on a 2-core machine.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import queue
import subprocess
import sys
from pathlib import Path

import pytest
from support import CORPUS, home

distributed = pytest.importorskip("distributed")
import cloudpickle  # noqa: E402  (distributed's own dependency)

from distributed import WorkerPlugin  # noqa: E402
from distributed.core import Status  # noqa: E402

from autograder.classroom import cluster as kit_cluster  # noqa: E402
from autograder.classroom.run import run_class  # noqa: E402
from autograder.results.store import RECORD, RESULTS  # noqa: E402
from autograder.sandbox.isolation import bwrap_path  # noqa: E402

pytestmark = pytest.mark.dask

ROOT = Path(__file__).resolve().parents[1]
ISOLATION = "sandbox" if bwrap_path() else "process"
CC, CH = home("corr2d"), home("corr2d_multi_in")
# (student, assignment, corpus file): a correct and a buggy one per assignment.
CLASS = [("ann", CC, "ok_double_loop.py"), ("ben", CC, "bug_flipped_kernel.py"),
         ("cat", CH, "ok_book.py"), ("dov", CH, "bug_mi_mean.py")]
PIN = "test-fingerprint"
TIMINGS = re.compile(r'("(?:execution_time|student_code_seconds)": )[0-9.e+-]+')
WHEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _write_class(course: Path) -> Path:
    for student, a, name in CLASS:
        d = course / "submitted" / student / a
        d.mkdir(parents=True)
        shutil.copy(CORPUS / a / name, d / f"{a}.py")
    return course


def _results_text(course: Path, student: str, a: str) -> str:
    # Everything but the two wall/CPU timings a run measures.
    return TIMINGS.sub(r"\g<1>0", (course / "convkit" / "autograded" / student / a / RESULTS).read_text())


def _same_outputs(local: Path, dask: Path) -> None:
    for student, a, _ in CLASS:
        assert _results_text(dask, student, a) == _results_text(local, student, a), (student, a)
        for page in ("feedback.md", "feedback.html"):
            ours, theirs = ((c / "convkit" / "feedback" / student / a / page).read_text() for c in (dask, local))
            assert WHEN.sub("", ours) == WHEN.sub("", theirs), (student, a, page)
        rec = [json.loads((c / "convkit" / "autograded" / student / a / RECORD).read_text()) for c in (dask, local)]
        assert [(r["status"], r["score"], r["max_score"]) for r in rec] == \
            [(rec[1]["status"], rec[1]["score"], rec[1]["max_score"])] * 2
    assert (dask / "convkit" / "grades.csv").read_bytes() == (local / "convkit" / "grades.csv").read_bytes()


@pytest.fixture(scope="module")
def dask_cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    course = _write_class(tmp_path_factory.mktemp("local"))
    s = run_class(course, jobs=2, isolation=ISOLATION, show_progress=False, fingerprint=PIN)
    assert not s.errors and len(s.graded) == len(CLASS), s.errors
    return course


class KillOnFirstGrade(WorkerPlugin):
    """Kills its own worker process (SIGKILL) the moment it starts grading a submission: the
    first worker to claim ``flag`` does, once; the flag records its pid and the task. A worker
    lost mid-task at a known point, whatever the machine's speed (no watching from outside)."""

    def __init__(self, flag: str):
        self.flag = flag

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith("convkit-grade-"):
            return
        try:
            fd = os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, json.dumps([os.getpid(), str(key)]).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


# The plugin travels to the workers by value: they need not import this test module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_dask_worker_killed_mid_task_loses_nothing(dask_cluster, local_run, tmp_path):
    course = _write_class(tmp_path / "course")
    flag = tmp_path / "killed.json"
    with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as client:
        client.register_plugin(KillOnFirstGrade(str(flag)), name="test-kill-on-first-grade")
        try:
            s = run_class(course, isolation=ISOLATION, show_progress=False, fingerprint=PIN,
                          scheduler=dask_cluster.scheduler_address)
        finally:
            client.unregister_worker_plugin("test-kill-on-first-grade")
        assert flag.is_file(), "no worker started grading a submission"
        killed = json.loads(flag.read_text())
        # The nanny restarted the killed worker: still two, and the dead pid is gone.
        client.wait_for_workers(2)
        pids = {st["pid"] for st in client.run(kit_cluster._status).values()}
        assert killed[0] not in pids and len(pids) == 2
    assert not s.errors, s.errors
    assert sorted(s.graded) == sorted((st, a) for st, a, _ in CLASS)
    assert any(killed[1].startswith(f"convkit-grade-{st}-{a}-") for st, a, _ in CLASS)
    _same_outputs(local_run, course)


# ``python -m autograder class`` with one addition: Ctrl-C right after the first result is
# written, from the class run's own hook (``classroom.records.RESULT_HOOKS``), as the KeyboardInterrupt
# Python turns a Ctrl-C into. Not a SIGINT raised to the process: once in about six full runs
# under two busy loops, four raise_signal(SIGINT) calls in the main thread came back without a
# KeyboardInterrupt and the run finished (exit 0); not reproduced alone (see the closing note).
INTERRUPTING_CLI = """import sys
from autograder.classroom import records
from autograder.cli import main
def ctrl_c(student, assignment):
    raise KeyboardInterrupt
records.RESULT_HOOKS.append(ctrl_c)
sys.exit(main(sys.argv[1:]))
"""


def test_dask_run_interrupted_then_resumed(dask_cluster, local_run, tmp_path):
    course = _write_class(tmp_path / "course")
    proc = subprocess.run([sys.executable, "-c", INTERRUPTING_CLI, "class", str(course),
                           "--isolation", ISOLATION, "--scheduler", dask_cluster.scheduler_address],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout
    assert proc.returncode == 130, out
    assert "interrupted" in out
    done = {(st, a) for st, a, _ in CLASS if (course / "convkit" / "autograded" / st / a / RECORD).is_file()}
    assert len(done) == 1, done         # interrupted right after its first result
    # Rerun (the same real fingerprint): only what the interrupted run did not finish is graded.
    s = run_class(course, isolation=ISOLATION, show_progress=False,
                  scheduler=dask_cluster.scheduler_address)
    assert set(s.up_to_date) == done
    assert set(s.graded) == {(st, a) for st, a, _ in CLASS} - done
    assert not s.errors, s.errors
    _same_outputs(local_run, course)


def test_dask_worker_with_another_kit_is_refused(tmp_path):
    """A worker whose kit differs from the client's closes (its nanny too: not restarted), and
    the task-side guard refuses to grade for another kit."""
    other = {"version": "0.0.0", "fingerprint": "0" * 64}
    course = _write_class(tmp_path / "course")
    student, a, _ = CLASS[0]
    with pytest.raises(RuntimeError, match="must run the very same kit"):
        kit_cluster.grade_task(str(course / "submitted" / student / a), a, ISOLATION, "cpu", other)
    refusals = queue.Queue()
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=logging.CRITICAL) as c, \
            distributed.Client(c.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(1)
        [nanny] = c.workers.values()
        client.subscribe_topic(kit_cluster.REFUSED, lambda event: refusals.put(event[1]))
        client.register_plugin(kit_cluster.Warmup(other, ISOLATION, "cpu", "run-x"),
                               name=kit_cluster.WARMUP)
        # Its reason reached the scheduler, where the client reads it.
        said = refusals.get()
        assert said["run"] == "run-x" and "must run the very same kit" in said["message"]
        # The worker closed its nanny too: nothing is left to restart it with the other kit.
        c.sync(nanny.finished)
        assert nanny.status == Status.closed
        assert refusals.empty()
