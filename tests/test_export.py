"""The ``nbgrader export`` plugins (autograder/integrations/nbgrader/export.py) run for real, and
the Canvas CSV (autograder/reports/canvas.py) on its own.

One nbgrader course is built once for the module with nbgrader's own API: a gradebook (SQLite in
a temporary folder) holding the kit's first assignment, with a due date (grade cells
``<exercise>_test``, made in the reverse of the kit's order), and an assignment the kit does not
know, without one (a grade cell whose source calls ``check("alpha", ...)``, one named
``beta_test`` with no source); three students, submissions with timestamps and auto scores, a
manual score, two late submissions with a ``late_submission_penalty`` (one larger than its score)
and a missing one. Then the real ``nbgrader export --exporter=...`` runs five times, in parallel
(each its own process, as an instructor runs it; each takes seconds): the wide CSV at its default
name and filtered to a student and an assignment, the Canvas CSV without a roster, with one set
in a run folder's ``nbgrader_config.py``, and with a roster that lacks a column.

Every nbgrader run has HOME, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR and IPYTHONDIR in empty
temporary folders, the venv's bin first on PATH (nbgrader shells out to ``alembic``) and this
checkout on PYTHONPATH (``--exporter`` imports ``autograder``).
"""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from support import ASSIGNMENTS, EXERCISES, POINTS, jupyter_env

from autograder.reports import canvas, classreport

pytestmark = pytest.mark.nbgrader

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
EXPORTERS = "autograder.integrations.nbgrader.export"
KIT_A = ASSIGNMENTS[0]                 # an assignment the kit declares
EXTRA = "ps_extra"                     # one it does not: exercises from the gradebook alone
COURSE_ID = "export_course"
STUDENTS = {"ann": ("Ann", "Lee", "ann@example.org"), "bob": ("Bob", "Ray", "bob@example.org"),
            "cy": (None, None, None)}
NBGRADER_TIMEOUT_S = 300


def course_config(course: Path, extra: str = "") -> str:
    return (f"c = get_config()\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
            + extra)


# The kit assignment's auto scores per exercise: ann full marks, bob and cy partial.
def kit_scores() -> dict[str, dict[str, float]]:
    ex = EXERCISES[KIT_A]
    return {"ann": {e: float(POINTS[e]) for e in ex},
            "bob": {e: (float(POINTS[e]) if i == 0 else 0.0) for i, e in enumerate(ex)},
            "cy": {e: (1.0 if i == 0 else 0.0) for i, e in enumerate(ex)}}


LATE = {"bob": 3.0, "cy": 5.0}          # penalties on the kit assignment; cy's exceeds his score
EXTRA_MAX = {"q_alpha": 3.0, "beta_test": 2.0}
EXTRA_SCORES = {"ann": {"q_alpha": 3.0, "beta_test": 1.5},    # bob: no submission
                "cy": {"q_alpha": 2.0, "beta_test": 0.0}}     # + a manual 1.0 on beta_test


def build_gradebook(course: Path) -> None:
    from nbgrader.api import Gradebook
    due_a = datetime(2024, 1, 10, 12)
    with pytest.MonkeyPatch.context() as mp:
        # nbgrader runs ``alembic`` when it creates a gradebook
        mp.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        gb = Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID)
    # nbgrader's own add_submission warns "not in session" (harmless), as in classroom/gradebook
    with gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(KIT_A, duedate=due_a)
        gb.update_or_create_notebook(KIT_A, KIT_A)
        for ex in reversed(EXERCISES[KIT_A]):        # the kit's order must come from the kit
            gb.update_or_create_grade_cell(f"{ex}_test", KIT_A, KIT_A,
                                           max_score=float(POINTS[ex]), cell_type="code")
        gb.update_or_create_assignment(EXTRA)          # no due date
        gb.update_or_create_notebook(EXTRA, EXTRA)
        for cell, pts in EXTRA_MAX.items():
            gb.update_or_create_grade_cell(cell, EXTRA, EXTRA, max_score=pts, cell_type="code")
        gb.update_or_create_source_cell("q_alpha", EXTRA, EXTRA, cell_type="code", locked=True,
                                        source='points = check("alpha", alpha)\npoints')
        for sid, (first, last, email) in STUDENTS.items():
            gb.update_or_create_student(sid, first_name=first, last_name=last, email=email)
        for sid, scores in kit_scores().items():
            late = sid in LATE
            gb.add_submission(KIT_A, sid, timestamp="2024-01-12 09:00:00" if late
                              else "2024-01-09 09:00:00")
            for ex, s in scores.items():
                gb.find_grade(f"{ex}_test", KIT_A, KIT_A, sid).auto_score = s
            if late:
                gb.find_submission_notebook(KIT_A, KIT_A, sid).late_submission_penalty = LATE[sid]
        for sid, scores in EXTRA_SCORES.items():
            gb.add_submission(EXTRA, sid, timestamp="2024-01-30 09:00:00")
            for cell, s in scores.items():
                gb.find_grade(cell, EXTRA, EXTRA, sid).auto_score = s
        gb.find_grade("beta_test", EXTRA, EXTRA, "cy").manual_score = 1.0
        gb.db.commit()


