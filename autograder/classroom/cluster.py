"""Grade a class on an existing Dask cluster: ``python -m autograder class COURSE --scheduler ADDR``.

Dask does the distribution (``dask.distributed``'s scheduler, workers, retries on worker loss);
this module only says what a Dask worker does before and while it grades, and gathers the results
on the client, which writes them exactly as a local run does (``records.finish``: the same
results.json, feedback pages, record and class files, resumable in the same way).

What a Dask worker does, once (``Warmup``, a ``WorkerPlugin`` the client registers; a worker that
joins later, a restarted one included, runs it before it takes a task):

- refuses to grade with another kit: its grader fingerprint (the kit's files, the reference
  solutions, the torch, hypothesis and numpy versions: ``records.grader_fingerprint``) must be
  the client's, else the worker is closed (its nanny too, so it is not restarted) with the
  reason in its log and on the client's terminal;
- imports torch (one thread) and the grader, and starts this process's sandboxed zygote
  (``isolation.get_zygote``), from which every submission's fresh sandboxed worker is forked;
- installs the class's prepared example streams and request plans (``Bundle``, a second plugin:
  made once per run by one task per exercise on the cluster, ``prepare.make``, merged on the
  client, and shipped with the plugin, so once per Dask worker, never per task).

``dask worker ADDR --preload autograder.classroom.cluster`` does the expensive part of the warm-up
(torch, the zygote) when the worker starts, before any
client connects (``dask_setup``). Without ``--preload`` the plugin does all of it.

Failures: a submission's own code runs in a sandboxed child of the zygote, so nothing it does can
end the Dask worker. A Dask worker that dies anyway (killed, out of memory, its machine lost)
loses nothing: Dask reschedules the submissions it held on the other workers (the scheduler's
``distributed.scheduler.allowed-failures``, 3 by default, bounds how many workers one task may
take down; then ``KilledWorker`` arrives here and the submission is recorded as an error that a
rerun retries). A task that raises (it never should: ``jobs.grade_job`` turns every error
into an outcome) is retried once (``RETRIES``). The submissions are read by the workers at the
path the client found them: every node needs the course folder at the same path (a shared file
system); a worker that cannot see it says so in that submission's error, and a rerun retries it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from concurrent.futures import CancelledError

from distributed import Client, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker

from . import jobs
from .jobs import DIED
from .records import ClassError, grader_fingerprint
from ..engine import prepare
from ..sandbox.isolation import bwrap_path

# Under "distributed": shown in the dask worker's log with its own messages.
logger = logging.getLogger("distributed.convkit")

RETRIES = 1                 # for a task that raises; worker loss is Dask's allowed-failures
CONNECT_TIMEOUT_S = 30
WARMUP = "convkit-warmup"
BUNDLE = "convkit-bundle"

# This Dask worker process's state: what ``Warmup`` found and did.
_STATE: dict = {}


def kit_version() -> str:
    try:
        from importlib.metadata import version
        return version("convkit")
    except Exception:
        return "?"


def kit_identity() -> dict:
    """What must match between the client and every worker."""
    return {"version": kit_version(), "fingerprint": grader_fingerprint()}


def mismatch(ours: dict, theirs: dict, where: str) -> str | None:
    """Why a worker with ``ours`` must not grade for a client with ``theirs`` (None: it may)."""
    if ours == theirs:
        return None
    return (f"convkit on {where} is version {ours['version']} (grader fingerprint "
            f"{ours['fingerprint'][:12]}), the client's is {theirs['version']} "
            f"({theirs['fingerprint'][:12]}): a worker must run the very same kit (same commit, "
            f"same torch and hypothesis, `make install` in its checkout), or it would grade "
            f"differently. This worker is refused.")


def warm_here(isolation: str, device: str = "cpu") -> dict:
    """Import torch and the grader, start the zygote (once per process; runs in a thread)."""
    _STATE["zygote_error"] = jobs.warm(isolation, device)
    return _STATE


REFUSED = "convkit-refused"     # the Dask event topic a refused worker reports on


def _refuse(worker, message: str, run: str) -> None:
    logger.error("%s", message)
    _STATE["refused"] = message
    # Through the scheduler to the client, which prints it (the worker itself is about to go).
    worker.log_event(REFUSED, {"run": run, "worker": worker.address, "message": message})

    async def close():
        try:
            await worker.close(nanny=True, reason="convkit: " + message[:200])
        except Exception:
            pass
    # Not awaited here: the worker is still inside its plugin setup.
    asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(close()))


class Warmup(WorkerPlugin):
    """Checks the kit, imports torch and the grader, starts the sandboxed zygote (see above)."""
    idempotent = False

    def __init__(self, identity: dict, isolation: str, device: str, run: str = ""):
        self.identity, self.isolation, self.device = identity, isolation, device
        self.run = run

    async def setup(self, worker):
        loop = asyncio.get_running_loop()
        # Hashing the kit and importing torch take seconds: off the worker's event loop, which
        # must keep answering the scheduler meanwhile.
        ours = await loop.run_in_executor(None, kit_identity)
        why = mismatch(ours, self.identity, f"worker {worker.address} ({socket.gethostname()})")
        if why:
            _refuse(worker, why, self.run)
            return
        _STATE["identity"] = self.identity
        await loop.run_in_executor(None, warm_here, self.isolation, self.device)


class Bundle(WorkerPlugin):
    """The class's example streams and plans (``prepare``), installed once per worker process."""
    idempotent = False

    def __init__(self, blob: bytes, digest: str):
        self.blob, self.digest = blob, digest

    async def setup(self, worker):
        def install():
            try:
                prepare.install(self.blob, self.digest)
                _STATE["bundle"] = self.digest
            except Exception as e:      # only costs time: each check makes its own
                logger.warning("convkit: the prepared examples could not be installed: %s", e)
        await asyncio.get_running_loop().run_in_executor(None, install)


