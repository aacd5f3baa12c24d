"""Grade one submission: load -> run in a worker -> drive the checks -> score.

``grade(path, assignment_id)`` returns the Gradescope ``results.json`` dict. It never raises for
anything inside the submission; it raises ``Unreadable`` / ``KeyError`` only when it cannot grade
at all (missing path, unknown assignment), which the command line turns into a non-zero exit.
"""
from __future__ import annotations

import time

import torch

from .. import assignments
from ..core.settings import LIMITS
from ..results import scoring
from ..sandbox import isolation as iso
from ..sandbox.student import InProcess, Student
from ..submission import tamper
from ..submission.load import load
from ..worker.execute import load_source
from .notes import inherited, load_note, missing_note
from .runner import not_graded, run_exercise, tampered

def open_transport(cells, isolation: str, device: str, forbidden: dict | None = None):
    """A transport that runs ``cells`` in the requested isolation level; ``forbidden`` maps an
    exercise to the routines refused below Python while it is graded (isolated workers only)."""
    if isolation == "none":
        # The cells load once for every exercise: refuse, at the top level, only what every
        # exercise refuses (an assignment whose exercises compose nn.Conv2d refuses nothing).
        sets = [set(c) for c in (forbidden or {}).values()]
        common = tuple(c for c in sets[0] if all(c in s for s in sets)) if sets else None
        return InProcess(load_source(cells, forbidden=common), forbidden=forbidden)
    return iso.open_worker(cells, sandboxed=(isolation == "sandbox"), device=device,
                           forbidden=forbidden)


def grade(path, assignment_id: str, isolation: str = "sandbox", device: str = "cpu",
          budget_s: float | None = None) -> dict:
    assignment = assignments.get(assignment_id)
    budget_s = LIMITS.submission_cpu_s if budget_s is None else budget_s
    # The oracle's tiny float64 convolutions take microseconds on one thread and milliseconds
    # when OpenMP threads contend for the cores: the grader computes on one thread.
    torch.set_num_threads(1)
    t0 = time.monotonic()
    sub = load(path, assignment_id)
    notes = list(sub.problems)
    if not sub.cells:
        reason = " ".join(notes) or "Nothing to grade."
        results = not_graded(assignment, reason)
        return scoring.results_json(assignment, results, _extra(sub, notes, t0))
    tampering = tamper.scan(sub.cells)
    transport = open_transport(sub.cells, isolation, device,
                               {ex.name: ex.refusals() for ex in assignment.exercises})
    try:
        student = Student(transport, device)
        results = [tampered(ex, tampering[ex.name]) if ex.name in tampering
                   else run_exercise(ex, student, budget_s) for ex in assignment.exercises]
        load_problems = student.problems()
        student_seconds = student.seconds
    finally:
        close = getattr(transport, "close", None)
        if close:
            close()
    notes += inherited(assignment, results, sub.cells)
    if load_problems:
        note = load_note(load_problems, sub.cells)
        notes.append("Some cells of your code failed to run:\n" + note)
        for r in results:
            if r.note.endswith("is not defined in your submission."):
                r.note = missing_note(r.name, sub.cells, load_problems) or \
                    f"{r.note} (Errors while running your code: {note})"
                for c in r.checks:
                    c.message = r.note
    return scoring.results_json(assignment, results, _extra(sub, notes, t0, student_seconds))


def _extra(sub, notes, t0, student_seconds: float = 0.0) -> dict:
    out = {"execution_time": round(time.monotonic() - t0, 3),
           "extra_data": {"student_code_seconds": round(student_seconds, 3)}}
    if notes:
        out["output"] = "\n".join(notes)
    out["output_format"] = "text"
    return out


def could_not_grade(assignment_id: str, message: str) -> dict:
    """The results.json of a submission the grader failed on (not the student's fault): every
    exercise at 0, the reason in its output."""
    a = assignments.get(assignment_id)
    text = ("The grader could not grade this submission: " + message +
            "\nYour teacher has been told; nothing is wrong with your other work.")
    return scoring.results_json(a, not_graded(a, text),
                                {"output": text, "output_format": "text", "execution_time": 0.0})
