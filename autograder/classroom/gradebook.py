"""Write a class run's scores into nbgrader's gradebook (``nbgrader.api.Gradebook``).

How nbgrader 0.9.6 stores an autograded score (nbgrader/api.py, preprocessors/saveautogrades.py):
an ``Assignment`` has ``Notebook``s, each with ``GradeCell``s (one per graded cell, named by the
cell's ``grade_id``, with ``max_score``). A ``SubmittedAssignment`` (student x assignment) mirrors
that structure with ``SubmittedNotebook``s holding one ``Grade`` per grade cell. ``nbgrader
autograde`` sets ``Grade.auto_score`` to the cell's partial credit and ``needs_manual_grade`` to
False unless a manual score exists; ``Grade.score`` (manual score if any, else auto score, plus
extra credit) is what ``nbgrader export``, the formgrader and ``generate_feedback`` sum.

Our mapping does exactly what autograde would do for the kit's notebooks, where each exercise has
one graded test cell ``check("<exercise>", ...)`` (grade_id ``<exercise>_test``):

- the exercise's score goes into ``auto_score`` of that cell's Grade; a manual score a grader
  already entered is kept (and, as autograde does, the cell is flagged for review);
- the cell is found in the gradebook by its stored source (``SourceCell``: the cell whose source
  calls ``check("<exercise>"``), else by the grade_id ``<exercise>_test``;
- when the assignment was never generated into this gradebook (no notebook), we create it with
  one notebook named after the assignment and one grade cell ``<exercise>_test`` per exercise,
  the names ``generate_assignment`` gives the kit's source notebooks, so a later
  ``generate_assignment`` updates the same rows;
- students and submissions are added when missing (timestamp from nbgrader's ``timestamp.txt``).

The gradebook is only written from the class runner's parent process, after grading, one
transaction per submission; student code never sees it.
"""
from __future__ import annotations

from pathlib import Path

from ..core.notebook import exercise_of


def _alembic_on_path() -> None:
    """nbgrader runs ``alembic`` when it creates a gradebook; without it on PATH it fails and
    leaves a half-made database. Put this interpreter's bin folder first."""
    import os
    import shutil
    import sys
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    if shutil.which("alembic") is None and os.path.exists(os.path.join(bindir, "alembic")):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _course_id(db_url: str) -> str:
    """The course already in the gradebook when there is exactly one, else nbgrader's default."""
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(db_url, future=True)
    try:
        if "course" not in inspect(engine).get_table_names():
            return "default_course"
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM course"))]
        return ids[0] if len(ids) == 1 else "default_course"
    finally:
        engine.dispose()


def _cell_map(gb, assignment_id: str, exercises: list[tuple[str, float]]) -> tuple[dict, list]:
    """exercise -> (notebook name, grade cell name), creating the notebook when there is none."""
    from nbgrader.api import SourceCell
    a = gb.update_or_create_assignment(assignment_id)
    problems = []
    if not a.notebooks:
        nb = assignment_id
        gb.update_or_create_notebook(nb, assignment_id)
        for ex, pts in exercises:
            gb.update_or_create_grade_cell(f"{ex}_test", nb, assignment_id, max_score=float(pts),
                                           cell_type="code")
        a = gb.find_assignment(assignment_id)
    found = {}
    for notebook in a.notebooks:
        sources = {c.name: c.source or "" for c in gb.db.query(SourceCell)
                   .filter(SourceCell.notebook_id == notebook.id)}
        for cell in notebook.grade_cells:
            name = exercise_of(cell.name, sources.get(cell.name, ""))
            found.setdefault(name, (notebook.name, cell.name))
    mapping = {}
    for ex, pts in exercises:
        if ex in found:
            mapping[ex] = found[ex]
        else:
            problems.append(f"{assignment_id}: no graded cell for exercise {ex} in the gradebook")
    return mapping, problems


