"""``nbgrader autograde`` grading with the kit's sandboxed engine, and what a student's feedback
may show.

``GradeWithConvkit`` takes the place of nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``
(the course's ``nbgrader_config.py``). For a kit assignment it grades the student's submitted
folder exactly as ``make grade`` does (same worker, same isolation, same examples), reusing the
class run's record when it already graded the same files with the same grader, and writing its
own record there when not: ``make grade`` and ``nbgrader autograde`` are one grader with one set
of records (``COURSE/convkit/``). It then writes into each graded cell ``check("<exercise>", ...)``
of the autograded notebook the exercise's per-check feedback (stdout) and its points (the cell's
value, a plain float), which nbgrader's ``SaveAutoGrades`` reads as the cell's partial credit:
nbgrader's gradebook, formgrader, ``generate_feedback``, ``release_feedback`` and ``export`` then
carry the kit's grades and messages. No Jupyter kernel runs: the student's code runs only in the
kit's worker, so nothing in the notebook (its "Try it" cells included) runs beside the grader.

A graded code cell that calls no kit check is not run: it gets an error output saying so (0
points, which a grader can override in formgrader), never the full points nbgrader gives a
test cell that printed nothing. An assignment the kit does not know (a course's other,
hand-written nbgrader assignments) is handed to nbgrader's own ``Execute``, unchanged.

The feedback of hidden checks (``Check.hidden``) is written as a separate output marked
``{"convkit": {"hidden": true}}``; ``HideUnreleased``, in ``GenerateFeedback.preprocessors``,
replaces it with a one-line summary until the assignment is listed in ``c.Convkit.released``.
"""
from __future__ import annotations

from pathlib import Path

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from ... import assignments
from ...classroom.jobs import grade_job, warm
from ...classroom.deadlines import deadlines
from ...classroom.gradebook import read_dates
from ...classroom.records import (grader_fingerprint, is_up_to_date, job_key, refresh_pages,
                                  write_submission)
from ...core.notebook import checked_exercise
from ...core.settings import parse_when, settings_from_config
from ...engine.grade import could_not_grade
from ...reports.feedback import text_feedback
from ...results.scoring import by_exercise, round_points
from ...results.store import RESULTS, default_out, graded_dir, read_json
from ...submission.course import Job

HIDDEN = {"convkit": {"hidden": True}}
NOT_A_CHECK = ("convkit grades this assignment in its sandbox and runs no cell of the notebook; "
               "this graded cell calls no kit check (check(\"<exercise>\", ...)), so it was not "
               "run and earns 0 points here. Grade it by hand in formgrader.")

_FINGERPRINT: list[str] = []


def _fingerprint() -> str:
    """The grader's fingerprint, once per nbgrader command (it hashes the whole kit)."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(grader_fingerprint())
    return _FINGERPRINT[0]


def course_results(course: Path, student: str, assignment: str, submitted: Path,
                   settings) -> tuple[dict, bool]:
    """The kit's results.json for one submission, and whether it was graded now (False: the
    class run's record for these very files and this grader was reused)."""
    out = default_out(course)
    job = Job(student, assignment, str(submitted))
    job.key = job_key(job, _fingerprint(), settings.isolation, settings.device)
    if is_up_to_date(out, job):
        results = read_json(graded_dir(out, student, assignment) / RESULTS)
        if isinstance(results, dict):
            return results, False
    warm(settings.isolation, settings.device)
    outcome = grade_job(str(submitted), assignment, settings.isolation, settings.device)
    write_submission(out, job, outcome)
    return outcome.get("results") or could_not_grade(assignment, outcome.get("error") or "?"), True


def _stream(text: str):
    return new_output("stream", name="stdout", text=text if text.endswith("\n") else text + "\n")


def _text(text: str, metadata: dict | None = None):
    return new_output("display_data", data={"text/plain": text}, metadata=metadata or {})


def hidden_summary(tests: list) -> str:
    got = sum(t["score"] for t in tests)
    top = sum(t["max_score"] for t in tests)
    return (f"{len(tests)} hidden check{'s' if len(tests) != 1 else ''}: {got:g} / {top:g} points "
            f"(counted; shown once your teacher releases them)")


