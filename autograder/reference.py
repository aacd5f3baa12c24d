"""The kit's reference solutions, read from the solution notebooks (the one source of truth).

The instructor's ``solutions/<assignment>/<assignment>.ipynb`` is executed here, in the trusted
grader (never in a worker), and its definitions are looked up by name. On a student's machine the
kit carries no solutions: ``solution`` then returns None and checks fall back to the oracle, which
the kit's own tests show agrees with the reference on the same inputs.
"""
from __future__ import annotations

import contextlib
import io
import os
from functools import lru_cache
from pathlib import Path

from .submission import notebook_cells

ROOT = Path(__file__).resolve().parent.parent


def solutions_dir() -> Path:
    return Path(os.environ.get("CONVKIT_SOLUTIONS", ROOT / "solutions"))


@lru_cache(maxsize=None)
def _namespace(assignment_id: str) -> dict | None:
    path = solutions_dir() / assignment_id / f"{assignment_id}.ipynb"
    if not path.is_file():
        return None
    ns: dict = {"__name__": "__reference__"}
    cells, _ = notebook_cells(path)    # the same reader as for students' notebooks
    # A cell that imports matplotlib must not look for a display here. Only while the cells
    # run: left in os.environ, it would reach every process started later (a Jupyter kernel
    # with MPLBACKEND=Agg draws no inline picture).
    before = os.environ.get("MPLBACKEND")
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        for name, source in cells:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(source, name, "exec"), ns)
            except Exception:
                continue    # a demonstration cell that fails here must not hide the definitions
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
    return ns


def solution(name: str):
    """The reference definition of exercise ``name``, or None where the kit has no solutions."""
    from .assignments import find_exercise
    assignment, _ = find_exercise(name)
    ns = _namespace(assignment.id)
    return None if ns is None else ns.get(name)
