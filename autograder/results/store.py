"""Where a course's results live and how every file of a run is written.

The kit's files live in a folder of their own, ``OUT`` = ``COURSE/convkit/`` by default, where
nbgrader never writes or deletes: ``nbgrader autograde`` skips a ``COURSE/autograded/<s>/<a>/``
folder it did not make and ``--force`` removes it, ``release_feedback`` publishes whatever sits in
``COURSE/feedback/<s>/<a>/`` and ``nbgrader export`` writes ``grades.csv`` in the folder it runs in.
``OUT/autograded/<student>/<assignment>/`` holds ``results.json`` (Gradescope's format) and
``convkit.json`` (the class run's record of how it was graded), ``OUT/feedback/...`` the pages,
``OUT`` itself the class files. Every file a run writes is written whole or not at all
(``atomic_write``), so that a run stopped at any moment leaves nothing half-written.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

RECORD = "convkit.json"
RESULTS = "results.json"
KIT_DIR = "convkit"
# The folders and files of an nbgrader course that nbgrader itself writes: OUT may not be one.
NBGRADER_OWNED = ("autograded", "feedback", "submitted", "release", "source", "downloaded",
                  "outbound", "inbound")
PAGES = ("feedback.html", "feedback.md")


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path):
    """A JSON file's value, or None when it is missing or unreadable (a run stopped mid-way, a
    hand-edited file): readers treat both as "no result"."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def graded_dir(out: Path, student: str, assignment: str) -> Path:
    return Path(out) / "autograded" / student / assignment


def feedback_dir(out: Path, student: str, assignment: str) -> Path:
    return Path(out) / "feedback" / student / assignment


def default_out(course: Path) -> Path:
    return Path(course) / KIT_DIR


def check_out(course: Path, out: Path) -> None:
    """Refuse an output folder that is nbgrader's: the course root (its ``autograded/`` and
    ``feedback/`` would be the kit's) or one of nbgrader's own folders."""
    course, out = Path(course).resolve(), Path(out).resolve()
    if out == course or any(out == course / d or course / d in out.parents
                            for d in NBGRADER_OWNED):
        raise ValueError(f"--out {out}: that is nbgrader's folder (nbgrader autograde skips or "
                         f"deletes what another tool writes there); the kit writes its files to "
                         f"{default_out(course)} by default")


def move_legacy(course: Path, out: Path) -> list[str]:
    """Move the records and pages an older kit wrote into nbgrader's folders
    (``COURSE/autograded/<s>/<a>/{results,convkit}.json``, ``COURSE/feedback/<s>/<a>/feedback.*``)
    to ``OUT``, so their history (regrade.csv's "previous") is kept and nbgrader no longer skips
    those folders. Only a folder holding the kit's record is touched; nbgrader's own files stay.
    Returns "student/assignment" of what was moved."""
    course, moved = Path(course), []
    for rec in sorted(course.glob(f"autograded/*/*/{RECORD}")):
        adir = rec.parent
        student, assignment = adir.parent.name, adir.name
        dest = graded_dir(out, student, assignment)
        fsrc = course / "feedback" / student / assignment
        pairs = [(adir / n, dest / n) for n in (RESULTS, RECORD)]
        pairs += [(fsrc / n, feedback_dir(out, student, assignment) / n) for n in PAGES]
        for src, dst in pairs:
            if not src.is_file():
                continue
            if dst.exists():
                src.unlink()           # the newer run's file wins
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        for d in (adir, adir.parent, fsrc, fsrc.parent):
            try:
                d.rmdir()              # only when empty: nbgrader's files are never removed
            except OSError:
                pass
        moved.append(f"{student}/{assignment}")
    return moved
