"""The typed results of grading: one ``CheckResult`` per row of an exercise (a check, or one
part of a split check), one ``ExerciseResult`` per exercise. The engine makes them; ``scoring``
turns them into points and ``results.json``."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    name: str
    points: float
    earned: float
    message: str = ""           # empty when passed
    statement: str = ""
    # False where the check is a property that could not be judged: no example it was tried on
    # had right values (its message starts "not assessed:"); neither a pass nor a failure.
    assessed: bool = True
    hidden: bool = False        # the check is hidden (``Check.hidden``)

    @property
    def passed(self) -> bool:
        return self.earned >= self.points


@dataclass
class ExerciseResult:
    name: str
    points: float
    checks: list = field(default_factory=list)
    forbidden: str | None = None
    note: str = ""              # applies to the whole exercise (missing, forbidden, could not load)
    seconds: float = 0.0
    called: list = field(default_factory=list)     # torch functions its code called (top level)

    @property
    def earned(self) -> float:
        return 0.0 if self.forbidden else sum(c.earned for c in self.checks)
