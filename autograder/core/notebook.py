"""How a notebook's code cells are read: the same reader for the instructor's solution notebooks
(``checks.reference``) and for a student's submission (``submission.load``), so that both are cut
into cells, named and stripped of magics alike.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

# A kit graded cell calls ``check("<exercise>", <exercise>)``: the notebooks, nbgrader's gradebook
# (its stored source cells) and the autograde step find a cell's exercise by that call.
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def exercise_of(cell_name: str, source: str | None) -> str:
    """The kit's exercise a graded cell grades: the one its source calls ``check("<name>", ...)``,
    else the cell's name (nbgrader's ``grade_id``) less a ``_test`` suffix or ``test_`` prefix."""
    return checked_exercise(source) or re.sub(r"(^test_|_test$)", "", cell_name)


def checked_exercise(source: str | None) -> str | None:
    """The exercise a cell's ``check("<name>", ...)`` call names, or None."""
    m = CHECK_CALL.search(source or "")
    return m.group(1) if m else None


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes are not Python: comment them out, keep line numbers."""
    out = []
    for line in source.splitlines():
        s = line.lstrip()
        out.append(("# " + line) if s.startswith(("%", "!")) else line)
    return "\n".join(out)


def cell_name(position: int, source: str) -> str:
    """How a cell is named in messages and tracebacks: its position among the code cells the grader
    runs (the order Jupyter's "Run All" runs them) and its first line, as the student sees it."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 48:
        first = first[:47] + "…"
    # The name starts with "<" and ends with ">" (a student file, see worker.execute): keep it so.
    return f"<code cell {position}: {first.replace('<', '‹').replace('>', '›')}>"


def notebook_cells(path: Path, exercise_only: bool = False) -> tuple[list, list]:
    """The code cells of a notebook as ``(name, source)``, graded test cells left out, and the
    problems found. Plain ``json``, not nbformat: importing nbformat's validators costs seconds.

    ``exercise_only``: only the cells a student may write, nbgrader's solution cells and the cells
    nbgrader does not manage (the student's own, the Try-it cells); its locked cells (the setup)
    are left out too (the similarity report compares these)."""
    problems = []
    try:
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        raw_cells = nb["cells"] if isinstance(nb, dict) else None
        if not isinstance(raw_cells, list):
            raise ValueError("no 'cells' list")
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        return [], [f"{path.name} is not a readable notebook (malformed JSON: {e}). Save it again "
                    f"from Jupyter and resubmit."]
    cells = []
    for i, cell in enumerate(raw_cells):
        try:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            meta = cell.get("metadata", {}) if isinstance(cell.get("metadata"), dict) else {}
            nbg = meta.get("nbgrader")
            if isinstance(nbg, dict) and nbg.get("grade"):
                continue   # graded test cells are the grader's business, not the student's code
            if exercise_only and isinstance(nbg, dict) and not nbg.get("solution"):
                continue
            src = cell.get("source", "")
            src = "".join(map(str, src)) if isinstance(src, list) else str(src)
        except Exception as e:      # a hand-edited notebook: report the cell, keep the others
            problems.append(f"cell {i} of {path.name} is malformed ({type(e).__name__}); skipped.")
            continue
        if src.strip():
            cells.append((cell_name(len(cells) + 1, src), strip_magics(src)))
    if not cells:
        problems.append(f"{path.name} has no code cells to grade.")
    return cells, problems