def _timestamp(course: Path, student: str, assignment: str) -> str | None:
    p = course / "submitted" / student / assignment / "timestamp.txt"
    try:
        return p.read_text().strip() or None
    except OSError:
        return None


def _grade(gb, cell: str, notebook: str, assignment: str, student: str):
    """The Grade row of (cell, notebook, submission), creating the submitted notebook's rows when
    the submission predates the notebook (add_submission only mirrors existing notebooks)."""
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook
    try:
        return gb.find_grade(cell, notebook, assignment, student)
    except MissingEntry:
        pass
    sub = gb.find_submission(assignment, student)
    nb = gb.find_notebook(notebook, assignment)
    try:
        snb = gb.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        snb = SubmittedNotebook(notebook=nb, assignment=sub)
        gb.db.add(snb)
    for gc in nb.grade_cells:
        if not any(g.cell_id == gc.id for g in snb.grades):
            gb.db.add(Grade(cell_id=gc.id, notebook=snb))
    gb.db.commit()
    return gb.find_grade(cell, notebook, assignment, student)


def write_scores(db_url: str, course, data: dict) -> dict:
    """Write every graded submission of ``data`` (``classreport.collect``'s dict) into the
    gradebook at ``db_url``. Returns a summary, with the students' names for grades.csv."""
    from nbgrader.api import Gradebook, MissingEntry
    _alembic_on_path()
    course = Path(course)
    course_id = _course_id(db_url)
    written, skipped, names = 0, [], {}
    import warnings
    with warnings.catch_warnings(), Gradebook(db_url, course_id=course_id) as gb:
        # nbgrader's own add_submission triggers SQLAlchemy "not in session" warnings (harmless).
        warnings.simplefilter("ignore")
        maps = {}
        for a, info in data["assignments"].items():
            if any(aa == a for (_, aa) in data["subs"]):
                maps[a], problems = _cell_map(gb, a, info["exercises"])
                skipped += problems
        for (student, a), s in sorted(data["subs"].items()):
            gb.update_or_create_student(student)
            try:
                gb.find_submission(a, student)
            except MissingEntry:
                kw = {}
                ts = _timestamp(course, student, a)
                if ts:
                    kw["timestamp"] = ts
                try:
                    gb.add_submission(a, student, **kw)
                except Exception:       # an unparsable timestamp.txt: add it without one
                    gb.add_submission(a, student)
            for ex, (nb, cell) in maps.get(a, {}).items():
                grade = _grade(gb, cell, nb, a, student)
                grade.auto_score = float(s["exercises"].get(ex, 0.0))
                # As nbgrader's SaveAutoGrades: a manual score stays and asks for a review.
                grade.needs_manual_grade = grade.manual_score is not None
                written += 1
            gb.db.commit()
        for st in gb.students:
            names[st.id] = {"first_name": st.first_name, "last_name": st.last_name,
                            "email": st.email}
    return {"db_url": db_url, "course_id": course_id, "grades": written, "skipped": skipped,
            "names": names}


def read_dates(db_url: str) -> tuple[dict, dict]:
    """nbgrader's due dates (``nbgrader db assignment add A --duedate=...``) and extensions
    (``Gradebook.grant_extension``), as ``({assignment: when}, {assignment: {student: hours}})``;
    empty when the gradebook cannot be read (it is a bonus: the configured dates still apply)."""
    from nbgrader.api import Assignment, Gradebook, SubmittedAssignment
    due, ext = {}, {}
    try:
        with Gradebook(db_url, course_id=_course_id(db_url)) as gb:
            for a in gb.db.query(Assignment):
                if a.duedate is not None:
                    due[a.name] = a.duedate.isoformat(sep=" ")
            for sub in gb.db.query(SubmittedAssignment):
                if sub.extension is not None:
                    ext.setdefault(sub.assignment.name, {})[sub.student.id] = \
                        sub.extension.total_seconds() / 3600.0
    except Exception:
        return {}, {}
    return due, ext
