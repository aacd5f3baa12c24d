"""One grader inside nbgrader: ``make grade`` (``python -m autograder class``) and nbgrader's own
commands, run for real, in two orders, on a course as an instructor keeps one, and nothing lost.

The course: the kit's ``nbgrader_config.py`` (``nbgrader autograde`` grades with the kit's
``GradeWithConvkit`` step in place of nbgrader's ``Execute``) plus a due date, an extension, the
kit's late-penalty plugin and an exchange folder; one assignment (the one declaring ``corr2d``);
and these students:

- ``reference`` (the solution, on time), ``late`` (a demo student who is partly right, a day and
  an hour late: two started days, 20%), ``extended`` (the solution, as late, with a 48 h
  extension: on time), ``untouched`` (the release as it is);
- hostile notebooks: ``leak_solutions`` and ``fake_results`` from ``tests/hostile`` (they read the
  solutions and the gradebook through guessed paths, or print and write fake results), and
  ``notebook_attack``: the solution plus a "Try it" cell that, run in a Jupyter kernel beside the
  grader as nbgrader's ``Execute`` would run it, zeroes every grade in the gradebook, writes into
  the course and deletes the kit's records. Under the kit it runs in the sandbox, and nothing of it
  reaches the course.

The kit's package is a copy in which learn_kernel's check "recovers other kernels" is declared
hidden (``Check.hidden``), so the hidden-check path runs end to end too: counted everywhere, its
details out of the students' pages (the kit's and nbgrader's ``generate_feedback``) until the
course's ``c.Convkit.released`` names the assignment.

Two copies of the course then run the commands in two orders; after every step each invariant
is checked: the kit's records and pages are all there, nbgrader's autograded notebooks and
feedback are all there once made, the one never changes the other's files, and nbgrader's
gradebook holds the kit's points per exercise.
"""
from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from support import ROOT, home, jupyter_env

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(1800)]

A = home("corr2d")
HIDDEN_CHECK = "recovers other kernels"
DUE = "2026-10-05 23:59:00 +00:00"
# When each handed in (nbgrader's timestamp.txt, which release_feedback needs for everyone).
ON_TIME = "2026-10-05 20:00:00.000000 UTC"
STAMP = {"late": "2026-10-07 01:00:00.000000 UTC",          # 25 h late: 2 started days
         "extended": "2026-10-07 01:00:00.000000 UTC"}      # 48 h extension: on time
HOSTILE = ("leak_solutions", "fake_results")
ATTACK = "notebook_attack"
TIMEOUT_S = 900
EXTRA_CONFIG = f"""
# ---- added by tests/test_nbgrader_course.py
c.Convkit.due_dates = {{{A!r}: {DUE!r}}}
c.Convkit.extensions = {{{A!r}: {{"extended": 48}}}}
c.AssignLatePenalties.plugin_class = "autograder.results.late.LatePenalty"
c.LatePenalty.per_day = 0.1
c.Exchange.root = os.path.join(ROOT, "exchange")
c.Convkit.jobs = 2
"""


# ------------------------------------------------------------------------------ building
def hidden_package(dest: Path) -> Path:
    """A copy of the kit in which ``HIDDEN_CHECK`` is declared hidden; returns its root."""
    shutil.copytree(ROOT / "autograder", dest / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "solutions", dest / "solutions")   # the checks read the reference
    module = dest / "autograder" / "assignments" / f"{home('learn_kernel')}.py"
    src = module.read_text()
    call = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") == "Check" and n.args
                and getattr(n.args[0], "value", None) == HIDDEN_CHECK)
    lines = src.splitlines(keepends=True)
    line = lines[call.end_lineno - 1]
    at = call.end_col_offset - 1            # the call's closing parenthesis
    lines[call.end_lineno - 1] = line[:at] + ", hidden=True" + line[at:]
    module.write_text("".join(lines))
    return dest


def notebook_from(code: str, extra_cell: str | None = None):
    """The released notebook with ``code`` in its first solution cell and the other solution
    cells empty; ``extra_cell``: one more code cell of the student's own at the end."""
    nb = nbformat.read(ROOT / "assignments" / A / f"{A}.ipynb", as_version=4)
    first = True
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source, first = (code if first else ""), False
    if extra_cell:
        nb.cells.append(nbformat.v4.new_code_cell(extra_cell))
    return nb


