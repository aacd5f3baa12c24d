"""``check(name, obj)`` inside a student's notebook: the same checks ``make grade`` runs.

The student's object is called in this process (it is their own code, on their own machine), still
through ``wire`` and the same guard as a graded worker, so the verdicts and points are the same.
Three things only a notebook needs:

- the instructor's solutions are never read (``reference.withheld``): the float64 oracle stands in
  for "matches the reference", on the student's machine and on the instructor's alike;
- where torch sees a CUDA device, the exercise's dtype-and-device checks run once more with the
  inputs on the GPU (oracle on the CPU in float64, TF32 off). They are reported, not counted:
  ``make grade`` grades on the CPU, and a notebook must earn the points it will be graded;
- the points come back as ``Points``, a float whose HTML form (JupyterLab) is a table of the checks.
  nbgrader reads the cell's ``text/plain`` form, which is the plain float's.
"""
from __future__ import annotations

import contextlib
import dataclasses
import html
import sys
import warnings

import torch

from ..checks import reference
from ..reports import feedback as report
from ..results import scoring
from ..assignments import find_exercise
from ..core.declarations import Mismatch
from ..engine.runner import CheckResult, run_exercise
from ..sandbox.student import InProcess, Student


class Points(float):
    """The points an exercise earned: a float (``repr`` and ``str`` are the plain float's, which
    nbgrader parses as the cell's partial credit) that JupyterLab shows as a table."""

    def __new__(cls, value: float, rows=(), cuda_rows=(), cuda_note: str = "", title: str = ""):
        self = super().__new__(cls, value)
        self.rows, self.cuda_rows = list(rows), list(cuda_rows)
        self.cuda_note, self.title = cuda_note, title
        return self

    def __repr__(self) -> str:
        return float.__repr__(self)

    __str__ = __repr__

    def __reduce__(self):
        return float, (float(self),)

    def _repr_html_(self) -> str:
        def table(rows, counted: bool) -> str:
            body = "".join(
                f"<tr><td style='text-align:left'>{'✔' if r.passed else '✘'} "
                f"{html.escape(r.name)}</td><td>{r.earned:g} / {r.points:g}"
                f"{'' if counted else ' (not counted)'}</td><td style='text-align:left'>"
                f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(r.message or 'passed')}"
                f"</pre></td></tr>" for r in rows)
            return ("<table><thead><tr><th style='text-align:left'>check</th><th>points</th>"
                    f"<th style='text-align:left'>message</th></tr></thead><tbody>{body}"
                    "</tbody></table>")
        out = [f"<p><b>{html.escape(self.title)}: {float(self):g} / "
               f"{sum(r.points for r in self.rows):g}</b></p>", table(self.rows, True)]
        if self.cuda_rows:
            out.append(table(self.cuda_rows, False))
        if self.cuda_note:
            out.append(f"<p>{html.escape(self.cuda_note)}</p>")
        return "\n".join(out)


# The checks that run again on CUDA: those about the result's dtype and device.
def device_checks(exercise) -> tuple:
    return tuple(c for c in exercise.checks if "device" in c.name)


class OnDevice(Student):
    """A student whose tensors go to ``device``; a tensor result left elsewhere (``.cpu()``, a
    ``torch.zeros`` without ``device=``) fails the check that asked for it."""

    def call(self, name, *args, **kwargs):
        r = super().call(name, *args, **kwargs)
        if r.device is not None and r.device.split(":")[0] != self.device.split(":")[0]:
            raise Mismatch(f"{name} was given its tensors on {self.device} and returned a tensor "
                           f"on {r.device}: create tensors with device=X.device.")
        return r


@contextlib.contextmanager
def _exact_float32():
    """TF32 off for the CUDA checks (the worker asks for IEEE float32 on CUDA), and the student's
    own setting back afterwards: this is their notebook's process."""
    saved = (torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision)
    try:
        yield
    finally:
        torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision = saved


def cuda_pass(exercise, transport, cpu_result, device: str = "cuda") -> tuple[list, str]:
    """Run the exercise's dtype-and-device checks on ``device``: (their results, what to say)."""
    if not torch.cuda.is_available():
        return [], ("CUDA checks skipped: torch sees no CUDA device here (make grade grades on "
                    "the CPU, so your points do not depend on it).")
    checks = device_checks(exercise)
    if not checks:
        return [], f"CUDA checks: {exercise.name} has no dtype-and-device check to run on CUDA."
    if cpu_result.forbidden or cpu_result.note:
        return [], "CUDA checks not run: see the message above."
    name = torch.cuda.get_device_name(torch.device(device))
    with _exact_float32():
        res = run_exercise(dataclasses.replace(exercise, checks=checks),
                           OnDevice(transport, device))
    said = "passed" if all(c.passed for c in res.checks) else "FAILED"
    return res.checks, (f"CUDA checks on {name} ({said}; not counted in your points: inputs on "
                        f"the GPU, TF32 off, compared with the float64 oracle on the CPU).")


def _cuda_text(rows: list, note: str) -> str:
    lines = [note]
    for r in rows:
        lines.append(f"  [{'PASS' if r.passed else 'FAIL'}] {r.name} on CUDA")
        if not r.passed:
            lines += ["      " + line for line in r.message.splitlines()]
    return "\n".join(lines)


def check(name: str, obj) -> Points:
    assignment, exercise = find_exercise(name)
    # nbgrader gives 0 to a graded cell that writes anything to stderr: keep warnings and the
    # student's own stderr writes on stdout while the checks run.
    threads = torch.get_num_threads()
    with warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout), \
            reference.withheld():
        warnings.simplefilter("ignore")
        # One thread: tiny convolutions are thousands of times slower when threads contend.
        torch.set_num_threads(1)
        try:
            transport = InProcess({name: obj}, forbidden={name: exercise.forbidden})
            shown = tuple(c for c in exercise.checks if not c.hidden)
            result = run_exercise(dataclasses.replace(exercise, checks=shown), Student(transport))
            cuda_rows, cuda_note = cuda_pass(exercise, transport, result)
        finally:
            torch.set_num_threads(threads)
    # The same renderer as make check and the feedback pages: from results.json's tests.
    print(report.text_feedback(scoring.results_json(assignment, [result]), total=False))
    if exercise.builds_on:
        helpers = " and ".join(d.name for d in exercise.builds_on)
        print(f"  ({name} is checked with the book's {helpers} in place of yours: a bug in "
              f"{helpers} costs points only under {helpers}.)")
    print(_cuda_text(cuda_rows, cuda_note))
    hidden = [c for c in exercise.checks if c.hidden]
    if hidden:
        print(f"  (+ {len(hidden)} hidden check{'s' if len(hidden) > 1 else ''} worth "
              f"{sum(c.points for c in hidden):g} points, which your teacher's grader runs and "
              f"reveals after the deadline: this cell counts only the checks above.)")
    points = float(min(max(scoring.round_points(result.earned), 0.0), exercise.points))
    rows = result.checks or [CheckResult(name, exercise.points, 0.0, result.note)]
    return Points(points, rows, cuda_rows, cuda_note, name)
