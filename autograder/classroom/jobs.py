"""What a grading process does, whichever executor started it (``pool``'s processes, ``cluster``'s
Dask workers): warm up once (torch, the engine, the sandbox zygote) and grade one submission
without ever raising.
"""
from __future__ import annotations

import os
import threading
import time
import traceback

import torch

from ..engine import prefetch, prepare
from ..engine.grade import grade
from ..sandbox import isolation as iso
from ..submission.load import Unreadable

# What an executor records when the process grading a submission died under it.
DIED = "the grading process died while grading this submission (killed, or out of memory)"

_WARM_LOCK = threading.Lock()
_WARM: dict = {}


def warm(isolation: str, device: str = "cpu", background: bool = False) -> str | None:
    """Ready this process to grade many submissions, once: one thread for torch, plans recorded
    (they pay for themselves over many submissions), and the zygote every submission's worker is
    forked from. ``background``: the zygote starts in a thread (it imports torch while this
    process imports the checks). Returns why the zygote failed to start, or None; ``grade``
    starts it again and reports it, per submission."""
    with _WARM_LOCK:        # a Dask worker's preload and its plugin may both ask
        if _WARM.get("settings") == (isolation, device):
            return _WARM.get("zygote_error")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        torch.set_num_threads(1)
        prefetch.RECORD_PLANS = True
        _WARM["zygote_error"] = None
        if isolation != "none":
            def start():
                try:
                    iso.get_zygote(isolation == "sandbox", device)
                except Exception as e:
                    _WARM["zygote_error"] = f"{type(e).__name__}: {e}"
            if background:
                threading.Thread(target=start, daemon=True).start()
            else:
                start()
        _WARM["settings"] = (isolation, device)
        return _WARM["zygote_error"]


def grade_job(path: str, assignment: str, isolation: str, device: str,
              bundle: tuple | None = None) -> dict:
    """Grade one submission; never raises: an exception becomes ``{"error": ...}``.

    ``bundle`` is ``(blob, digest)`` from ``prepare``: the class's streams and plans, installed
    once per process (without it, the process makes what it needs itself)."""
    t0 = time.monotonic()
    if bundle is not None:
        try:
            prepare.install(*bundle)
        except Exception:
            pass        # a bundle that cannot be used only costs time: the checks make their own
    try:
        results = grade(path, assignment, isolation=isolation, device=device)
        return {"results": results, "error": None, "seconds": time.monotonic() - t0}
    except BaseException as e:          # noqa: BLE001  (a student's SystemExit included)
        tb = traceback.format_exception_only(type(e), e)
        # The submission's own fault gives the same error again; anything else (the sandbox
        # failed to start under load, bwrap missing, a full disk) is retried on the next run.
        return {"results": None, "error": "".join(tb).strip(), "seconds": time.monotonic() - t0,
                "retry": not isinstance(e, Unreadable)}
