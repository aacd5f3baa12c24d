"""``check(name, obj)`` inside a student's notebook: the same checks ``make grade`` runs.

The student's object is called in this process (it is their own code, on their own machine), still
through ``wire`` and the same guard as a graded worker, so the verdicts and points are the same.
"""
from __future__ import annotations

import contextlib
import sys
import warnings

import torch

from . import report, scoring
from .assignments import find_exercise
from .runner import run_exercise
from .student import InProcess, Student


def check(name: str, obj) -> float:
    assignment, exercise = find_exercise(name)
    # nbgrader gives 0 to a graded cell that writes anything to stderr: keep warnings and the
    # student's own stderr writes on stdout while the checks run.
    threads = torch.get_num_threads()
    with warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        # One thread: tiny convolutions are thousands of times slower when threads contend.
        torch.set_num_threads(1)
        try:
            student = Student(InProcess({name: obj}, forbidden={name: exercise.forbidden}))
            result = run_exercise(exercise, student)
        finally:
            torch.set_num_threads(threads)
    # The same renderer as make check and the feedback pages: from results.json's tests.
    print(report.text_feedback(scoring.results_json(assignment, [result]), total=False))
    if exercise.builds_on:
        helpers = " and ".join(d.name for d in exercise.builds_on)
        print(f"  ({name} is checked with the book's {helpers} in place of yours: a bug in "
              f"{helpers} costs points only under {helpers}.)")
    return float(min(max(scoring.round_points(result.earned), 0.0), exercise.points))
