"""convkit's autograder: hypothesis-driven checks for the CNN chapter of Dive into Deep Learning.

A grade flows one way, one module per step:

    submission (load)  ->  isolation (an isolated worker runs the code)  ->  runner (drives the
    checks declared in assignments/)  ->  scoring (points, results.json)  ->  feedback / classroom

Students use ``check`` inside their notebook::

    from autograder import check
    check("corr2d", corr2d)     # prints feedback, returns the points earned as a float
"""
from __future__ import annotations

__all__ = ["check"]


def check(name: str, obj) -> float:
    """Run the checks of exercise ``name`` on ``obj`` (your function or class) and print feedback.

    Returns the points earned as a plain float, which nbgrader records as the cell's partial credit.
    Everything is printed to stdout (nbgrader gives 0 to a test cell that writes to stderr).
    """
    from .selfcheck import check as _check
    return _check(name, obj)
