"""Which file of a submission is graded: one rule for a course's folder
(``submitted/<student>/<assignment>/``, ``make grade``) and for an upload (Gradescope), so that the
same files are graded from the same file wherever they are handed in.

Candidates are the notebooks (``.ipynb``) and Python modules (``.py``) anywhere under the folder,
except hidden files and folders, ``_*.py`` and the folders tools leave (checkpoints, caches,
``__MACOSX``). A notebook comes before a module; among them, one named after the assignment
(``corr2d.ipynb`` for ``corr2d``), then one whose name holds it, then the shallowest, then by
path. When several of the chosen kind are there, the student is told which was graded.
"""
from __future__ import annotations

from pathlib import Path

SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git"}


def candidates(folder: Path) -> list[Path]:
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if SKIP_PARTS & set(rel) or any(part.startswith(".") for part in rel):
            continue
        # A link that leads nowhere is the student's to hear about (``load`` says it cannot be
        # read), not a file that is not there.
        if p.suffix in (".ipynb", ".py") and not p.name.startswith("_") and \
                (p.is_file() or p.is_symlink()):
            found.append(p)
    return found


def pick(folder, assignment_id: str | None = None) -> tuple[Path | None, list[str]]:
    """The file to grade in ``folder`` and notes for the student; ``assignment_id`` defaults to
    the folder's name (nbgrader's layout)."""
    folder = Path(folder)
    aid = (assignment_id or folder.name).lower()
    found = candidates(folder)
    if not found:
        return None, ["Your submission holds no notebook (.ipynb) and no Python module (.py): "
                      f"hand in your {assignment_id or folder.name}.ipynb."]

    def rank(p: Path):
        stem = p.stem.lower()
        return (p.suffix != ".ipynb", stem != aid, aid not in stem,
                len(p.relative_to(folder).parts), str(p))
    found.sort(key=rank)
    chosen, notes = found[0], []
    # A second notebook (a copy, a scratch file) must not decide the grade silently.
    others = [p for p in found[1:] if p.suffix == chosen.suffix]
    if others:
        kind = "notebooks" if chosen.suffix == ".ipynb" else "Python files"
        shown = ", ".join(str(p.relative_to(folder)) for p in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        notes.append(f"Your submission holds {len(others) + 1} {kind}; graded "
                     f"{chosen.relative_to(folder)}, ignored {shown}{more}.")
    return chosen, notes