# A gradebook exported from the Canvas course: ann by her login (another case), bob by his SIS
# user id (his login is an address), a student the kit lacks, Canvas's test student; cy (the
# kit's) is not in it. A "Manual Posting" row and a total column as Canvas writes them.
ROSTER = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz (77)", "Current Score"],
    ["", "", "", "", "", "Manual Posting", ""],
    ["    Points Possible", "", "", "", "", "10.00", "(read only)"],
    ["Lee, Ann", "1001", "S-1", "ANN", "Sec 1", "9.00", "90"],
    ["Ray, Bob", "1002", "bob", "bob@uni.example", "Sec 2", "", ""],
    ["Zed, Zoe", "1003", "S-3", "zoe", "Sec 1", "8.00", "80"],
    ["Student, Test", "1999", "", "", "Sec 1", "", ""],
]
CANVAS_TITLE = "Convolutions (4242)"


def write_csv(path: Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course, and every export run: {name: (CompletedProcess, folder it ran in)}."""
    tmp = tmp_path_factory.mktemp("export")
    course = tmp / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(course_config(course))
    build_gradebook(course)
    # A run folder whose nbgrader_config.py sets the roster and the column titles, as an
    # instructor would; the course root's config is read as well.
    rdir = course / "canvas_run"
    rdir.mkdir()
    write_csv(rdir / "canvas_export.csv", ROSTER)
    (rdir / "nbgrader_config.py").write_text(course_config(course, (
        'c.CanvasExport.roster = "canvas_export.csv"\n'
        f'c.CanvasExport.columns = {{{KIT_A!r}: {CANVAS_TITLE!r}}}\n')))
    write_csv(course / "bad_roster.csv", [["Student", "ID", "Section", "Quiz (77)"],
                                          ["Lee, Ann", "1001", "Sec 1", "9"]])
    env = jupyter_env(tmp)
    runs = {
        "wide": (course, ["WideExport"]),
        "wide_one": (course, ["WideExport", "--to", "one/wide.csv", "--student", "ann",
                              "--assignment", KIT_A]),
        "canvas": (course, ["CanvasExport"]),
        "canvas_roster": (rdir, ["CanvasExport"]),
        "canvas_bad": (course, ["CanvasExport", "--CanvasExport.roster=bad_roster.csv",
                                "--to", "bad.csv"]),
    }

    def run(item):
        name, (cwd, args) = item
        cmd = [str(VENV_BIN / "nbgrader"), "export", f"--exporter={EXPORTERS}.{args[0]}", *args[1:]]
        return name, (subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                                     timeout=NBGRADER_TIMEOUT_S), cwd)

    with ThreadPoolExecutor(len(runs)) as pool:
        done = dict(pool.map(run, runs.items()))
    return {"root": course, "runs": done}


def ok(course, name: str):
    proc, cwd = course["runs"][name]
    assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc, cwd


def by_student(rows: list[list[str]], key: int = 0) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {r[key]: dict(zip(header, r)) for r in rows[1:]}


def kit_total(sid: str) -> float:
    return sum(kit_scores()[sid].values())


def test_wide_csv_is_the_kit_grades_csv_with_late_penalties(course):
    _, cwd = ok(course, "wide")
    rows = read_csv(cwd / "grades_wide.csv")       # the default destination, in the run folder
    header = rows[0]
    order = header[6:8]                            # nbgrader's order: due date, then name
    assert sorted(order) == sorted([KIT_A, EXTRA])
    ex_cols = {KIT_A: [f"{KIT_A}:{e}" for e in EXERCISES[KIT_A]],     # the kit's order
               EXTRA: [f"{EXTRA}:alpha", f"{EXTRA}:beta"]}            # the gradebook's order
    # only the assignment with a due date has a late_penalty column
    assert header == (classreport.STUDENT_COLUMNS + ["score", "max_score"] + order
                      + [c for a in order for c in ex_cols[a]] + [f"{KIT_A}:late_penalty"])
    got = by_student(rows)
    assert sorted(got) == sorted(STUDENTS)
    assert got["ann"]["last_name"] == "Lee" and got["ann"]["email"] == "ann@example.org"
    course_max = sum(POINTS[e] for e in EXERCISES[KIT_A]) + sum(EXTRA_MAX.values())
    assert all(float(r["max_score"]) == course_max for r in got.values())
    for sid, r in got.items():
        for e in EXERCISES[KIT_A]:                 # exercises: the cells' scores
            assert float(r[f"{KIT_A}:{e}"]) == kit_scores()[sid][e], (sid, e)
        # the assignment: its score after the penalty, never below 0; the penalty beside it
        assert float(r[KIT_A]) == max(0.0, kit_total(sid) - LATE.get(sid, 0.0)), sid
        assert float(r[f"{KIT_A}:late_penalty"]) == LATE.get(sid, 0.0), sid
    # the exercise found by its check(...) call, the manual score counted, bob's missing blank
    assert (got["ann"][f"{EXTRA}:alpha"], got["ann"][f"{EXTRA}:beta"]) == ("3", "1.5")
    assert (got["cy"][f"{EXTRA}:alpha"], got["cy"][f"{EXTRA}:beta"]) == ("2", "1")
    assert [got["bob"][c] for c in (EXTRA, f"{EXTRA}:alpha", f"{EXTRA}:beta")] == [""] * 3
    # totals: the scores after their penalties
    assert float(got["ann"]["score"]) == kit_total("ann") + 4.5
    assert float(got["bob"]["score"]) == kit_total("bob") - LATE["bob"]
    assert float(got["cy"]["score"]) == 0.0 + 3.0     # 1 - 5 -> 0, then 2 + a manual 1


def test_wide_csv_honours_student_and_assignment(course):
    proc, cwd = ok(course, "wide_one")
    rows = read_csv(cwd / "one" / "wide.csv")
    assert [r[0] for r in rows[1:]] == ["ann"]
    assert EXTRA not in rows[0] and not any(c.startswith(EXTRA) for c in rows[0])
    assert KIT_A in rows[0]


def test_canvas_csv_without_roster(course):
    _, cwd = ok(course, "canvas")
    rows = read_csv(cwd / "canvas.csv")
    assert rows[0][:5] == canvas.IDENTITY and sorted(rows[0][5:]) == sorted([KIT_A, EXTRA])
    k, x = rows[0].index(KIT_A), rows[0].index(EXTRA)
    kit_max = sum(POINTS[e] for e in EXERCISES[KIT_A])
    assert rows[1][:5] == ["    Points Possible", "", "", "", ""]
    assert (rows[1][k], rows[1][x]) == (canvas.points_text(kit_max),
                                        canvas.points_text(sum(EXTRA_MAX.values())))
    got = {r[3]: r for r in rows[2:]}
    assert got["ann"][:5] == ["Lee, Ann", "", "ann", "ann", ""]
    assert got["cy"][:5] == ["cy", "", "cy", "cy", ""]             # no name: the id
    assert float(got["ann"][k]) == kit_total("ann") and float(got["ann"][x]) == 4.5
    assert float(got["bob"][k]) == kit_total("bob") - LATE["bob"]  # the penalty applied
    assert got["bob"][x] == ""                                    # no submission: blank, not 0
    assert got["cy"][k] == "0"                                    # never below 0


def test_canvas_csv_with_a_roster_set_in_nbgrader_config(course):
    proc, cwd = ok(course, "canvas_roster")
    rows = read_csv(cwd / "canvas.csv")
    assert rows[0][:5] == canvas.IDENTITY
    assert sorted(rows[0][5:]) == sorted([CANVAS_TITLE, EXTRA])   # the title configured
    k, x = rows[0].index(CANVAS_TITLE), rows[0].index(EXTRA)
    assert rows[1][0] == "    Points Possible"
    body = rows[2:]
    # the roster's students in the roster's order, Canvas's cells kept; then the kit's own
    assert [r[0] for r in body] == ["Lee, Ann", "Ray, Bob", "Zed, Zoe", "Student, Test", "cy"]
    ann, bob, zoe, test, cy = body
    assert ann[:5] == ["Lee, Ann", "1001", "S-1", "ANN", "Sec 1"]
    assert float(ann[k]) == kit_total("ann") and float(ann[x]) == 4.5
    assert bob[:5] == ["Ray, Bob", "1002", "bob", "bob@uni.example", "Sec 2"]
    assert float(bob[k]) == kit_total("bob") - LATE["bob"] and bob[x] == ""
    assert zoe[5:] == ["", ""] and test[5:] == ["", ""]          # in Canvas, not in the kit
    assert cy[:5] == ["cy", "", "cy", "cy", ""] and cy[k] == "0"
    assert "not in the Canvas roster" in proc.stderr and "cy" in proc.stderr


def test_canvas_roster_without_a_column_is_a_clear_error(course):
    proc, cwd = course["runs"]["canvas_bad"]
    assert proc.returncode == 1, proc.stderr
    assert "bad_roster.csv" in proc.stderr and "'SIS Login ID'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (cwd / "bad.csv").exists()


# ---- the Canvas CSV on its own (no nbgrader) ----

def class_data() -> dict:
    return {
        "assignments": {"hw1": {"title": "hw1", "max": 10.0, "exercises": [("e1", 10.0)]},
                        "hw2": {"title": "hw2", "max": 7.5, "exercises": [("e2", 7.5)]}},
        "students": ["u1", "u2", "u3"],
        "subs": {("u1", "hw1"): {"score": 8.0, "exercises": {"e1": 8.0}, "late_penalty": 1.25},
                 ("u1", "hw2"): {"score": 22 / 3, "exercises": {"e2": 22 / 3}},
                 ("u2", "hw1"): {"score": 2.0, "exercises": {"e1": 2.0}, "late_penalty": 4.0},
                 ("u3", "hw2"): {"score": 0.0, "exercises": {"e2": 0.0}}},
        "pending": set()}


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_csv_unit():
    names = {"u1": {"first_name": "Ada", "last_name": "Byron", "email": "a@x"},
             "u2": {"first_name": "Bo", "last_name": None, "email": None}}
    rows = parse(canvas.canvas_csv(class_data(), names, columns={"hw1": "Homework 1 (11)"}))
    assert rows == [
        canvas.IDENTITY + ["Homework 1 (11)", "hw2"],
        ["    Points Possible", "", "", "", "", "10", "7.5"],
        ["Byron, Ada", "", "u1", "u1", "", "6.75", "7.33"],   # 8 - 1.25; two decimals
        ["Bo", "", "u2", "u2", "", "0", ""],                 # 2 - 4 is 0; missing is blank
        ["u3", "", "u3", "u3", "", "", "0"],                 # a real zero stays a zero
    ]
    assert canvas.points_text(1234567.891) == "1234567.89" and canvas.points_text(-0.001) == "0"


def test_canvas_roster_matching_unit():
    roster = [
        {"Student": "A", "ID": "u1", "SIS User ID": "", "SIS Login ID": "x", "Section": "S"},
        {"Student": "B", "ID": "9", "SIS User ID": "", "SIS Login ID": "U1", "Section": "S"},
        {"Student": "C", "ID": "8", "SIS User ID": "u2", "SIS Login ID": "c@x", "Section": ""},
        {"Student": "D", "ID": "7", "SIS User ID": "", "SIS Login ID": "d", "Section": "T"},
    ]
    taken, unmatched = canvas.match_roster(["u1", "u2", "u3"], roster)
    # the login wins over another row's Canvas ID; one row per student
    assert taken == {1: "u1", 2: "u2"} and unmatched == ["u3"]
    rows = parse(canvas.canvas_csv(class_data(), roster=roster))
    assert [r[:2] + r[5:] for r in rows[2:]] == [
        ["A", "u1", "", ""], ["B", "9", "6.75", "7.33"], ["C", "8", "0", ""],
        ["D", "7", "", ""], ["u3", "", "", "0"]]


def test_read_roster_unit(tmp_path):
    p = tmp_path / "export.csv"
    write_csv(p, ROSTER)
    rows = canvas.read_roster(p)
    assert [r["Student"] for r in rows] == ["Lee, Ann", "Ray, Bob", "Zed, Zoe", "Student, Test"]
    assert rows[0]["SIS Login ID"] == "ANN" and rows[0]["Quiz (77)"] == "9.00"
    # a BOM, semicolons, LastName/FirstName and no SIS User ID column (a non-admin's export)
    p.write_text("\ufeffLastName;FirstName;ID;SIS Login ID;Section;Quiz (77)\n"
                 "    Points Possible;;;;;10\nLee;Ann;1001;ann;Sec 1;9\n", encoding="utf-8")
    (row,) = canvas.read_roster(p)
    assert (row["Student"], row["ID"], row["SIS User ID"], row["SIS Login ID"]) == \
        ("Lee, Ann", "1001", "", "ann")
    write_csv(p, [["Student", "ID", "SIS User ID", "Section"], ["A", "1", "2", "S"]])
    with pytest.raises(ValueError, match=r"export\.csv.*'SIS Login ID'"):
        canvas.read_roster(p)
    with pytest.raises(ValueError, match=r"missing\.csv.*cannot be read"):
        canvas.read_roster(tmp_path / "missing.csv")
    p.write_text("")
    with pytest.raises(ValueError, match="empty"):
        canvas.read_roster(p)
