"""A class run's bookkeeping on disk: the key a submission is graded under (its files, the
grader's fingerprint, the settings), whether its result is up to date, and writing one
submission's outcome (results.json, the feedback pages, then the record ``convkit.json``).
``finish`` is what every executor calls as each outcome arrives.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from .. import assignments
from ..checks.reference import solutions_dir
from ..engine.grade import could_not_grade
from ..reports import regrade
from ..reports.feedback import html_feedback, markdown_feedback
from ..results.schema import validate
from ..results.store import RECORD, RESULTS, atomic_write, feedback_dir, graded_dir, read_json
from ..submission.course import Job, submission_hash

# Called as hook(student, assignment) in the run's main thread right after each result is
# written, whichever grader made it (the local pool or ``cluster``): the tests interrupt a run
# at this known point instead of racing it.
RESULT_HOOKS: list = []


class ClassError(Exception):
    """The run cannot start: nothing was graded and no file was written (exit status 2)."""


@dataclass
class Summary:
    """What one class run did; ``main`` prints it, the tests read it."""
    graded: list = field(default_factory=list)        # (student, assignment) graded this run
    up_to_date: list = field(default_factory=list)    # skipped: result exists under the same key
    errors: list = field(default_factory=list)        # (student, assignment, message)
    unknown: list = field(default_factory=list)       # (student, folder) not a known assignment
    interrupted: bool = False
    written: list = field(default_factory=list)       # class-level files written
    gradebook: dict | None = None
    stats: dict = field(default_factory=dict)         # per assignment: n, mean, median, max
    data: dict = field(default_factory=dict)          # classreport.collect's dict (all results)
    moved: list = field(default_factory=list)         # "s/a" moved out of nbgrader's folders
    pages_rewritten: int = 0                          # feedback pages updated (late, released)


def grader_fingerprint() -> str:
    """Changes whenever the grader could grade differently: its source, templates, the reference
    solutions, versions."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]     # the whole kit
    for p in sorted(pkg.rglob("*")):
        if (p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
                and p.suffix in (".py", ".j2", ".json", ".toml", ".txt")):
            h.update(str(p.relative_to(pkg)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    # The reference solutions are read by checks (matches the reference, learn_kernel).
    for p in sorted(solutions_dir().glob("*/*.ipynb")):
        h.update(f"solutions/{p.parent.name}/{p.name}\0".encode() + p.read_bytes() + b"\0")
    for dist in ("hypothesis", "torch", "numpy"):
        try:
            h.update(f"{dist}=={version(dist)}\0".encode())
        except Exception:
            h.update(f"{dist}==?\0".encode())
    return h.hexdigest()


def job_key(job: Job, fingerprint: str, isolation: str, device: str) -> str:
    h = hashlib.sha256()
    job.code, job.grader, job.settings = submission_hash(Path(job.path)), fingerprint, f"{isolation}/{device}"
    for part in (job.code, fingerprint, isolation, device, job.assignment):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _titles(assignment_id: str) -> tuple[str, dict]:
    a = assignments.get(assignment_id)
    return a.title, {e.name: e.title for e in a.exercises}


def write_pages(out: Path, student: str, assignment: str, results: dict,
                page: dict | None = None, when: str | None = None) -> dict:
    """The feedback pages of one result. ``page`` says what they show beyond the result:
    ``late`` (the lateness, or None) and ``released`` (hidden checks' details); it is kept in the
    record, so that the pages are written again when it changes (an extension, a release) and
    never otherwise. Returns it, with the time the pages were written."""
    page = {"late": None, "released": True, **(page or {})}
    page.pop("when", None)
    fdir = feedback_dir(out, student, assignment)
    title, ex_titles = _titles(assignment)
    when = when or time.strftime("%Y-%m-%d %H:%M")
    ctx = dict(assignment=assignment, student=student, title=title, exercise_titles=ex_titles,
               when=when, late=page["late"], released=page["released"])
    atomic_write(fdir / "feedback.html", html_feedback(results, **ctx))
    atomic_write(fdir / "feedback.md", markdown_feedback(results, **ctx))
    return {**page, "when": when}


def refresh_pages(out: Path, student: str, assignment: str, results: dict, page: dict) -> bool:
    """Write one result's pages again when what they show beyond it changed; True if so."""
    adir = graded_dir(out, student, assignment)
    record = read_json(adir / RECORD)
    if not isinstance(record, dict):
        return False
    old = dict(record.get("page") or {"late": None, "released": True})
    when = old.pop("when", None)
    if old == {"late": None, "released": True, **page}:
        return False
    record["page"] = write_pages(out, student, assignment, results, page, when)
    atomic_write(adir / RECORD, json.dumps(record, indent=2))
    return True


def write_submission(out: Path, job: Job, outcome: dict, page: dict | None = None) -> dict:
    """Write results.json, the feedback pages and the record, in that order (the record last,
    so a crash in between leaves the submission to regrade)."""
    results = outcome.get("results")
    error = outcome.get("error")
    if results is None:
        results = could_not_grade(job.assignment, error or "unknown error")
    adir = graded_dir(out, job.student, job.assignment)
    previous = regrade.previous(adir)       # the result this one replaces, for regrade.csv
    atomic_write(adir / RESULTS, json.dumps(validate(results), indent=2, ensure_ascii=False))
    page = write_pages(out, job.student, job.assignment, results, page)
    record = {"key": job.key, "page": page, "status": "error" if error else "graded", "error": error,
              "retry": bool(outcome.get("retry")), "score": results["score"],
              "max_score": results["max_score"], "seconds": round(outcome.get("seconds", 0), 3),
              "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "submission": job.path,
              "code": job.code, "grader": job.grader, "settings": job.settings,
              "declarations": regrade.declarations(job.assignment), "previous": previous,
              "called": (results.get("extra_data") or {}).get("called", {})}
    atomic_write(adir / RECORD, json.dumps(record, indent=2))
    return record


def is_up_to_date(out: Path, job: Job) -> bool:
    adir = graded_dir(out, job.student, job.assignment)
    record = read_json(adir / RECORD)
    if not isinstance(record, dict) or read_json(adir / RESULTS) is None:
        return False
    return record.get("key") == job.key and not record.get("retry")


def finish(out: Path, job: Job, outcome: dict, summary: Summary, progress=None) -> None:
    """One submission's outcome, from whichever executor (``pool``, ``cluster``): written
    and counted."""
    record = write_submission(out, job, outcome)
    summary.graded.append((job.student, job.assignment))
    if record["status"] == "error":
        summary.errors.append((job.student, job.assignment, record["error"]))
    if progress is not None:
        progress.advance()
    for hook in RESULT_HOOKS:
        hook(job.student, job.assignment)


def gradebook_url(course: Path, given: str | None) -> str | None:
    """``--gradebook`` (a path or an SQLAlchemy URL), else the course's own gradebook.db when it
    exists (nbgrader's default ``COURSE/gradebook.db``, or ``COURSE/.nbgrader/gradebook.db``)."""
    if given:
        return given if "://" in given else "sqlite:///" + str(Path(given).resolve())
    for cand in (course / "gradebook.db", course / ".nbgrader" / "gradebook.db"):
        if cand.is_file():
            return "sqlite:///" + str(cand.resolve())
    return None
