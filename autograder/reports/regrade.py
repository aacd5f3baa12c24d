"""The regrade diff of a class run: ``OUT/regrade.csv`` and the class report's "Regraded" section.

A class run regrades a submission whose key changed (``classroom.job_key``: the submission's
files, the grader, the isolation and device). Just before the new result replaces the old one,
``previous(adir)`` reads what is on disk (the old ``results.json`` per exercise, and the inputs the
old ``convkit.json`` recorded) and ``classroom.write_submission`` keeps it in the new record under
``"previous"``, next to this grade's own inputs:

    code          sha256 of the submission's files (``classroom.submission_hash``)
    grader        the grader's fingerprint (``classroom.grader_fingerprint``: the kit's files, the
                  reference solutions, the hypothesis/torch/numpy versions)
    declarations  the assignment's own part of it: its module's source, every exercise's checks
                  and points, its reference notebook, the kit's version
    settings      isolation/device

After the run, ``write(out, graded)`` compares, for every submission this run regraded, the old
and new score of each exercise, and writes ``regrade.csv`` (one row per student, assignment and
exercise whose score changed: old, new, why) when the run regraded anything; a run that regraded
nothing (first grades, everything up to date) leaves the last one in place. ``why`` is
"code changed" when the submission's hash changed, "grader changed" when the grader's fingerprint
or the assignment's declarations changed, both joined by "; " when both did; "settings changed"
(isolation or device), "earlier grading failed" (the old result was an error) and "regraded with
nothing changed" (``--force``) cover the rest. ``detail`` says what changed in the grader.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

from .. import assignments
from ..checks.reference import solutions_dir
from ..results.scoring import by_exercise
from ..results.store import RECORD, RESULTS, atomic_write, graded_dir, read_json

CSV = "regrade.csv"
COLUMNS = ["student_id", "assignment", "exercise", "old", "new", "why", "detail", "graded_at"]
_INPUTS = ("code", "grader", "declarations", "settings")


@lru_cache(maxsize=None)
def declarations(assignment_id: str) -> str:
    """sha256 of what one assignment declares: its module's source, each exercise's checks and
    points as the engine reads them, its reference notebook, the kit's version."""
    a = assignments.get(assignment_id)
    h = hashlib.sha256()
    module = Path(assignments.__file__).parent / f"{assignment_id}.py"
    for p in (module, solutions_dir() / assignment_id / f"{assignment_id}.ipynb"):
        h.update(p.name.encode() + b"\0" + (p.read_bytes() if p.is_file() else b"(none)") + b"\0")
    declared = [(e.name, [(c.name, c.points) for c in e.checks]) for e in a.exercises]
    h.update(json.dumps(declared).encode())
    try:
        from importlib.metadata import version
        h.update(f"convkit=={version('convkit')}".encode())
    except Exception:
        h.update(b"convkit==?")
    return h.hexdigest()


def per_exercise(results) -> dict:
    """Each exercise's points, rounded as they are added (as records of earlier runs hold them)."""
    out: dict = {}
    for ex, tests in by_exercise(results).items():
        for t in tests:
            try:
                out[ex] = round(out.get(ex, 0.0) + float(t["score"]), 4)
            except (KeyError, TypeError, ValueError):
                continue
    return out


def previous(adir: Path) -> dict | None:
    """The result on disk in ``adir`` before it is replaced: per-exercise scores and the inputs
    its record kept (None when there is no readable earlier result)."""
    results = read_json(adir / RESULTS)
    if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
        return None
    record = read_json(adir / RECORD)
    record = record if isinstance(record, dict) else {}
    prev = {"exercises": per_exercise(results), "status": record.get("status"),
            "graded_at": record.get("graded_at")}
    for k in _INPUTS:
        prev[k] = record.get(k)
    return prev


def why(prev: dict, record: dict) -> tuple[str, str]:
    """(why, detail) a score moved from ``prev`` to ``record``."""
    if not prev.get("code"):
        return "unknown", "the earlier result was graded by a kit that did not record its inputs"
    reasons, detail = [], []
    if prev["code"] != record.get("code"):
        reasons.append("code changed")
    if prev.get("grader") != record.get("grader") or \
            prev.get("declarations") != record.get("declarations"):
        reasons.append("grader changed")
        if prev.get("declarations") != record.get("declarations"):
            detail.append("the assignment's checks, points or reference changed")
        if prev.get("grader") != record.get("grader"):
            detail.append("the grader's fingerprint changed (its code, references or versions)")
    if prev.get("settings") != record.get("settings"):
        reasons.append("settings changed")
        detail.append(f"isolation/device {prev.get('settings')} -> {record.get('settings')}")
    if not reasons:
        if prev.get("status") == "error" or record.get("status") == "error":
            reasons.append("earlier grading failed" if prev.get("status") == "error"
                           else "grading failed")
        else:
            reasons.append("regraded with nothing changed")
    return "; ".join(reasons), "; ".join(detail)


def diff(out: Path, graded) -> tuple[list[list], int]:
    """The rows of regrade.csv for the (student, assignment) pairs this run graded, and how many
    of them were regrades (had an earlier result)."""
    rows, regraded = [], 0
    for student, a in sorted(set(graded)):
        adir = graded_dir(out, student, a)
        record = read_json(adir / RECORD)
        prev = record.get("previous") if isinstance(record, dict) else None
        if not isinstance(prev, dict):
            continue            # a first grade: nothing to compare with
        regraded += 1
        new = per_exercise(read_json(adir / RESULTS))
        old = prev.get("exercises") or {}
        reason, detail = why(prev, record)
        for ex in list(new) + [e for e in old if e not in new]:
            o, n = old.get(ex), new.get(ex)
            if o is not None and n is not None and abs(o - n) < 1e-9:
                continue
            rows.append([student, a, ex, "" if o is None else f"{o:g}",
                         "" if n is None else f"{n:g}", reason, detail,
                         record.get("graded_at", "")])
    return rows, regraded


def write(out: Path, graded) -> list[Path]:
    """Write OUT/regrade.csv when this run regraded anything; returns the files written."""
    rows, regraded = diff(out, graded)
    if not regraded:
        return []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    atomic_write(Path(out) / CSV, buf.getvalue())
    return [Path(out) / CSV]


def read(out: Path) -> list[dict]:
    try:
        with open(Path(out) / CSV, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def section(out: Path) -> dict | None:
    """What the class report's "Regraded" section shows (``templates/regrade_section.html.j2``):
    None when no run has regraded anything yet."""
    p = Path(out) / CSV
    if not p.is_file():
        return None
    rows = read(out)
    import time
    return {"rows": rows, "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(p.stat().st_mtime)),
            "students": len({r["student_id"] for r in rows}), "file": CSV}
