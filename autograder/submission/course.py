"""The submissions of an nbgrader course folder: ``COURSE/submitted/<student>/<assignment>/``,
each a ``Job`` (found by ``discover``), and what identifies a submission's files
(``submission_hash``)."""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


@dataclass
class Job:
    student: str
    assignment: str
    path: str
    key: str = ""
    attempts: int = 0
    # The key's parts, kept in the record so that a regrade can say why (``regrade``).
    code: str = ""
    grader: str = ""
    settings: str = ""


def discover(course: Path, only: list[str] | None, known: set[str]):
    """The submissions under ``course/submitted`` (sorted), and the unknown assignment folders."""
    jobs, unknown = [], []
    root = course / "submitted"
    for sdir in sorted(root.iterdir()):
        if sdir.name.startswith(".") or not sdir.is_dir():
            continue
        for adir in sorted(sdir.iterdir()):
            if adir.name.startswith(".") or adir.name in SKIP_NAMES:
                continue
            if not (adir.is_dir() or adir.is_symlink()):
                continue
            if adir.name not in known:
                unknown.append((sdir.name, adir.name))
                continue
            if only and adir.name not in only:
                continue
            jobs.append(Job(sdir.name, adir.name, str(adir)))
    return jobs, unknown


def submission_hash(path: Path) -> str:
    """sha256 over the submission folder's file names and contents. A symlink counts by its
    target's name (and content when readable); an unreadable entry makes the key unique to this
    run, so it is always regraded (and its error recorded)."""
    h = hashlib.sha256()
    entries = [path] if not path.is_dir() or path.is_symlink() else sorted(path.rglob("*"))
    for p in entries:
        if any(part in SKIP_NAMES for part in p.parts):
            continue
        rel = p.name if p == path else str(p.relative_to(path))
        try:
            if p.is_symlink():
                h.update(b"L" + rel.encode() + b"\0" + os.readlink(p).encode() + b"\0")
            if p.is_file():
                h.update(b"F" + rel.encode() + b"\0")
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
        except OSError as e:
            h.update(f"E{rel}:{e}:{time.time_ns()}".encode())
    return h.hexdigest()
