"""Points and the Gradescope ``results.json`` (docs/CONTRACT.md).

One test per check, named ``"<exercise>: <check>"``, tagged with the exercise name first, so that
summing a tag's tests gives that exercise's score. A forbidden routine or a missing name zeroes
every check of its exercise; every exercise of the assignment is always present.
"""
from __future__ import annotations

from ..core.settings import HIDDEN_VISIBILITY
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
            if c.hidden:
                tests[-1]["visibility"] = HIDDEN_VISIBILITY
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


def final_score(sub: dict) -> float:
    """A submission's score (``sub["score"]``) less its late penalty (``sub["late_penalty"]``,
    ``results.late``), never below 0."""
    return max(0.0, round(float(sub["score"]) - float(sub.get("late_penalty") or 0.0), 4))


def by_exercise(results: dict) -> dict[str, list]:
    """The tests of a results.json, grouped by exercise (the first tag, else the test's name), in
    their order: what every page and table of results shows."""
    by: dict[str, list] = {}
    for t in results.get("tests", []) if isinstance(results, dict) else []:
        tags = t.get("tags") if isinstance(t, dict) else None
        by.setdefault(tags[0] if tags else t.get("name", ""), []).append(t)
    return by


def exercise_scores(results: dict) -> dict[str, float]:
    """Each exercise's points in a results.json (its tests' scores summed in order); a malformed
    test (a hand-edited file) counts nothing."""
    out: dict[str, float] = {}
    for ex, tests in by_exercise(results).items():
        total = 0.0
        for t in tests:
            try:
                total += float(t["score"])
            except (KeyError, TypeError, ValueError):
                continue
        out[ex] = total
    return out
