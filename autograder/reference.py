"""The kit's reference solutions, read from the solution notebooks (the one source of truth).

The instructor's ``solutions/<assignment>/<assignment>.ipynb`` is executed here, in the trusted
grader (never in a worker), and its definitions are looked up by name. On a student's machine the
kit carries no solutions: ``solution`` then returns None and checks fall back to the oracle, which
the kit's own tests show agrees with the reference on the same inputs.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def solutions_dir() -> Path:
    return Path(os.environ.get("CONVKIT_SOLUTIONS", ROOT / "solutions"))


def notebook_code(path: Path, include_graded: bool = False) -> list[tuple[str, str]]:
    """The code cells of a notebook as ``(name, source)``, graded test cells left out.

    Plain ``json``, not nbformat: importing nbformat's schema validators costs seconds.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not include_graded:
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        cells.append((f"<{path.stem} cell {i}>", strip_magics(src)))
    return cells


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes are not Python: comment them out, keep line numbers."""
    out = []
    for line in source.splitlines():
        s = line.lstrip()
        out.append(("# " + line) if s.startswith(("%", "!")) else line)
    return "\n".join(out)


@lru_cache(maxsize=None)
def _namespace(assignment_id: str) -> dict | None:
    path = solutions_dir() / assignment_id / f"{assignment_id}.ipynb"
    if not path.is_file():
        return None
    os.environ.setdefault("MPLBACKEND", "Agg")
    ns: dict = {"__name__": "__reference__"}
    for name, source in notebook_code(path):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, name, "exec"), ns)
        except Exception:
            continue    # a demonstration cell that fails here must not hide the definitions
    return ns


def solution(name: str):
    """The reference definition of exercise ``name``, or None where the kit has no solutions."""
    from .assignments import find_exercise
    assignment, _ = find_exercise(name)
    ns = _namespace(assignment.id)
    return None if ns is None else ns.get(name)
