"""Points and the Gradescope ``results.json`` (docs/CONTRACT.md).

One test per check, named ``"<exercise>: <check>"``, tagged with the exercise name first, so that
summing a tag's tests gives that exercise's score. A forbidden routine or a missing name zeroes
every check of its exercise; every exercise of the assignment is always present.
"""
from __future__ import annotations

from .model import CheckResult, ExerciseResult


def round_points(x: float) -> float:
    return round(float(x), 4)


def output(ex: ExerciseResult, c: CheckResult) -> str:
    """What a student reads for a failed check: the property in plain words, then what happened.
    A note about the whole exercise (missing, the stub, forbidden) and a one-line "not assessed"
    or "not run" stand alone."""
    if not c.message or c.message == ex.note or c.message.startswith(("not assessed:", "not run:")):
        return c.message
    return f"Property: {c.statement}\n{c.message}" if c.statement else c.message


def results_json(assignment, exercise_results: list[ExerciseResult], extra: dict | None = None) -> dict:
    tests = []
    for ex in exercise_results:
        for c in ex.checks:
            earned = 0.0 if ex.forbidden else c.earned
            status = "passed" if earned >= c.points and not ex.forbidden else "failed"
            tests.append({
                "name": f"{ex.name}: {c.name}",
                "score": round_points(earned),
                "max_score": round_points(c.points),
                "status": status,
                "output": output(ex, c) if status == "failed" else "",
                "tags": [ex.name, c.name],
            })
    out = {"score": round_points(sum(t["score"] for t in tests)),
           "max_score": round_points(assignment.points),
           "tests": tests}
    if extra:
        out.update(extra)
    called = {ex.name: list(ex.called) for ex in exercise_results if getattr(ex, "called", None)}
    if called:
        # What each exercise's code called (top-level torch functions), for the instructor.
        out.setdefault("extra_data", {})["called"] = called
    return out
