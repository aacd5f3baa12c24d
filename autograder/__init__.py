"""convkit's autograder: hypothesis-driven checks for the CNN chapter of Dive into Deep Learning.

A grade flows one way, one module per step:

    submission (load)  ->  isolation (an isolated worker runs the code)  ->  runner (drives the
    checks declared in assignments/)  ->  scoring (points, results.json)  ->  feedback / classroom

Students use ``check`` inside their notebook::

    from convkit import check   # the student kit's name (make student-kit); in this repository
    check("corr2d", corr2d)     # ``from autograder import check`` is the same function

It prints feedback and returns the points earned as a float (shown as a table in JupyterLab).
"""
from __future__ import annotations

__all__ = ["check"]


def check(name: str, obj) -> float:
    """Run the checks of exercise ``name`` on ``obj`` (your function or class) and print feedback.

    Returns the points earned as a float (``selfcheck.Points``: its text form is the plain float's,
    which nbgrader records as the cell's partial credit; JupyterLab shows it as a table of the
    checks). Everything is printed to stdout (nbgrader gives 0 to a test cell that writes to
    stderr). The instructor's solutions are never read: the float64 oracle stands in.
    """
    from .cli.selfcheck import check as _check
    return _check(name, obj)
