"""Late submissions: when a submission was handed in, when it was due, and what lateness costs.

One policy for every path. The penalty is an nbgrader late-submission plugin (the interface
``late_submission_penalty(student_id, score, total_seconds_late)``), named in the course's
``nbgrader_config.py`` as ``c.AssignLatePenalties.plugin_class``: ``nbgrader autograde`` calls it
through its own ``AssignLatePenalties``, and the class run (``make grade``) calls the same class
with the same configuration (``policy``), so grades.csv, the feedback page, the class report and
nbgrader's gradebook agree. ``LatePenalty`` is the kit's plugin: a share of the score per started
day late, after a grace period, up to a cap.

Due dates and extensions: ``c.Convkit.due_dates`` / ``c.Convkit.extensions`` first, else
nbgrader's gradebook (the class run reads it; ``nbgrader autograde`` is given the configured ones).
When it was handed in: nbgrader's ``submitted/<s>/<a>/timestamp.txt``, or Gradescope's
``submission_metadata.json`` (``created_at``; a per-student due date there is an extension).
Nothing is late without both a due date and a timestamp. The results.json of a submission never
holds its penalty: an extension granted later changes the penalty, not the grading.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float, import_item

from ..core.settings import parse_when


class LatePenalty(LateSubmissionPlugin):
    """``per_day`` of the score for every started day late after ``grace_minutes``, at most
    ``max_fraction`` of it; after ``zero_after_days`` days, the whole score."""

    per_day = Float(0.1, help="share of the score lost per started day late").tag(config=True)
    max_fraction = Float(1.0, help="the most of the score lateness can cost").tag(config=True)
    grace_minutes = Float(0.0, help="minutes late that cost nothing").tag(config=True)
    zero_after_days = Float(None, allow_none=True,
                            help="days late after which the score is 0").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        late = float(total_seconds_late) - 60.0 * self.grace_minutes
        if late <= 0 or score <= 0:
            return 0.0
        if self.zero_after_days is not None and late > 86400.0 * self.zero_after_days:
            return float(score)
        share = min(max(self.max_fraction, 0.0), max(self.per_day, 0.0) * math.ceil(late / 86400.0))
        return round(float(score) * share, 4)

    def describe(self) -> str:
        """The policy in words, for the feedback page."""
        text = f"{self.per_day * 100:g}% of the score per started day late"
        if self.grace_minutes:
            text += f" after {self.grace_minutes:g} minutes' grace"
        if self.max_fraction < 1:
            text += f", at most {self.max_fraction * 100:g}%"
        if self.zero_after_days is not None:
            text += f"; 0 after {self.zero_after_days:g} days"
        return text


def policy(config) -> LateSubmissionPlugin:
    """The course's penalty plugin, configured as ``nbgrader autograde`` configures it."""
    cls = LateSubmissionPlugin
    if config is not None and "AssignLatePenalties" in config \
            and "plugin_class" in config.AssignLatePenalties:
        cls = config.AssignLatePenalties.plugin_class
        cls = import_item(cls) if isinstance(cls, str) else cls
    return cls(config=config)


@dataclass(frozen=True)
class Late:
    """One submission's lateness: what the feedback page, grades.csv and the report show."""
    submitted: str                 # ISO, UTC
    due: str                       # the student's due date (extension included), ISO, UTC
    seconds_late: float
    penalty: float
    extension_hours: float = 0.0
    rule: str = ""                 # the policy in words, when it has them

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def lateness(submitted, due, extension_hours: float, score: float, student: str,
             plugin) -> Late | None:
    """The lateness of one submission, or None when either moment is unknown."""
    if not submitted or not due:
        return None
    try:
        at, until = parse_when(submitted), parse_when(due)
    except (TypeError, ValueError, OverflowError):
        return None
    until = until + datetime.timedelta(hours=float(extension_hours or 0))
    seconds = max(0.0, (at - until).total_seconds())
    penalty = 0.0
    if seconds > 0:
        p = plugin.late_submission_penalty(student, score, seconds)
        # As nbgrader's AssignLatePenalties: never below 0, never above the score.
        penalty = 0.0 if p is None else min(max(float(p), 0.0), max(float(score), 0.0))
    describe = getattr(plugin, "describe", None)
    rule = describe() if callable(describe) else ""
    if not describe and getattr(plugin, "penalty_method", "") == "zero":
        rule = "a late submission scores 0"
    return Late(at.isoformat(sep=" ", timespec="seconds") + " UTC",
                until.isoformat(sep=" ", timespec="seconds") + " UTC",
                round(seconds, 1), round(penalty, 4), float(extension_hours or 0), rule)


def read_timestamp(path) -> str | None:
    """nbgrader's ``timestamp.txt`` (written by ``nbgrader submit`` / ``collect``), or None."""
    try:
        text = open(path, encoding="utf-8").read().strip()
    except OSError:
        return None
    return text or None
