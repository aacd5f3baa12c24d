"""``nbgrader export`` plugins: the gradebook as the kit's wide CSV (``WideExport``) and as a CSV
for Canvas's gradebook import (``CanvasExport``).

    nbgrader export --exporter=autograder.integrations.nbgrader.export.WideExport [--to FILE]
    nbgrader export --exporter=autograder.integrations.nbgrader.export.CanvasExport [--to FILE]

Both read the gradebook ``nbgrader export`` opens (``CourseDirectory.db_url``): every student and
assignment (or those of ``--student`` / ``--assignment``, as nbgrader's own CSV export), each
submission's score and late penalty (``SubmittedAssignment.score``,
``.late_submission_penalty``) and each graded cell's score, named after the kit's exercise: the
one its source calls ``check("<exercise>", ...)``, else the cell's name less ``_test`` (the names
``generate_assignment`` gives the kit's notebooks). Points possible are the gradebook's (grade
cells' ``max_score``). A student with no submission has none: blank in both files, not a zero.

``WideExport`` (default ``grades_wide.csv``) writes ``classreport.csv_rows``, the kit's
``grades.csv``: a row per student, the total, a column per assignment (its score after the late
penalty) and per exercise (the cells' scores), and ``<assignment>:late_penalty`` for every
assignment with a due date in the gradebook (or a penalty).

``CanvasExport`` (default ``canvas.csv``) writes ``reports.canvas.canvas_csv``: scores less their
late penalties. In ``nbgrader_config.py``::

    c.CanvasExport.roster = "canvas_export.csv"   # a gradebook exported from the Canvas course
                                                  # (relative: to the folder nbgrader runs in)
    c.CanvasExport.columns = {"ps1": "Problem set 1 (1234)"}   # assignment -> Canvas's title

Files are written whole or not at all. A roster that cannot be read, or a file that cannot be
written, is one error line in nbgrader's log and exit status 1 (nbgrader itself would print a
traceback and ask for a bug report).
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from nbgrader.api import MissingEntry, SourceCell
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode

from ... import assignments
from ...reports import canvas, classreport
from ...core.notebook import exercise_of
from ...results.store import atomic_write



def _cell_exercises(gb, assignment) -> tuple[dict, list[tuple[str, float]]]:
    """({(notebook, cell): exercise}, [(exercise, points)]) of one gradebook assignment. The
    exercises are in the kit's order where the kit declares the assignment, the gradebook's
    otherwise; an exercise graded by several cells gets their points together."""
    cells, points = {}, {}
    for nb in assignment.notebooks:
        sources = {c.name: c.source for c in gb.db.query(SourceCell)
                   .filter(SourceCell.notebook_id == nb.id)}
        for cell in list(nb.grade_cells) + list(nb.task_cells):
            ex = exercise_of(cell.name, sources.get(cell.name))
            cells[(nb.name, cell.name)] = ex
            points[ex] = points.get(ex, 0.0) + float(cell.max_score or 0.0)
    known = assignments.all_assignments().get(assignment.name)
    order = [e.name for e in known.exercises] if known else []
    ranked = sorted(points, key=lambda ex: order.index(ex) if ex in order else len(order))
    return cells, [(ex, points[ex]) for ex in ranked]


def gradebook_data(gb, students=(), assignment_ids=()) -> tuple[dict, dict]:
    """(data, names) from an nbgrader ``Gradebook``: ``data`` as ``classreport.collect`` returns
    it (every submission with ``"late_penalty"``; ``"late_assignments"``: those with a due date
    or a penalty), ``names`` student id -> first/last name and email. ``students`` /
    ``assignment_ids``: only those (all when empty)."""
    want_s, want_a = {str(s) for s in students}, {str(a) for a in assignment_ids}
    data = {"assignments": {}, "students": [], "subs": {}, "pending": set(),
            "late_assignments": []}
    names = {}
    people = [st for st in gb.students if not want_s or st.id in want_s]
    for st in people:
        names[st.id] = {"first_name": st.first_name, "last_name": st.last_name, "email": st.email}
    data["students"] = sorted(names)
    for a in gb.assignments:
        if want_a and a.name not in want_a:
            continue
        cells, exercises = _cell_exercises(gb, a)
        data["assignments"][a.name] = {"title": a.name, "max": float(a.max_score or 0.0),
                                       "exercises": exercises, "duedate": a.duedate}
        for st in data["students"]:
            try:
                sub = gb.find_submission(a.name, st)
            except MissingEntry:
                continue
            per_ex = {ex: 0.0 for ex, _ in exercises}
            for snb in sub.notebooks:
                for g in snb.grades:
                    ex = cells.get((snb.notebook.name, g.cell.name))
                    if ex is not None:
                        per_ex[ex] += float(g.score or 0.0)
            data["subs"][(st, a.name)] = {
                "score": float(sub.score or 0.0), "exercises": per_ex,
                "late_penalty": float(sub.late_submission_penalty or 0.0),
                "timestamp": sub.timestamp, "error": None, "results": {}, "record": {}}
    data["late_assignments"] = [
        a for a, info in data["assignments"].items() if info["duedate"] is not None
        or any(s["late_penalty"] for (_, aa), s in data["subs"].items() if aa == a)]
    return data, names


class _KitExport(ExportPlugin):
    """What both exporters share: the gradebook read once, the file written whole, a clear error
    line and exit status 1 instead of nbgrader's traceback."""

    default_dest = "grades.csv"

    def fail(self, message: str) -> None:
        self.log.error(message)
        sys.exit(1)

    def read(self, gradebook) -> tuple[dict, dict]:
        students = [str(s) for s in self.student]
        wanted = [str(a) for a in self.assignment]
        if wanted:
            self.log.info("Exporting only assignments: %s", wanted)
        if students:
            self.log.info("Exporting only students: %s", students)
        data, names = gradebook_data(gradebook, students, wanted)
        for a in wanted:
            if a not in data["assignments"]:
                self.log.warning("No assignment %s in the gradebook", a)
        for s in students:
            if s not in names:
                self.log.warning("No student %s in the gradebook", s)
        return data, names

    def write(self, text: str) -> Path:
        dest = Path(self.to or self.default_dest)
        self.log.info("Exporting grades to %s", dest)
        try:
            atomic_write(dest, text)
        except OSError as e:
            self.fail(f"Cannot write {dest}: {e.strerror or e}")
        return dest


