"""The local executor: a class graded by a pool of processes on this machine (``--jobs N``).

Each process warms up once (``jobs.warm``) and grades many submissions; the class's examples are
made once, in parallel, and handed to every process (``engine.prepare``). A process that dies
(killed, out of memory) breaks only the submissions in flight: they are retried on a fresh pool,
and one that breaks it twice is graded alone and, if it kills that too, recorded as an error.
"""
from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from . import jobs as jobs_
from .jobs import DIED
from ..engine import prepare
from ..submission.course import Job


def init_worker(isolation: str) -> None:
    # Ctrl-C is the parent's to handle: it stops the pool and keeps what is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs_.warm(isolation, background=True)


# What the fork server imports once, so that every grading process forks with it loaded. (The
# sandbox zygotes are separate interpreters started afresh: nothing imported here reaches them.)
FORKSERVER_PRELOAD = ["torch", "hypothesis", "autograder.classroom.jobs"]


def start_forkserver() -> None:
    """Start the fork server now, so its imports overlap the parent's own work (keys, hashes)."""
    from multiprocessing import forkserver
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()


def _pool(jobs: int, isolation: str, start_method: str) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker,
                               initargs=(isolation,))


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except Exception:
            pass
    for p in procs:
        try:
            p.join(5)
        except Exception:
            pass


def _make_bundle(pool: ProcessPoolExecutor, assignment_ids) -> tuple | None:
    """The class's streams and plans, one exercise per pool task (see ``prepare``); None on failure."""
    try:
        futures = [pool.submit(prepare.make, keys) for keys in prepare.tasks(assignment_ids)]
        blob = prepare.merge(f.result() for f in futures)
    except Exception:
        return None
    return blob, prepare.digest(blob)


def grade_all(todo: list[Job], done, jobs: int, isolation: str, device: str,
              start_method: str = "forkserver", phase=None) -> None:
    """Grade ``todo`` with a pool of ``jobs`` processes; ``done(job, outcome)`` as each arrives,
    ``phase(text)`` when the run moves on to another step."""
    phase = phase or (lambda text: None)
    queue = list(todo)
    alone = []          # jobs that broke a shared pool twice: graded one at a time
    bundle = None
    while queue or alone:
        if queue:
            batch, width = queue, jobs
            queue = []
        else:
            batch, width = [alone.pop(0)], 1
        pool = _pool(min(width, len(batch)), isolation, start_method)
        try:
            if bundle is None and min(width, len(batch)) > 1:
                # Several processes: make the examples once, in parallel, instead of in each.
                phase("preparing the examples")
                bundle = _make_bundle(pool, sorted({j.assignment for j in todo}))
                if bundle is None:      # the pool may have broken: grade on a fresh one
                    _kill_pool(pool)
                    pool = _pool(min(width, len(batch)), isolation, start_method)
            phase("grading")
            futures = {pool.submit(jobs_.grade_job, j.path, j.assignment, isolation, device, bundle): j
                       for j in batch}
            pending = set(futures)
            broken = False
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = futures[fut]
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        job.attempts += 1
                        if width == 1:
                            done(job, {"error": DIED, "retry": True})
                        elif job.attempts >= 2:
                            alone.append(job)
                        else:
                            queue.append(job)
                        continue
                    except Exception as e:      # pickling trouble and the like
                        outcome = {"error": f"{type(e).__name__}: {e}"}
                    done(job, outcome)
            if broken:
                _kill_pool(pool)
            else:
                pool.shutdown(wait=True)
        except BaseException:
            _kill_pool(pool)
            raise
