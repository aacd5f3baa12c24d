"""What a student reads: plain text for the notebook and terminal, Markdown and HTML pages."""
from __future__ import annotations

from .runner import ExerciseResult
from .show import indent


def _pts(x: float) -> str:
    return f"{x:g}"


def exercise_text(r: ExerciseResult) -> str:
    lines = [f"{r.name}: {_pts(r.earned)} / {_pts(r.points)} points"]
    if r.note:
        lines.append(indent(r.note, "  "))
        if r.forbidden or all(c.earned == 0 and c.message == r.note for c in r.checks):
            return "\n".join(lines)
    for c in r.checks:
        mark = "PASS" if c.passed else "FAIL"
        lines.append(f"  [{mark}] {c.name} ({_pts(c.earned)}/{_pts(c.points)})")
        if not c.passed:
            lines.append(indent(f"Property: {c.says}", "         "))
            lines.append(indent(c.message, "         "))
    return "\n".join(lines)
