"""Declarations: an assignment is a list of exercises, an exercise a list of named checks.

This is the one place a course author touches to add or change an exercise (see
``assignments/``); the engine reads these declarations and nothing else about an exercise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


class Mismatch(AssertionError):
    """A check's property does not hold; the message is what the student reads."""


@dataclass(frozen=True)
class Check:
    name: str                      # short, shown in every report ("values (small integers)")
    points: float
    says: str                      # the property in plain words
    verify: Callable               # verify(student, case) -> None, raises Mismatch
    cases: object = None           # a hypothesis strategy of cases, or None for explicit ones only
    examples: tuple = ()           # explicit cases (the book's), tried first
    max_examples: int = 50


@dataclass(frozen=True)
class Exercise:
    name: str                      # the SPEC name students define (corr2d, Conv2D, ...)
    title: str                     # the book's section, for reports
    checks: tuple
    # Categories of ready-made routines refused below Python while this exercise is graded
    # (``worker/enforce.CATEGORIES``): convolution, unfold, pooling and padding always;
    # ``constant_pad_nd`` (which ``torch.fft`` also uses inside) only where padding is the
    # exercise. The Python-level names of all of them are refused for every exercise.
    forbidden: tuple = ("convolution", "unfold", "pooling", "padding")

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    exercises: tuple = field(default_factory=tuple)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name:
                return e
        raise KeyError(name)
