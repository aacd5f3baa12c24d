"""Declarations: an assignment is a list of exercises, an exercise a list of named checks.

This is the one place a course author touches to add or change an exercise (see
``assignments/``); the engine reads these declarations and nothing else about an exercise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable


class Mismatch(AssertionError):
    """A check's property does not hold; the message is what the student reads."""


class ValuesWrong(Mismatch):
    """The function's values themselves are wrong (not only the property a check is about)."""


@dataclass(frozen=True)
class Check:
    name: str                      # short, shown in every report ("values (small integers)")
    points: float
    statement: str                 # the property in plain words
    verify: Callable               # verify(student, case) -> None, raises Mismatch
    cases: object = None           # a hypothesis strategy of cases, or None for explicit ones only
    # Explicit cases (the book's), tried first: a tuple, or a function that makes them, called
    # once when the check first runs (cases that read data must not cost importing the course:
    # ``python -m autograder ids``, collect).
    examples: tuple | Callable = ()
    max_examples: int = 50
    # A property that can be judged only once the values are right (dtype, gradients, inputs
    # untouched, linearity, ...): where the values are wrong it says "not assessed" in one line
    # instead of repeating the value failure.
    needs_values: bool = False
    # CPU seconds each call of this check may use, where the default (``LIMITS.call_cpu_s``)
    # is too little: a short training run. Bounded by ``LIMITS.max_call_cpu_s`` (core/settings.py).
    cpu_s: float | None = None
    # A value check whose examples are split by its exercise's ``partition``: one result per part
    # (each with its share of the points), so a bug that shows only where one feature varies
    # loses only that part.
    split: bool = False
    # A hidden check: graded and counted by the class run, Gradescope and nbgrader autograde, but
    # not run by a student's own check(), and its details kept out of the feedback until the
    # instructor releases the assignment (c.Convkit.released; Gradescope: after_published).
    hidden: bool = False

    @cached_property
    def explicit(self) -> tuple:
        """The explicit cases, made on first use when ``examples`` is a function."""
        return tuple(self.examples() if callable(self.examples) else self.examples)


@dataclass(frozen=True)
class Exercise:
    name: str                      # the book's name students define (corr2d, Conv2D, ...)
    title: str                     # the book's section, for reports
    checks: tuple
    # One bug costs once (docs/CONTRACT.md): the earlier exercises of the same assignment that this
    # one calls. While this one is checked, the book's code of each (``book_code``) stands in for
    # the student's, so a bug there is charged only where it is.
    builds_on: tuple = ()
    # The book's own implementation, as source code that defines ``name`` (and may define private
    # helpers): public code, not the kit's solution, obeying the same forbidden-routine rules.
    book_code: str = ""
    # Categories of ready-made routines refused below Python while this exercise is graded
    # (``worker/enforce.CATEGORIES``): convolution, unfold, pooling and padding always;
    # ``constant_pad_nd`` (which ``torch.fft`` also uses inside) only where padding is the
    # exercise; ``autograd`` where the exercise is a gradient derived by hand. The Python-level
    # names of a forbidden category are refused with it (``padding``'s include ``F.pad``).
    # ``()``: nothing is refused (an exercise about composing nn layers).
    forbidden: tuple = ("convolution", "unfold", "pool", "padding")
    # What the value checks' examples are split by (see ``Check.split``), declared once: the
    # features the parameters vary, a tuple of (label, predicate(case) -> bool). An example with
    # none of them belongs to the part ``plain``; one with exactly one, to that feature's part;
    # one with several, to the part "combined". A bug that shows only with one feature (or only
    # where two meet) so loses that part and the combined one, not the rest. Parts a check's
    # examples never reach are left out of that check; its points are shared equally by the
    # others (``runner.parts``).
    partition: tuple = ()
    plain: str = "none of these features"
    # aten operators (base names, ``"linear"``) this exercise's code may call beyond the kit's
    # allowlist (``worker/allowlist.py``), which applies wherever ``forbidden`` is not empty.
    allows: tuple = ()

    def refusals(self) -> tuple:
        """What the worker of this exercise is told: its categories and ``+name`` per extra."""
        return tuple(self.forbidden) + tuple("+" + a for a in self.allows)

    def trusted(self) -> tuple[list, str] | None:
        """(names, source) of the book's code that stands in for the student's helpers, or None."""
        if not self.builds_on:
            return None
        return [e.name for e in self.builds_on], "\n\n".join(e.book_code for e in self.builds_on)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Assignment:
    id: str                        # the module's name in assignments/; names folders and notebooks
    title: str
    exercises: tuple = field(default_factory=tuple)
    # The book's section ("6.2"): the course is taught, and every list of assignments shown, in
    # this order. Written as a literal keyword (section="6.2"): ``assignments.ids`` reads it from
    # the source, without importing torch. None for an assignment beyond the book: after the
    # book's, by id.
    section: str | None = None

    def __post_init__(self):
        for e in self.exercises:
            _OWNER.setdefault(e.name, self.id)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name:
                return e
        raise KeyError(name)


# Exercise name -> the id of the assignment that declares it, filled as assignment modules are
# imported. A check runs only once its assignment's module is imported, so the layers below
# ``assignments/`` (the reference solutions) can find an exercise's notebook without importing
# every assignment.
_OWNER: dict[str, str] = {}


def assignment_of(exercise_name: str) -> str:
    """The id of the (imported) assignment that declares exercise ``exercise_name``."""
    try:
        return _OWNER[exercise_name]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_name!r}") from None