def hostile_code(name: str) -> str:
    src = (ROOT / "tests" / "hostile" / f"{name}.py").read_text()
    honest = (ROOT / "tests" / "hostile" / "_honest.txt").read_text()
    return re.sub(r"(?m)^# __HONEST__.*\n(#.*\n)*", lambda _: honest, src)


def attack_cell(tmp: Path) -> str:
    return f'''# Try it
import glob, os, shutil, sqlite3
for db in glob.glob({str(tmp)!r} + "/*/.nbgrader/gradebook.db") + [
        "../" * k + ".nbgrader/gradebook.db" for k in range(1, 6)]:
    try:
        con = sqlite3.connect(db)
        con.execute("UPDATE grade SET auto_score = 0")
        con.execute("UPDATE grade SET manual_score = 0")
        con.commit()
    except Exception:
        pass
for course in glob.glob({str(tmp)!r} + "/*/") + ["../../../"]:
    try:
        open(os.path.join(course, "pwned.txt"), "w").write("pwned")
        shutil.rmtree(os.path.join(course, "convkit"))
    except Exception:
        pass
print(10.0)
'''


def _partly_right(path: Path) -> bool:
    """A demo student with a bug to find (its docstring's first word says: "Perfect:", ...)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return bool(doc) and not doc.startswith(("Perfect", "Untouched")) \
        and "endless loop" not in doc.lower()


def students(tmp: Path) -> dict:
    solution = ROOT / "solutions" / A / f"{A}.ipynb"
    demo = ROOT / "demo" / "course" / "submitted"
    partly = next(d / A / f"{A}.ipynb" for d in sorted(demo.iterdir())
                  if (d / A / f"{A}.ipynb").is_file()
                  and (ROOT / "demo" / "students" / d.name / f"{A}.py").is_file()
                  and _partly_right(ROOT / "demo" / "students" / d.name / f"{A}.py"))
    out = {"reference": nbformat.read(solution, as_version=4),
           "late": nbformat.read(partly, as_version=4),
           "extended": nbformat.read(solution, as_version=4),
           "untouched": nbformat.read(ROOT / "assignments" / A / f"{A}.ipynb", as_version=4)}
    for name in HOSTILE:
        out[name] = notebook_from(hostile_code(name))
    sol_code = "\n\n".join(c.source for c in out["reference"].cells
                           if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    out[ATTACK] = notebook_from(sol_code, attack_cell(tmp))
    return out


class Course:
    def __init__(self, path: Path, env: dict):
        self.path, self.env, self.log = path, env, []

    def run(self, *argv: str, kit: bool = False) -> str:
        if kit:
            cmd = [sys.executable, "-m", "autograder", "class", str(self.path), *argv]
        else:
            cmd = [str(Path(sys.executable).parent / "nbgrader"), *argv,
                   f"--CourseDirectory.root={self.path}"]
        proc = subprocess.run(cmd, cwd=self.path, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S)
        self.log.append((" ".join(argv[:2]), proc.stdout))
        assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-6000:]}"
        return proc.stdout

    def grade(self, *flags: str) -> str:
        return self.run(*flags, kit=True)


def build(course: Path, tmp: Path, subs: dict, env: dict) -> Course:
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    (course / "nbgrader_config.py").write_text(
        (ROOT / "nbgrader_config.py").read_text() + EXTRA_CONFIG)
    for student, nb in subs.items():
        d = course / "submitted" / student / A
        d.mkdir(parents=True)
        nbformat.write(nb, d / f"{A}.ipynb")
        # as nbgrader submit / collect leave them: the time, and the secret release_feedback uses
        (d / "timestamp.txt").write_text(STAMP.get(student, ON_TIME))
        (d / "submission_secret.txt").write_text(hashlib.sha256(student.encode()).hexdigest())
    # nbgrader's exchange, where release_feedback puts the feedback for students to fetch
    (course / "exchange").mkdir()
    os.chmod(course / "exchange", 0o777)
    c = Course(course, env)
    c.run("generate_assignment", A, "--force")
    return c


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbgrader_course")
    package = hidden_package(tmp / "kit")
    env = jupyter_env(tmp, package)
    subs = students(tmp)
    first = build(tmp / "first", tmp, subs, env)
    # The same course, copied before anything is graded: the second order starts from it.
    shutil.copytree(first.path, tmp / "second", symlinks=True)
    second = Course(tmp / "second", env)
    return {"tmp": tmp, "first": first, "second": second, "students": sorted(subs),
            "package": package}


# ------------------------------------------------------------------------------ invariants
def tree(path: Path) -> dict:
    """{relative path: sha256} of every file under ``path`` (empty when it does not exist)."""
    if not path.exists():
        return {}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def kit_results(course: Path, student: str) -> dict:
    return json.loads((course / "convkit" / "autograded" / student / A / "results.json").read_text())


def kit_points(results: dict) -> dict:
    out: dict = {}
    for t in results["tests"]:
        out[t["tags"][0]] = round(out.get(t["tags"][0], 0.0) + t["score"], 4)
    return out


def gradebook_points(course: Path, students) -> dict:
    from nbgrader.api import Gradebook
    from autograder.core.notebook import exercise_of
    src = nbformat.read(course / "solutions" / A / f"{A}.ipynb", as_version=4)
    sources = {c.metadata.nbgrader["grade_id"]: c.source for c in src.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    out = {}
    with Gradebook("sqlite:///" + str(course / ".nbgrader" / "gradebook.db")) as gb:
        for s in students:
            nb = gb.find_submission_notebook(A, A, s)
            out[s] = {"exercises": {exercise_of(g.name, sources.get(g.name)): round(g.score, 4)
                                    for g in nb.grades},
                      "penalty": nb.late_submission_penalty or 0.0}
    return out


def check_invariants(c: Course, students, autograded: bool, feedback: bool) -> None:
    course = c.path
    for s in students:
        adir = course / "convkit" / "autograded" / s / A
        assert (adir / "results.json").is_file() and (adir / "convkit.json").is_file(), (s, c.log[-1][0])
        assert (course / "convkit" / "feedback" / s / A / "feedback.html").is_file(), s
        if autograded:
            nb = course / "autograded" / s / A / f"{A}.ipynb"
            assert nb.is_file() and (nb.parent / "timestamp.txt").is_file(), (s, c.log[-1][0])
        if feedback:
            assert (course / "feedback" / s / A / f"{A}.html").is_file(), (s, c.log[-1][0])
    assert not (course / "pwned.txt").exists()
    if autograded:
        gb = gradebook_points(course, students)
        for s in students:
            assert gb[s]["exercises"] == kit_points(kit_results(course, s)), (s, c.log[-1][0])


def step_keeps(c: Course, what: str, action, students, autograded, feedback):
    """Run ``action``; the kit's files (when ``what`` is "nbgrader") or nbgrader's (when "kit")
    must come out byte for byte as they went in."""
    course = c.path
    mine = ("convkit",) if what == "nbgrader" else ("autograded", "feedback", "submitted")
    before = {d: tree(course / d) for d in mine}
    out = action()
    after = {d: tree(course / d) for d in mine}
    assert after == before, f"{c.log[-1][0]} changed {what == 'nbgrader' and 'the kit' or 'nbgrader'}'s files"
    check_invariants(c, students, autograded, feedback)
    return out


# ------------------------------------------------------------------------------ the orders
@pytest.fixture(scope="module")
def first_order(world):
    """make grade, autograde, autograde --force, generate_feedback, release_feedback, export
    (nbgrader's CSV, the kit's wide gradebook, Canvas), make grade."""
    c, st = world["first"], world["students"]
    c.grade()
    check_invariants(c, st, autograded=False, feedback=False)
    logs = {"make grade": c.log[-1][1]}
    logs["autograde"] = step_keeps(c, "nbgrader", lambda: c.run("autograde", A), st, True, False)
    logs["autograde --force"] = step_keeps(c, "nbgrader", lambda: c.run("autograde", A, "--force"),
                                           st, True, False)
    step_keeps(c, "nbgrader", lambda: c.run("generate_feedback", A), st, True, True)
    step_keeps(c, "nbgrader", lambda: c.run("release_feedback", A), st, True, True)
    step_keeps(c, "nbgrader", lambda: c.run("export"), st, True, True)
    exporter = "autograder.integrations.nbgrader.export."
    step_keeps(c, "nbgrader", lambda: c.run("export", f"--exporter={exporter}WideExport"),
               st, True, True)
    step_keeps(c, "nbgrader", lambda: c.run("export", f"--exporter={exporter}CanvasExport"),
               st, True, True)
    logs["make grade again"] = step_keeps(c, "kit", c.grade, st, True, True)
    return logs


@pytest.fixture(scope="module")
def second_order(world):
    """autograde first (the kit's records are made by nbgrader's command), make grade (nothing
    left to grade), generate_feedback --force, make grade --force, autograde (skips what exists),
    export."""
    c, st = world["second"], world["students"]
    logs = {"autograde": c.run("autograde", A)}
    check_invariants(c, st, autograded=True, feedback=False)
    # the kit's pages nbgrader's run wrote keep the hidden check back, as the class run's do
    logs["kit page"] = (c.path / "convkit" / "feedback" / "reference" / A / "feedback.html").read_text()
    logs["make grade"] = step_keeps(c, "kit", c.grade, st, True, False)
    step_keeps(c, "nbgrader", lambda: c.run("generate_feedback", A, "--force"), st, True, True)
    logs["make grade --force"] = step_keeps(c, "kit", lambda: c.grade("--force"), st, True, True)
    logs["autograde again"] = step_keeps(c, "nbgrader", lambda: c.run("autograde", A),
                                         st, True, True)
    step_keeps(c, "nbgrader", lambda: c.run("export"), st, True, True)
    return logs


def test_make_grade_then_nbgrader_loses_nothing(world, first_order):
    c = world["first"]
    # nbgrader graded every student (nothing of the kit's sits in autograded/ to make it skip)
    assert "Skipping existing assignment" not in first_order["autograde"]
    # and reused the class run's results rather than grading again
    assert first_order["autograde"].count("reused the class run's result") == len(world["students"])
    assert "graded 0," in first_order["make grade again"]
    released = c.path / "exchange" / "convkit" / "feedback"
    assert len(list(released.rglob("*.html"))) == len(world["students"])
    wide = list(csv.DictReader(open(c.path / "grades_wide.csv")))
    kit = {r["student_id"]: r for r in csv.DictReader(open(c.path / "convkit" / "grades.csv"))}
    assert {r["student_id"]: r[A] for r in wide} == {s: r[A] for s, r in kit.items()}
    canvas = list(csv.reader(open(c.path / "canvas.csv")))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def test_nbgrader_first_then_make_grade_loses_nothing(world, second_order):
    assert "graded 0," in second_order["make grade"]      # nbgrader's run made the records
    assert f"graded {len(world['students'])}," in second_order["make grade --force"]
    assert "Skipping existing assignment" in second_order["autograde again"]
    assert HIDDEN_CHECK not in second_order["kit page"] and "hidden check" in second_order["kit page"]
    late = (world["second"].path / "convkit" / "feedback" / "late" / A / "feedback.html").read_text()
    assert "after the due date" in late
    for s in world["students"]:
        assert kit_points(kit_results(world["second"].path, s)) == \
            kit_points(kit_results(world["first"].path, s)), s


def test_late_penalty_is_the_same_everywhere(world, first_order):
    c = world["first"]
    gb = gradebook_points(c.path, world["students"])
    raw = {s: kit_results(c.path, s)["score"] for s in world["students"]}
    assert 0 < raw["late"] < 20
    assert gb["late"]["penalty"] == pytest.approx(0.2 * raw["late"], abs=1e-3)
    assert gb["extended"]["penalty"] == 0 and gb["reference"]["penalty"] == 0
    kit = {r["student_id"]: r for r in csv.DictReader(open(c.path / "convkit" / "grades.csv"))}
    assert float(kit["late"][f"{A}:late_penalty"]) == pytest.approx(0.2 * raw["late"], abs=1e-3)
    assert float(kit["late"][A]) == pytest.approx(0.8 * raw["late"], abs=1e-3)
    assert float(kit["extended"][A]) == 20 and kit["untouched"][f"{A}:late_penalty"] == "0"
    nbg = {r["student_id"]: r for r in csv.DictReader(open(c.path / "grades.csv"))}
    assert float(nbg["late"]["score"]) == pytest.approx(float(kit["late"][A]), abs=1e-3)
    page = (c.path / "convkit" / "feedback" / "late" / A / "feedback.html").read_text()
    assert "Late" in page and "1 d 1 h after the due date" in page and "10% of the score" in page
    ext = (c.path / "convkit" / "feedback" / "extended" / A / "feedback.html").read_text()
    assert "on time" in ext and "extension of 48 h" in ext
    report = (c.path / "convkit" / "class_report.html").read_text()
    assert "late)" in report


def test_hostile_notebooks_are_withstood_under_nbgrader(world, first_order, second_order):
    for c in (world["first"], world["second"]):
        gb = gradebook_points(c.path, world["students"])
        assert sum(gb["reference"]["exercises"].values()) == 20     # not zeroed by the attack
        assert gb[ATTACK]["exercises"] == gb["reference"]["exercises"]
        for name in HOSTILE:
            assert gb[name]["exercises"]["corr2d"] == 0, name
            assert gb[name]["exercises"]["Conv2D"] > 0, name      # honest code next to it
        assert not (c.path / "pwned.txt").exists() and not (world["tmp"] / "pwned.txt").exists()
        # What the attacks could read would show in what their code printed or raised (the
        # graded cells' outputs, the kit's page): the solutions, the gradebook.
        for s in HOSTILE:
            nb = nbformat.read(c.path / "autograded" / s / A / f"{A}.ipynb", as_version=4)
            outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
            page = (c.path / "convkit" / "feedback" / s / A / "feedback.html").read_text()
            for text in (outputs, page):
                assert "BEGIN SOLUTION" not in text and "/.nbgrader/" not in text, s


def test_graded_cells_carry_the_kit_feedback_and_no_kernel_ran(world, first_order):
    c = world["first"]
    nb = nbformat.read(c.path / "autograded" / "late" / A / f"{A}.ipynb", as_version=4)
    graded = [cell for cell in nb.cells if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert graded
    for cell in graded:
        values = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(values) == 1 and float(values[0].data["text/plain"]) >= 0
        assert any(o.output_type == "stream" and "points" in o.text for o in cell.outputs)
    # No Jupyter kernel: the Try-it cells have no outputs (nbgrader's ClearOutput emptied them).
    plain = [cell for cell in nb.cells if cell.cell_type == "code"
             and not cell.get("metadata", {}).get("nbgrader")]
    assert plain and all(not cell.outputs for cell in plain)
    assert all("Starting kernel" not in log and "Executing notebook" not in log
               for _, log in c.log)


def test_hidden_check_counts_and_shows_only_once_released(world, first_order):
    c = world["first"]
    results = kit_results(c.path, "reference")
    hidden = [t for t in results["tests"] if t["tags"][1] == HIDDEN_CHECK]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    assert results["score"] == 20                           # counted
    kit_page = (c.path / "convkit" / "feedback" / "reference" / A / "feedback.html").read_text()
    nbg_page = (c.path / "feedback" / "reference" / A / f"{A}.html").read_text()
    for page in (kit_page, nbg_page):
        assert HIDDEN_CHECK not in page and "hidden check" in page
    autograded = (c.path / "autograded" / "reference" / A / f"{A}.ipynb").read_text()
    assert HIDDEN_CHECK in autograded           # the instructor's copy has it all
    # The instructor releases it: both pages show it, nothing is graded again.
    with open(c.path / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Convkit.released = [{A!r}]\n")
    try:
        out = c.grade()
        assert "graded 0," in out
        c.run("generate_feedback", A, "--force")
        for page in ((c.path / "convkit" / "feedback" / "reference" / A / "feedback.html"),
                     (c.path / "feedback" / "reference" / A / f"{A}.html")):
            assert HIDDEN_CHECK in page.read_text(), page
    finally:
        text = (c.path / "nbgrader_config.py").read_text()
        (c.path / "nbgrader_config.py").write_text(text.replace(f"\nc.Convkit.released = [{A!r}]\n", ""))