class WideExport(_KitExport):
    """The kit's wide gradebook (``classreport.csv_rows``): a row per student, a column per
    assignment (after its late penalty) and per exercise, and the late penalties."""

    default_dest = "grades_wide.csv"

    def export(self, gradebook) -> None:
        data, names = self.read(gradebook)
        header, rows = classreport.csv_rows(data, names)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        self.write(buf.getvalue())


class CanvasExport(_KitExport):
    """A CSV for Canvas's gradebook import (``reports.canvas``): scores less late penalties,
    blank for no submission."""

    default_dest = "canvas.csv"

    roster = Unicode(
        "", help="A gradebook CSV exported from the Canvas course (Grades > Export): its rows "
                 "keep Canvas's names, ids and sections, students matched by SIS Login ID, "
                 "then SIS User ID, then Canvas ID. A relative path is read from the folder "
                 "nbgrader runs in (as --to). Empty: the nbgrader student id is both SIS "
                 "ids.").tag(config=True)
    columns = Dict(
        value_trait=Unicode(), key_trait=Unicode(),
        help="Assignment id -> the Canvas column title to write, e.g. "
             "{'ps1': 'Problem set 1 (1234)'} (Canvas finds an assignment by the id in "
             "parentheses). Default: the assignment id.").tag(config=True)

    def export(self, gradebook) -> None:
        rows = None
        if self.roster:
            try:
                rows = canvas.read_roster(self.roster)
            except ValueError as e:
                self.fail(str(e))
            self.log.info("Canvas roster %s: %d students", self.roster, len(rows))
        data, names = self.read(gradebook)
        for a in sorted(set(self.columns) - set(data["assignments"])):
            self.log.warning("CanvasExport.columns names %s, which is not exported", a)
        if rows is not None:
            _, unmatched = canvas.match_roster(data["students"], rows)
            if unmatched:
                self.log.warning(
                    "%d student(s) of the gradebook are not in the Canvas roster %s (matched on "
                    "SIS Login ID, SIS User ID, ID); listed at the end with their nbgrader id as "
                    "SIS ids: %s", len(unmatched), self.roster, ", ".join(unmatched))
        self.write(canvas.canvas_csv(data, names, rows, dict(self.columns)))
