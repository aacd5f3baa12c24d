"""Grade one submission: load -> run in a worker -> drive the checks -> score.

``grade(path, assignment_id)`` returns the Gradescope ``results.json`` dict. It never raises for
anything inside the submission; it raises ``Unreadable`` / ``KeyError`` only when it cannot grade
at all (missing path, unknown assignment), which the command line turns into a non-zero exit.
"""
from __future__ import annotations

import time

import torch

from . import assignments, scoring, tamper
from .runner import run_exercise, tampered
from .student import Student
from .submission import load

# CPU time of the student's code for one submission's checks, all exercises together (each call
# is also limited: ``student.CALL_TIMEOUT_S``). CPU, not wall time: a loaded machine must not
# change a grade.
SUBMISSION_BUDGET_S = 120.0


def open_transport(cells, isolation: str, device: str, forbidden: dict | None = None):
    """A transport that runs ``cells`` in the requested isolation level; ``forbidden`` maps an
    exercise to the routines refused below Python while it is graded (isolated workers only)."""
    if isolation == "none":
        from .student import InProcess
        from .worker.execute import load_source
        return InProcess(load_source(cells))
    from . import isolation as iso
    return iso.open_worker(cells, sandboxed=(isolation == "sandbox"), device=device,
                           forbidden=forbidden)


def _load_note(problems: list[dict], cells=()) -> str:
    """The cells that failed to run: syntax errors first, with the line and a caret, then the
    rest; a NameError for a name whose defining cell has a syntax error says it follows from it."""
    import re
    broken = [p for p in problems if p.get("type") == "SyntaxError"]
    lines = []
    for p in broken + [p for p in problems if p.get("type") != "SyntaxError"]:
        where = p.get("cell", "")
        line = f"{where}: {p.get('type')}: {p.get('message')}".strip(": ")
        if p in broken and p.get("trace"):
            line += "\n" + "\n".join("    " + t for t in p["trace"].rstrip().splitlines())
        m = re.match(r"name '(\w+)' is not defined", str(p.get("message")))
        if p.get("type") == "NameError" and m:
            origin = _defined_in(cells, m.group(1))
            if origin in {b.get("cell") for b in broken}:
                line += f" (this follows from the syntax error in {origin})"
        lines.append(line)
    return "\n".join(lines)


def _defined_in(cells, name: str) -> str | None:
    """The cell whose source defines ``name`` (by text: a cell with a syntax error cannot be
    parsed), or None."""
    import re
    pattern = re.compile(rf"^\s*(def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*=", re.M)
    found = None
    for cell, source in cells:
        if pattern.search(source):
            found = cell            # the last definition wins, as when the cells run
    return found


def _missing_note(name: str, cells, problems: list[dict]) -> str:
    """Why ``name`` is not defined, when a cell that failed to run is the reason: its syntax error
    (with the line and a caret) apart from the errors it causes in later cells."""
    where = _defined_in(cells, name)
    failed = {p.get("cell"): p for p in problems}
    if where is None or where not in failed:
        return ""
    p = failed[where]
    text = f"`{name}` is not defined because the cell that defines it, {where}, did not run: "
    if p.get("type") == "SyntaxError":
        text += f"it has a syntax error ({p.get('message')}):\n"
        text += "\n".join("    " + t for t in (p.get("trace") or "").rstrip().splitlines())
        later = [q for q in problems if q.get("type") == "NameError" and q.get("cell") != where]
        if later:
            text += ("\nFix it first: the NameErrors in "
                     + ", ".join(str(q.get("cell")) for q in later) + " follow from it.")
        return text
    return text + f"{p.get('type')}: {p.get('message')}"


def grade(path, assignment_id: str, isolation: str = "sandbox", device: str = "cpu",
          budget_s: float = SUBMISSION_BUDGET_S) -> dict:
    assignment = assignments.get(assignment_id)
    # The oracle's tiny float64 convolutions take microseconds on one thread and milliseconds
    # when OpenMP threads contend for the cores: the grader computes on one thread.
    torch.set_num_threads(1)
    t0 = time.monotonic()
    sub = load(path)
    notes = list(sub.problems)
    if not sub.cells:
        reason = " ".join(notes) or "Nothing to grade."
        results = scoring.not_graded(assignment, reason)
        return scoring.results_json(assignment, results, _extra(sub, notes, t0))
    tampering = tamper.scan(sub.cells)
    transport = open_transport(sub.cells, isolation, device,
                               {ex.name: ex.forbidden for ex in assignment.exercises})
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
    notes += inherited(assignment, results)
    if load_problems:
        note = _load_note(load_problems, sub.cells)
        notes.append("Some cells of your code failed to run:\n" + note)
        for r in results:
            if r.note.endswith("is not defined in your submission."):
                r.note = _missing_note(r.name, sub.cells, load_problems) or \
                    f"{r.note} (Errors while running your code: {note})"
                for c in r.checks:
                    c.message = r.note
    return scoring.results_json(assignment, results, _extra(sub, notes, t0, student_seconds))


def inherited(assignment, results) -> list[str]:
    """One bug costs once: say where an exercise was checked with the book's code in place of a
    helper of the student's that fails its own checks (notes for passed exercises; failed ones
    also carry it in their messages)."""
    by_name = {r.name: r for r in results}
    notes = []
    for ex in assignment.exercises:
        r = by_name.get(ex.name)
        wrong = [d.name for d in ex.builds_on
                 if d.name in by_name and by_name[d.name].earned < d.points]
        if r is None or not wrong or r.forbidden or r.note:
            continue
        helpers = " and ".join(f"`{n}`" for n in wrong)
        if r.earned >= r.points:
            notes.append(f"Your `{ex.name}` is right: it was checked with the book's {helpers} in "
                         f"place of yours, so the bug in {helpers} costs points only under {helpers}.")
            continue
        for c in r.checks:
            if c.earned < c.points:
                c.message = (f"(`{ex.name}` was checked with the book's {helpers} in place of "
                             f"yours, which fails its own checks: what fails here is `{ex.name}`'s "
                             f"own.)\n" + c.message)
    return notes


def _extra(sub, notes, t0, student_seconds: float = 0.0) -> dict:
    out = {"execution_time": round(time.monotonic() - t0, 3),
           "extra_data": {"student_code_seconds": round(student_seconds, 3)}}
    if notes:
        out["output"] = "\n".join(notes)
    out["output_format"] = "text"
    return out