async def dask_setup(worker) -> None:
    """``dask worker ... --preload autograder.classroom.cluster``: warm up when the worker starts (in a
    thread: the worker's event loop keeps talking to the scheduler meanwhile)."""
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, warm_here, "sandbox" if bwrap_path() else "process")
        logger.info("convkit preload: torch imported, sandbox zygote started")
    except Exception as e:              # the plugin tries again, and grading reports it
        logger.warning("convkit preload: warm-up failed: %s", e)


def _status(dask_worker=None) -> dict:
    """What this worker process did to warm up, and what it is grading now (``client.run``)."""
    executing = []
    if dask_worker is not None:
        executing = sorted(str(ts.key) for ts in dask_worker.state.executing)
    return {"refused": _STATE.get("refused"), "zygote_error": _STATE.get("zygote_error"),
            "bundle": _STATE.get("bundle"), "pid": os.getpid(), "host": socket.gethostname(),
            "executing": executing}


def make_examples_task(keys):
    return prepare.make(keys)


def grade_task(path: str, assignment: str, isolation: str, device: str, expected: dict) -> dict:
    """One submission, graded in a fresh sandboxed worker forked from this process's zygote."""
    if _STATE.get("refused") or _STATE.get("identity") != expected:
        # Not warmed up by this client's plugin (or refused): never grade with another kit.
        got = kit_identity()
        why = mismatch(got, expected, f"worker on {socket.gethostname()}")
        if why:
            raise RuntimeError(why)
        _STATE["identity"] = expected
    if not os.path.lexists(path):
        return {"results": None, "retry": True, "seconds": 0.0,
                "error": f"the Dask worker on {socket.gethostname()} cannot see {path}: every "
                         f"worker needs the course folder at the same path as the client (a "
                         f"shared file system)"}
    warm_here(isolation, device)
    return jobs.grade_job(path, assignment, isolation, device, None)


def connect(address: str):
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ClassError(f"cannot reach the Dask scheduler at {address} ({type(e).__name__}: "
                         f"{e}); start one with `dask scheduler` and workers with `dask worker "
                         f"{address}` (README, \"Grading on a Dask cluster\"). Nothing was "
                         f"graded.") from None