def cell_outputs(tests: list, max_points: float, execution_count: int) -> tuple[list, float]:
    """The outputs of one exercise's graded cell, and the points its value gives nbgrader."""
    shown = [t for t in tests if t.get("visibility", "visible") == "visible"]
    hidden = [t for t in tests if t not in shown]
    outputs = []
    if shown:
        outputs.append(_stream(text_feedback({"tests": shown}, total=False)))
    if hidden:
        outputs.append(_stream(hidden_summary(hidden)))
        outputs.append(_text(text_feedback({"tests": hidden}, total=False), HIDDEN))
    points = round_points(sum(t["score"] for t in tests))
    # A value above the cell's points fails the whole notebook in nbgrader: the cell's points
    # are the declaration's (tests/test_one_source.py), but a hand-edited source notebook may
    # disagree, and then the cell's own maximum wins.
    points = min(points, max_points)
    outputs.append(new_output("execute_result", data={"text/plain": repr(float(points))},
                              execution_count=execution_count))
    return outputs, points


def sync_dates(db_url: str, assignment: str, student: str, settings) -> None:
    """The course's configured due date and this student's extension (``c.Convkit.due_dates``,
    ``c.Convkit.extensions``) into nbgrader's gradebook, before its ``AssignLatePenalties`` reads
    them: nbgrader's penalty and the class run's are then computed from the same moments."""
    due = settings.due_dates.get(assignment)
    hours = settings.extensions.get(assignment, {}).get(student)
    if due is None and hours is None:
        return
    with Gradebook(db_url) as gb:
        if due is not None:
            gb.find_assignment(assignment).duedate = parse_when(due)
            gb.db.commit()
        if hours is not None:
            gb.grant_extension(assignment, student, hours=float(hours))


def _coursedir(pp) -> CourseDirectory:
    """The running nbgrader command's course directory (its converter's, with the command line's
    overrides), else one made from the configuration."""
    parent = pp.parent
    while parent is not None:
        if isinstance(getattr(parent, "coursedir", None), CourseDirectory):
            return parent.coursedir
        parent = getattr(parent, "parent", None)
    return CourseDirectory(config=pp.config)


class GradeWithConvkit(NbGraderPreprocessor):
    """``nbgrader autograde``'s grading step for the kit's assignments (see the module)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        student, assignment = info["student"], info["assignment"]
        if assignment not in assignments.ids():
            self.log.info("%s is not a convkit assignment: nbgrader's Execute runs it", assignment)
            return Execute(parent=self).preprocess(nb, resources)
        coursedir = _coursedir(self)
        course = Path(coursedir.root)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        settings = settings_from_config(self.config).resolved()
        sync_dates(info["db_url"], assignment, student, settings)
        results, fresh = course_results(course, student, assignment, submitted, settings)
        # The kit's own pages of this result say what the class run's would: the late notice,
        # hidden checks kept back until released.
        rules = deadlines(course, settings, read_dates(info["db_url"]))
        late = rules.late(course, student, assignment, results["score"])
        refresh_pages(default_out(course), student, assignment, results,
                      {"late": late, "released": rules.shows_hidden(assignment)})
        self.log.info("convkit %s %s/%s (%s isolation): %g / %g", "graded" if fresh else
                      "reused the class run's result for", student, assignment, settings.isolation,
                      results["score"], results["max_score"])
        tests = by_exercise(results)
        note, count = results.get("output") or "", 0
        for cell in nb.cells:
            if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
                continue
            count += 1
            cell.execution_count = count
            # (the source nbgrader restored from its database: a student cannot change it)
            ex = checked_exercise(cell.source)
            if ex not in tests:
                cell.outputs = [new_output("error", ename="NotGradedByConvkit",
                                           evalue=NOT_A_CHECK, traceback=[NOT_A_CHECK])]
                self.log.warning("%s/%s: graded cell %s calls no kit check: 0 points",
                                 student, assignment, cell.metadata.nbgrader.get("grade_id"))
                continue
            outputs, _ = cell_outputs(tests[ex], float(cell.metadata.nbgrader["points"]), count)
            if note:    # what concerns the whole submission, once, in the first graded cell
                outputs.insert(0, _stream(note))
                note = ""
            cell.outputs = outputs
        return nb, resources


class HideUnreleased(NbGraderPreprocessor):
    """``generate_feedback``: hidden checks' details stay out of the student's page until the
    assignment is in ``c.Convkit.released`` (their points and a summary line stay)."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        if assignment in settings_from_config(self.config).released:
            return nb, resources
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if not o.get("metadata", {}).get("convkit", {}).get("hidden")]
        return nb, resources
