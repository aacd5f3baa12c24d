"""Where a course's results live and how every file of a run is written.

``OUT/autograded/<student>/<assignment>/`` holds ``results.json`` (Gradescope's format) and
``convkit.json`` (the class run's record of how it was graded); every file a run writes, those and
the class files, is written whole or not at all (``atomic_write``), so that a run stopped at any
moment leaves nothing half-written.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

RECORD = "convkit.json"
RESULTS = "results.json"


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
