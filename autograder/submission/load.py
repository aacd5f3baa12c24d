"""Load a submission: a ``.py`` module, an ``.ipynb`` notebook, or a folder holding one.

The result is a list of ``(name, source)`` code cells ready to run in a worker, plus the problems a
student should hear about (malformed notebook, no code, two notebooks in one folder). Loading never
runs student code; it only reads files, so it is safe in the trusted grader.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.notebook import notebook_cells
from .pick import pick


MAX_SOURCE = 2 << 20    # 2 MiB of code is far beyond any honest notebook


class Unreadable(Exception):
    """The path itself cannot be graded (missing, not a file we know)."""


@dataclass
class Submission:
    path: Path
    cells: list = field(default_factory=list)      # [(name, source)]
    problems: list = field(default_factory=list)   # messages for the student
    file: Path | None = None


def load(path: str | Path, assignment_id: str | None = None) -> Submission:
    """The submission at ``path``: a file, or the file ``pick`` chooses in a folder."""
    try:
        return _load(Path(path), assignment_id)
    except OSError as e:    # a dangling link, an unreadable file: the submission's own state
        raise Unreadable(f"{path}: cannot read the submission ({type(e).__name__}: {e})") from None


def _load(path: Path, assignment_id: str | None) -> Submission:
    if not path.exists():
        raise Unreadable(f"{path}: no such file or folder")
    sub = Submission(path)
    target = path
    if path.is_dir():
        target, problems = pick(path, assignment_id)
        sub.problems += problems
        if target is None:
            return sub
    sub.file = target
    if target.stat().st_size > MAX_SOURCE:
        sub.problems.append(f"{target.name} is larger than {MAX_SOURCE >> 20} MiB; not graded.")
        return sub
    if target.suffix == ".ipynb":
        cells, problems = notebook_cells(target)
        sub.cells, sub.problems = cells, sub.problems + problems
    elif target.suffix == ".py":
        src = target.read_text(encoding="utf-8", errors="replace")
        sub.cells = [(f"<{target.name}>", src)]
        if not src.strip():
            sub.problems.append(f"{target.name} is empty.")
    else:
        raise Unreadable(f"{target}: expected a .py module, an .ipynb notebook or a folder")
    return sub
