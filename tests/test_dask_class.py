"""Class grading on a Dask cluster (``class --scheduler``, autograder/cluster.py), for real.

A real ``distributed.LocalCluster`` (2 worker processes under nannies, one thread each; no mock)
grades a tiny class of four corpus submissions over two assignments, once with one of its workers
SIGKILLed while it grades, once interrupted with Ctrl-C (SIGINT to the command line) and resumed;
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
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import CORPUS, home

distributed = pytest.importorskip("distributed")

from autograder import cluster as kit_cluster  # noqa: E402
from autograder.classroom import RECORD, RESULTS, run_class  # noqa: E402
from autograder.isolation import bwrap_path  # noqa: E402

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
    return TIMINGS.sub(r"\g<1>0", (course / "autograded" / student / a / RESULTS).read_text())


def _same_outputs(local: Path, dask: Path) -> None:
    for student, a, _ in CLASS:
        assert _results_text(dask, student, a) == _results_text(local, student, a), (student, a)
        for page in ("feedback.md", "feedback.html"):
            ours, theirs = ((c / "feedback" / student / a / page).read_text() for c in (dask, local))
            assert WHEN.sub("", ours) == WHEN.sub("", theirs), (student, a, page)
        rec = [json.loads((c / "autograded" / student / a / RECORD).read_text()) for c in (dask, local)]
        assert [(r["status"], r["score"], r["max_score"]) for r in rec] == \
            [(rec[1]["status"], rec[1]["score"], rec[1]["max_score"])] * 2
    assert (dask / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()


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


def test_dask_worker_killed_mid_task_loses_nothing(dask_cluster, local_run, tmp_path):
    course = _write_class(tmp_path / "course")
    box = {}

    def run():
        try:
            box["summary"] = run_class(course, isolation=ISOLATION, show_progress=False,
                                       fingerprint=PIN, scheduler=dask_cluster.scheduler_address)
        except BaseException as e:      # noqa: BLE001  (reported by the assertion below)
            box["error"] = e

    grading = threading.Thread(target=run)
    grading.start()
    killed = None
    with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.monotonic() + 240
        while killed is None and grading.is_alive() and time.monotonic() < deadline:
            status = client.run(kit_cluster._status, on_error="return")
            for worker, st in status.items():
                busy = [k for k in (st.get("executing", []) if isinstance(st, dict) else [])
                        if k.startswith("convkit-grade-")]
                if busy:
                    # This worker process has started grading a submission: kill it outright.
                    os.kill(st["pid"], signal.SIGKILL)
                    killed = (st["pid"], busy[0])
                    break
            time.sleep(0.05)
        grading.join(300)
        assert not grading.is_alive()
        assert "error" not in box, box.get("error")
        assert killed is not None, "no worker was seen grading (the run ended first?)"
        # The nanny restarted the killed worker: still two, and the dead pid is gone.
        client.wait_for_workers(2, timeout=120)
        pids = {st["pid"] for st in client.run(kit_cluster._status).values()}
        assert killed[0] not in pids and len(pids) == 2
    s = box["summary"]
    assert not s.errors, s.errors
    assert sorted(s.graded) == sorted((st, a) for st, a, _ in CLASS)
    assert any(killed[1].startswith(f"convkit-grade-{st}-{a}-") for st, a, _ in CLASS)
    _same_outputs(local_run, course)


def test_dask_run_interrupted_then_resumed(dask_cluster, local_run, tmp_path):
    course = _write_class(tmp_path / "course")
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "class", str(course),
                             "--isolation", ISOLATION, "--scheduler", dask_cluster.scheduler_address],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    records = lambda: {(st, a) for st, a, _ in CLASS  # noqa: E731
                       if (course / "autograded" / st / a / RECORD).is_file()}
    deadline = time.monotonic() + 240
    while not records() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)           # Ctrl-C, once the first result is written
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "interrupted" in out
    done = records()
    assert done and done != {(st, a) for st, a, _ in CLASS}, done
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
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=logging.CRITICAL) as c, \
            distributed.Client(c.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(1, timeout=120)
        client.register_plugin(kit_cluster.Warmup(other, ISOLATION, "cpu", "run-x"),
                               name=kit_cluster.WARMUP)
        deadline = time.monotonic() + 60
        while client.scheduler_info()["workers"] and time.monotonic() < deadline:
            time.sleep(0.2)
        # Its reason reached the scheduler, where the client reads it.
        said = [ev for _, ev in client.get_events(kit_cluster.REFUSED) if ev["run"] == "run-x"]
        assert len(said) == 1 and "must run the very same kit" in said[0]["message"]
        assert not client.scheduler_info()["workers"]
        time.sleep(3)
        assert not client.scheduler_info()["workers"]      # not restarted with the other kit
