"""The kit's reference solutions, read from the solution notebooks (the one source of truth).

The instructor's ``solutions/<assignment>/<assignment>.ipynb`` is executed here, in the trusted
grader (never in a worker), and its definitions are looked up by name. ``solution`` returns None,
and checks fall back to the float64 oracle (which the kit's tests show gives the same points), in
three cases: in the student kit (``make student-kit``: the package holds no solutions and its
``_kit.STUDENT`` says so, whatever ``CONVKIT_SOLUTIONS`` says), during a student's self-check
(``withheld()``: ``check()`` and ``python -m autograder check`` never read the instructor's files,
even on the instructor's machine), and where no solution notebook exists.
"""
from __future__ import annotations

import contextlib
import io
import os
from functools import lru_cache
from pathlib import Path

from ..core.declarations import assignment_of
from ..core.notebook import notebook_cells

ROOT = Path(__file__).resolve().parents[2]

try:    # written into the student kit by tools/build_student_kit.py; absent in the repository
    from .._kit import STUDENT as _STUDENT_KIT
except ImportError:
    _STUDENT_KIT = False

_withheld = 0


@contextlib.contextmanager
def withheld():
    """While inside, no solution is read: the oracle stands in (a student's self-check)."""
    global _withheld
    _withheld += 1
    try:
        yield
    finally:
        _withheld -= 1


def available() -> bool:
    """Whether solutions may be read here and now."""
    return not (_STUDENT_KIT or _withheld)


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
    if not available():
        return None
    ns = _namespace(assignment_of(name))
    return None if ns is None else ns.get(name)
