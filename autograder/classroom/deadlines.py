"""What a class run adds to the results it collected: each submission's lateness (due dates,
extensions, the penalty plugin: ``results.late``) and whether its hidden checks may be shown
(``c.Convkit.released``); then the feedback pages whose late notice or hidden checks changed are
written again (``records.refresh_pages``), without grading anything again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import assignments
from ..core.settings import ClassSettings, course_config, parse_when
from ..results.late import lateness, policy, read_timestamp
from .records import refresh_pages


@dataclass
class Deadlines:
    due: dict = field(default_factory=dict)            # assignment -> when
    extensions: dict = field(default_factory=dict)     # assignment -> {student: hours}
    plugin: object = None
    released: tuple = ()

    def late(self, course: Path, student: str, assignment: str, score: float) -> dict | None:
        if assignment not in self.due:
            return None
        stamp = read_timestamp(Path(course) / "submitted" / student / assignment / "timestamp.txt")
        hours = self.extensions.get(assignment, {}).get(student, 0.0)
        found = lateness(stamp, self.due[assignment], hours, score, student, self.plugin)
        return found.as_dict() if found else None

    def shows_hidden(self, assignment: str) -> bool:
        """Whether a student may see the details of this assignment's hidden checks: it has
        none, or the instructor released them."""
        a = assignments.get(assignment)
        return assignment in self.released or \
            not any(c.hidden for e in a.exercises for c in e.checks)


def deadlines(course: Path, settings: ClassSettings, gradebook_dates=None) -> Deadlines:
    """The course's rules: nbgrader's gradebook dates (``gradebook_dates``: ``(due,
    extensions)`` from ``gradebook.read_dates``) under the configured ones."""
    due, ext = gradebook_dates or ({}, {})
    due = {a: str(d) for a, d in due.items()}
    ext = {a: dict(v) for a, v in ext.items()}
    due.update({a: str(parse_when(d)) for a, d in settings.due_dates.items()})
    for a, per in settings.extensions.items():
        ext.setdefault(a, {}).update({s: float(h) for s, h in per.items()})
    return Deadlines(due, ext, policy(course_config(course)), tuple(settings.released))


def apply(data: dict, course: Path, out: Path, rules: Deadlines) -> int:
    """Each graded submission of ``data`` (``classreport.collect``) gets ``late`` (a dict or
    None) and ``late_penalty``; its pages are written again where that, or the release of its
    hidden checks, changed. Returns how many pages were written again."""
    rewritten = 0
    for (student, a), s in data["subs"].items():
        late = rules.late(course, student, a, s["score"])
        s["late"], s["late_penalty"] = late, (late or {}).get("penalty", 0.0)
        page = {"late": late, "released": rules.shows_hidden(a)}
        rewritten += refresh_pages(out, student, a, s["results"], page)
    data["late_assignments"] = sorted(set(rules.due) & set(data["assignments"]))
    return rewritten
