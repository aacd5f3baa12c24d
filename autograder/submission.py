"""Load a submission: a ``.py`` module, an ``.ipynb`` notebook, or a folder holding one.

The result is a list of ``(name, source)`` code cells ready to run in a worker, plus the problems a
student should hear about (malformed notebook, no code, two notebooks in one folder). Loading never
runs student code; it only reads files, so it is safe in the trusted grader.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


MAX_SOURCE = 2 << 20    # 2 MiB of code is far beyond any honest notebook


class Unreadable(Exception):
    """The path itself cannot be graded (missing, not a file we know)."""


@dataclass
class Submission:
    path: Path
    cells: list = field(default_factory=list)      # [(name, source)]
    problems: list = field(default_factory=list)   # messages for the student
    file: Path | None = None



def _pick(folder: Path) -> tuple[Path | None, list[str]]:
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    modules = sorted(p for p in folder.glob("*.py") if not p.name.startswith((".", "_")))
    problems = []
    if notebooks:
        if len(notebooks) > 1:
            # A student's second notebook (a copy, a scratch file) must not decide the grade
            # silently: prefer the one named after the folder, and say so.
            named = [p for p in notebooks if p.stem == folder.name]
            chosen = named[0] if named else notebooks[0]
            others = ", ".join(p.name for p in notebooks if p != chosen)
            problems.append(f"Your folder holds {len(notebooks)} notebooks; graded {chosen.name}, "
                            f"ignored {others}.")
            return chosen, problems
        return notebooks[0], problems
    if modules:
        if len(modules) > 1:
            named = [p for p in modules if p.stem == folder.name]
            chosen = named[0] if named else modules[0]
            problems.append(f"Your folder holds {len(modules)} Python files; graded {chosen.name}.")
            return chosen, problems
        return modules[0], problems
    return None, ["Your submission folder holds no notebook (.ipynb) and no Python module (.py)."]


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


def load(path: str | Path) -> Submission:
    try:
        return _load(Path(path))
    except OSError as e:    # a dangling link, an unreadable file: the submission's own state
        raise Unreadable(f"{path}: cannot read the submission ({type(e).__name__}: {e})") from None


def _load(path: Path) -> Submission:
    if not path.exists():
        raise Unreadable(f"{path}: no such file or folder")
    sub = Submission(path)
    target = path
    if path.is_dir():
        target, problems = _pick(path)
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