def register_plugins(client, isolation: str, device: str, assignment_ids, console=None) -> dict:
    """Register the plugins (warm-up, then the prepared examples); returns the identity sent."""
    identity, run = kit_identity(), uuid.uuid4().hex
    answered = client.register_plugin(Warmup(identity, isolation, device, run), name=WARMUP)
    status = client.run(_status, on_error="return") if answered else {}
    ready = {w for w, st in status.items() if isinstance(st, dict) and not st["refused"]}
    refused: dict = {}
    deadline = time.monotonic() + 3
    while True:
        # A refused worker's reason comes as a Dask event (it may trail the plugin's answer).
        refused = {ev["worker"]: ev["message"] for _, ev in client.get_events(REFUSED)
                   if isinstance(ev, dict) and ev.get("run") == run}
        if len(ready) + len(refused) >= len(answered) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for w, why in refused.items():
        msg = f"refused Dask worker {w}: {why}"
        (console.print(msg, markup=False, highlight=False) if console else logger.error(msg))
    if answered and not ready:
        raise ClassError("no Dask worker can grade for this kit (every one was refused, see "
                         "above, or is gone); nothing was graded.")
    if not answered:
        msg = "the Dask cluster has no worker yet: the run waits for one (`dask worker ADDRESS`)"
        (console.print(msg, markup=False, highlight=False) if console else logger.warning(msg))
    try:
        groups = prepare.tasks(sorted(assignment_ids))
        futures = client.map(make_examples_task, groups, pure=False, retries=RETRIES,
                             key=[f"convkit-prepare-{uuid.uuid4().hex}" for _ in groups])
        blob = prepare.merge(client.gather(futures))
        client.register_plugin(Bundle(blob, prepare.digest(blob)), name=BUNDLE)
    except Exception as e:          # only costs time: each worker makes its own examples
        logger.warning("convkit: preparing the examples on the cluster failed: %s", e)
    return identity


def grade_all(todo, done, address: str, isolation: str, device: str, console=None,
              phase=None) -> bool:
    """``pool.grade_all`` on a Dask cluster: ``done(job, outcome)`` as each arrives, ``phase(text)``
    as the run moves on. Returns whether the cluster dropped submissions before grading them (the
    run counts as interrupted)."""
    phase = phase or (lambda text: None)
    phase("connecting to the Dask cluster")
    client = connect(address)
    futures, lost = {}, []
    try:
        phase("warming up the Dask workers and preparing the examples")
        identity = register_plugins(client, isolation, device, {j.assignment for j in todo}, console)
        phase("grading")
        for job in todo:
            # Absolute: a worker's working folder is not the client's.
            path = os.path.abspath(job.path)
            fut = client.submit(grade_task, path, job.assignment, isolation, device, identity,
                                key=f"convkit-grade-{job.student}-{job.assignment}-"
                                    f"{uuid.uuid4().hex[:8]}",
                                pure=False, retries=RETRIES)
            futures[fut] = (job, path)
        for fut in as_completed(list(futures), loop=client.loop):
            job, path = futures.pop(fut)
            try:
                outcome = fut.result()
                if outcome.get("error") and path != job.path:
                    # The same message as a local run's, which names the path as it was given.
                    outcome["error"] = outcome["error"].replace(path, job.path)
            except CancelledError:
                # The cluster dropped it (the scheduler lost, or restarted): not the
                # submission's doing. Nothing is written; the run counts as interrupted.
                lost.append(job)
                continue
            except KilledWorker as e:
                outcome = {"error": f"{DIED}, on {e.allowed_failures + 1} Dask workers in turn",
                           "retry": True}
            except Exception as e:
                outcome = {"error": f"{type(e).__name__}: {e}", "retry": True}
            fut.release()
            done(job, outcome)
        if lost:
            msg = (f"the Dask cluster dropped {len(lost)} submission(s) before grading them "
                   f"(scheduler lost or restarted); rerun to grade them")
            (console.print(msg, markup=False, highlight=False) if console else logger.error(msg))
        return bool(lost)
    finally:
        # Ctrl-C included: nothing more runs for this client; what is written stays.
        try:
            if futures:
                client.cancel(list(futures))
            for name in (BUNDLE, WARMUP):
                try:
                    client.unregister_worker_plugin(name)
                except Exception:
                    pass
        finally:
            client.close()
