"""nbgrader end to end: the real nbgrader pipeline on a course built from the kit, against the kit.

For each assignment a temporary course folder is built as an instructor would: ``solutions/`` as
nbgrader's source, the kit's ``nbgrader_config.py`` (which makes its folder the course root), and
in ``submitted/`` the notebooks that show something: ``reference`` (the solution notebook handed
in: correct), ``untouched`` (the released notebook as it is: the stub) and the first demo student
who is partly right (``demo/students/<s>/<a>.py`` says so in its docstring). Then, for real:

    nbgrader generate_assignment A --force
    nbgrader db student import students.csv     (one process for the class; same rows as
                                                 ``nbgrader db student add`` once per student)
    nbgrader autograde A --force
    nbgrader generate_feedback A --force
    nbgrader export --to grades.csv

The assignments run as courses in parallel (each with its own gradebook: SQLite does not share
well between processes). Meanwhile the kit grades the same notebooks the way ``make check`` does
(``grade(..., isolation="process")``, the engine of ``python -m autograder check``). The tests
then assert: same per-exercise points in nbgrader's gradebook (one graded cell per exercise) and
in the kit's results; the same totals in nbgrader's CSV export; full marks for the reference and
zero for the untouched stub in both; graded cells end in a plain float with nothing on stderr; a
feedback page for every submission. The rest of the demo class differs from these only in the
student's code, which the kit's own tests grade from ``tests/corpus``.

``nbgrader autograde`` grades with the kit's own step (``GradeWithConvkit``, configured in the
kit's ``nbgrader_config.py`` in place of nbgrader's ``Execute``): the kit's isolated worker runs
the student's code, no Jupyter kernel does. So the kit graded with ``isolation="process"`` and
nbgrader's run (sandboxed where bubblewrap is) must agree to the point. Each demo submission whose
docstring says "Endless loop" (the first per assignment) gets a course of its own:
``test_endless_loop_scores_the_same`` compares nbgrader's points with the kit's as above (under a
kernel its "Try it" cells would each wait out ``Execute.timeout``; under the kit's step, which
runs them with the worker's CPU limit, they cost seconds). ``tests/test_nbgrader_course.py`` runs
the other nbgrader commands, in two orders, beside ``make grade``.

Every nbgrader run has HOME, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR and IPYTHONDIR in temporary
folders, the venv's bin first on PATH (nbgrader shells out to ``alembic``), and this checkout on
PYTHONPATH (so the kernels import this ``autograder``).
"""
from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from support import ASSIGNMENTS, EXERCISES, POINTS, home, jupyter_env

# The module fixture runs nbgrader for minutes (longer on a loaded machine): more than the
# suite-wide hang guard allows one test.
pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEMO = ROOT / "demo"
DEMO_SUBMITTED = DEMO / "course" / "submitted"
REFERENCE, UNTOUCHED = "reference", "untouched"
ENDLESS = "endless"   # "endless-<assignment>": the course holding that endless loop
# The kit's engine for `make check` (python -m autograder check defaults to "process").
ISOLATION = "process"
NBGRADER_TIMEOUT_S = 1800     # a hang guard, far above a loaded run (the module's own limit)


def demo_docstring(student: str, assignment: str) -> str:
    path = DEMO / "students" / student / f"{assignment}.py"
    if not path.exists():
        return ""
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def loops_forever(student: str, assignment: str) -> bool:
    return "endless loop" in demo_docstring(student, assignment).lower()


def partly_right(student: str, assignment: str) -> bool:
    """A demo student with a bug to find: not perfect, not the untouched release, no endless
    loop (the docstring's first word says which: "Perfect:", "Untouched:", ...)."""
    doc = demo_docstring(student, assignment)
    return bool(doc) and not doc.startswith(("Perfect", "Untouched")) \
        and not loops_forever(student, assignment)


def demo_submissions(assignment: str) -> dict[str, Path]:
    """{student: notebook} of the demo class for one assignment."""
    out = {}
    for sdir in sorted(DEMO_SUBMITTED.iterdir()):
        nb = sdir / assignment / f"{assignment}.ipynb"
        if nb.is_file():
            out[sdir.name] = nb
    return out


def submissions(assignment: str, endless: bool = False) -> dict[str, Path]:
    """The notebooks graded here, those that show something: the reference (correct), the
    untouched release (the stub) and the first demo student who is partly right; or, with
    ``endless``, the first demo student whose code never returns (none if the class has none)."""
    demo = demo_submissions(assignment)
    if endless:
        return dict([(s, p) for s, p in demo.items() if loops_forever(s, assignment)][:1])
    subs = {s: p for s, p in demo.items() if partly_right(s, assignment)}
    subs = dict(list(subs.items())[:1])
    subs[REFERENCE] = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    subs[UNTOUCHED] = ROOT / "assignments" / assignment / f"{assignment}.ipynb"
    return subs


def graded_cells(nb) -> dict[str, str]:
    """{grade_id: exercise} of a notebook's graded cells (``check("<exercise>", ...)``)."""
    out = {}
    for c in nb.cells:
        md = c.get("metadata", {}).get("nbgrader", {})
        if md.get("grade") and c.cell_type == "code":
            out[md["grade_id"]] = c.source.split('check("')[1].split('"')[0]
    return out


def build_course(course: Path, assignment: str, subs: dict[str, Path]) -> None:
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for student, nb in subs.items():
        dest = course / "submitted" / student / assignment
        dest.mkdir(parents=True)
        shutil.copy(nb, dest / f"{assignment}.ipynb")
    with open(course / "students.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email"])
        for student in subs:
            first, _, last = student.partition("_")
            w.writerow([student, first.title(), last.title(), f"{student}@example.org"])


def run_pipeline(course: Path, assignment: str, env: dict) -> dict:
    """The instructor's nbgrader commands, in order; stops at the first failure."""
    nbgrader = str(VENV_BIN / "nbgrader")
    root = f"--CourseDirectory.root={course}"
    steps = [
        ("generate_assignment", [nbgrader, "generate_assignment", assignment, "--force", root]),
        ("db student import", [nbgrader, "db", "student", "import", "students.csv", root]),
        ("autograde", [nbgrader, "autograde", assignment, "--force", root]),
        ("generate_feedback", [nbgrader, "generate_feedback", assignment, "--force", root]),
        ("export", [nbgrader, "export", "--to", str(course / "grades.csv"), root]),
    ]
    record = {"steps": [], "ok": True}
    for name, cmd in steps:
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=course, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=NBGRADER_TIMEOUT_S)
        record["steps"].append({"step": name, "rc": proc.returncode,
                                "seconds": round(time.monotonic() - t0, 1), "log": proc.stdout})
        if proc.returncode != 0:
            record["ok"] = False
            break
    return record


def gradebook_scores(course: Path, assignment: str, students) -> dict:
    """{student: {"total": x, "exercises": {exercise: (score, max)}}} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook
    src = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    exercise_of = graded_cells(src)
    out = {}
    with Gradebook("sqlite:///" + str(course / ".nbgrader" / "gradebook.db")) as gb:
        for student in students:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            exercises = {exercise_of[g.name]: (g.score, g.max_score) for g in nb.grades}
            out[student] = {"total": nb.score, "max": nb.max_score, "exercises": exercises}
    return out


def kit_scores(results: dict) -> dict:
    exercises: dict[str, list] = {}
    for t in results["tests"]:
        e = exercises.setdefault(t["tags"][0], [0.0, 0.0])
        e[0] += t["score"]
        e[1] += t["max_score"]
    return {"total": results["score"], "max": results["max_score"],
            "exercises": {k: (round(v[0], 6), round(v[1], 6)) for k, v in exercises.items()}}


def _close(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= 1e-6


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    from autograder.engine.grade import grade

    tmp = tmp_path_factory.mktemp("nbgrader_e2e")
    env = jupyter_env(tmp)
    courses, subs = {}, {}
    for a in ASSIGNMENTS:
        subs[a] = submissions(a)
        courses[a] = tmp / "course" / a
        build_course(courses[a], a, subs[a])
    # One course per endless loop (one per assignment at most): each costs minutes of
    # nbgrader's cell timeout, so they run beside the others instead of after them.
    endless = [(a, s, p) for a in ASSIGNMENTS for s, p in submissions(a, endless=True).items()]
    for a, student, nb in endless:
        key = f"{ENDLESS}-{a}"
        courses[key] = tmp / "course" / key
        subs[key] = {student: nb}
        build_course(courses[key], a, subs[key])
    assignment_of = {key: key.removeprefix(f"{ENDLESS}-") for key in courses}
    t0 = time.monotonic()
    with ThreadPoolExecutor(len(courses)) as pool:
        # The endless loop first: it takes longest.
        futures = {key: pool.submit(run_pipeline, courses[key], assignment_of[key], env)
                   for key in sorted(courses, key=lambda k: not k.startswith(ENDLESS))}
        # While nbgrader runs, the kit grades the same notebooks (make check's engine).
        kit, kit_seconds = {}, {}
        for key in courses:
            for student, nb in subs[key].items():
                t = time.monotonic()
                kit[key, student] = grade(nb, assignment_of[key], isolation=ISOLATION)
                kit_seconds[key, student] = round(time.monotonic() - t, 2)
        pipelines = {key: f.result() for key, f in futures.items()}
    total_s = round(time.monotonic() - t0, 1)
    timing = {a: {s["step"]: s["seconds"] for s in p["steps"]} for a, p in pipelines.items()}
    print(f"\nnbgrader e2e: {total_s} s in all; nbgrader steps {json.dumps(timing)}; "
          f"kit grading {round(sum(kit_seconds.values()), 1)} s for {len(kit_seconds)} notebooks")
    return {"courses": courses, "subs": subs, "pipelines": pipelines, "kit": kit,
            "endless": endless, "assignment_of": assignment_of}


def nbgrader_says(course: Path, assignment: str, student: str, exercise: str) -> str:
    """The text nbgrader's autograded notebook shows in ``exercise``'s graded cell (the kit's
    per-check feedback): what to read when the two graders disagree."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        return f"(no autograded notebook at {path})"
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code" and f'check("{exercise}"' in c.source:
            return "".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
                           for o in c.outputs)
    return f"(no graded cell for {exercise})"


def _failed_steps(e2e, keys=ASSIGNMENTS) -> list:
    """(course, step, exit code, why) of each failed nbgrader step: the lines naming an error
    anywhere in its log (a kernel's own traceback comes long before nbgrader gives up), then
    the log's end."""
    def why(log: str) -> str:
        errors = [line for line in log.splitlines() if re.search(r"Error|Traceback|died", line)]
        return "\n".join(errors[:40]) + "\n[...]\n" + log[-3000:]
    return [(a, s["step"], s["rc"], why(s["log"])) for a, p in e2e["pipelines"].items()
            if a in keys for s in p["steps"] if s["rc"] != 0]


def test_pipeline_runs_and_writes_feedback(e2e):
    assert _failed_steps(e2e) == []
    # nbgrader_config.py has the kernels on Unix sockets: a localhost TCP port it picks can be
    # taken by another process before the kernel binds it (a kernel died so once, under load).
    over_tcp = [a for a, p in e2e["pipelines"].items() for s in p["steps"]
                if "running over TCP" in s["log"]]
    assert over_tcp == [], f"kernels on TCP ports in {over_tcp}"
    for a in ASSIGNMENTS:
        assert [s["step"] for s in e2e["pipelines"][a]["steps"]][-1] == "export"
        course = e2e["courses"][a]
        release = course / "assignments" / a / f"{a}.ipynb"
        assert release.is_file(), f"generate_assignment wrote no release for {a}"
        assert {REFERENCE, UNTOUCHED} < set(e2e["subs"][a]), \
            f"no partly right student for {a}: {sorted(e2e['subs'][a])}"
        for student in e2e["subs"][a]:
            graded = course / "autograded" / student / a / f"{a}.ipynb"
            assert graded.is_file(), f"no autograded notebook for {student}/{a}"
            feedback = course / "feedback" / student / a / f"{a}.html"
            assert feedback.is_file() and feedback.stat().st_size > 1000, f"no feedback for {student}/{a}"
            html = feedback.read_text(encoding="utf-8")
            assert f"{a}" in html and "Score" in html, f"feedback of {student}/{a} has no score"


def test_graded_cells_end_in_a_plain_float_and_write_nothing_to_stderr(e2e):
    """What nbgrader reads as partial credit: the float of the cell's last execute_result; any
    stderr output or error in a test cell would zero it."""
    from nbgrader.utils import determine_grade
    assert _failed_steps(e2e) == []
    problems = []
    for a in ASSIGNMENTS:
        for student in e2e["subs"][a]:
            path = e2e["courses"][a] / "autograded" / student / a / f"{a}.ipynb"
            nb = nbformat.read(path, as_version=4)
            graded = graded_cells(nb)
            assert sorted(graded.values()) == sorted(EXERCISES[a]), (student, a, graded)
            for c in nb.cells:
                md = c.get("metadata", {}).get("nbgrader", {})
                if not md.get("grade"):
                    continue
                where = f"{student}/{a}/{md['grade_id']}"
                bad = [o for o in c.outputs if o.output_type == "error"
                       or (o.output_type == "stream" and o.get("name") == "stderr")]
                if bad:
                    problems.append((where, "error or stderr output", [dict(o) for o in bad]))
                results = [o for o in c.outputs if o.output_type == "execute_result"]
                if len(results) != 1:
                    problems.append((where, f"{len(results)} execute_result outputs"))
                    continue
                text = results[0]["data"]["text/plain"]
                try:
                    value = float(text)
                except ValueError:
                    problems.append((where, f"last value is not a plain float: {text!r}"))
                    continue
                if not 0 <= value <= md["points"]:
                    problems.append((where, f"value {value} outside [0, {md['points']}]"))
                score, max_score = determine_grade(c)
                if not (_close(score, value) and _close(max_score, POINTS[graded[md['grade_id']]])):
                    problems.append((where, f"nbgrader reads {score}/{max_score}, cell says {value}"))
    assert problems == [], json.dumps(problems, indent=1, default=str)[:6000]


def test_nbgrader_and_kit_give_the_same_points_per_exercise(e2e):
    """Same code, same checks, same numbers: the in-notebook checks run by ``nbgrader autograde``
    and ``python -m autograder check`` (grade(..., isolation="process")) agree per exercise."""
    assert _failed_steps(e2e) == []
    disagreements = []
    for a in ASSIGNMENTS:
        students = list(e2e["subs"][a])
        nbg = gradebook_scores(e2e["courses"][a], a, students)
        for student in students:
            kit = kit_scores(e2e["kit"][a, student])
            got = nbg[student]
            assert set(got["exercises"]) == set(EXERCISES[a]) == set(kit["exercises"]), (student, a)
            for ex in EXERCISES[a]:
                n_score, n_max = got["exercises"][ex]
                k_score, k_max = kit["exercises"][ex]
                assert _close(n_max, POINTS[ex]) and _close(k_max, POINTS[ex]), (student, ex, n_max, k_max)
                if not _close(n_score, k_score):
                    failed = [(t["tags"][1] if len(t["tags"]) > 1 else t["name"], t["output"][:600])
                              for t in e2e["kit"][a, student]["tests"]
                              if t["tags"][0] == ex and t["status"] == "failed"]
                    disagreements.append({"student": student, "assignment": a, "exercise": ex,
                                          "nbgrader": n_score, "kit": k_score, "kit_failed": failed,
                                          "nbgrader_says": nbgrader_says(e2e["courses"][a], a,
                                                                         student, ex)[-3000:]})
            if not _close(got["total"], kit["total"]):
                disagreements.append({"student": student, "assignment": a, "total_nbgrader": got["total"],
                                      "total_kit": kit["total"]})
    assert disagreements == [], json.dumps(disagreements, indent=1, ensure_ascii=False)[:8000]


def test_export_csv_matches_the_kit(e2e):
    assert _failed_steps(e2e) == []
    for a in ASSIGNMENTS:
        with open(e2e["courses"][a] / "grades.csv", newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == a}
        assert set(rows) == set(e2e["subs"][a]), (a, sorted(rows))
        for student, row in rows.items():
            kit = e2e["kit"][a, student]
            assert _close(row["max_score"], 20) and _close(kit["max_score"], 20)
            assert _close(row["score"], kit["score"]), (a, student, row["score"], kit["score"])


def test_reference_full_marks_untouched_zero_in_both(e2e):
    assert _failed_steps(e2e) == []
    for a in ASSIGNMENTS:
        nbg = gradebook_scores(e2e["courses"][a], a, [REFERENCE, UNTOUCHED])
        ref, stub = e2e["kit"][a, REFERENCE], e2e["kit"][a, UNTOUCHED]
        assert _close(ref["score"], 20) and _close(nbg[REFERENCE]["total"], 20), \
            (a, ref["score"], nbg[REFERENCE], [t for t in ref["tests"] if t["status"] == "failed"][:3])
        assert _close(stub["score"], 0) and _close(nbg[UNTOUCHED]["total"], 0), (a, stub["score"], nbg[UNTOUCHED])
        assert all(_close(v[0], v[1]) for v in nbg[REFERENCE]["exercises"].values())
        assert all(_close(v[0], 0) for v in nbg[UNTOUCHED]["exercises"].values())


def test_demo_class_has_partial_credit(e2e):
    """Guards the comparison against being vacuous: the honest students are neither all perfect
    nor all zero, and nbgrader recorded fractional points somewhere."""
    assert _failed_steps(e2e) == []
    totals, fractional = [], False
    for a in ASSIGNMENTS:
        students = [s for s in e2e["subs"][a] if s not in (REFERENCE, UNTOUCHED)]
        nbg = gradebook_scores(e2e["courses"][a], a, students)
        for s in students:
            totals.append(nbg[s]["total"])
            fractional |= any(0 < v[0] < v[1] for v in nbg[s]["exercises"].values())
    assert fractional, "no exercise got partial credit: nbgrader may not read check()'s float"
    assert any(0 < t < 20 for t in totals), totals


def test_endless_loop_scores_the_same(e2e):
    """A demo student whose function never returns (each one the demo class has, one per
    assignment at most): under ``nbgrader autograde`` the kit's step skips the "Try it" cell that
    calls it (2 s of CPU time) and stops each call after 5 s of CPU time, the notebook is graded,
    and nbgrader's points per exercise equal the kit's. SPEC: a submission that hangs loses the
    checks it did not pass and nothing else."""
    if not e2e["endless"]:
        pytest.skip("the demo class has no endless loop")
    for a, student, _ in e2e["endless"]:
        key = f"{ENDLESS}-{a}"
        assert _failed_steps(e2e, (key,)) == []
        got = gradebook_scores(e2e["courses"][key], a, [student])[student]
        kit = kit_scores(e2e["kit"][key, student])
        assert 0 < got["total"] < 20, (student, a, got)
        nbg_points = {ex: v[0] for ex, v in got["exercises"].items()}
        kit_points = {ex: v[0] for ex, v in kit["exercises"].items()}
        differ = [ex for ex in nbg_points if abs(nbg_points[ex] - kit_points.get(ex, -1)) > 1e-6]
        assert not differ, (
            f"{student}/{a}: nbgrader {nbg_points}, kit {kit_points}; kit says: "
            f"{e2e['kit'][key, student].get('output', '')[:500]}\n"
            + "\n".join(f"nbgrader's {ex} cell says:\n"
                        f"{nbgrader_says(e2e['courses'][key], a, student, ex)[-3000:]}"
                        for ex in differ))


def test_make_check_command_agrees_with_nbgrader(e2e):
    """``make check`` runs ``python -m autograder check NOTEBOOK --assignment ID``: its table shows
    the same points per exercise as nbgrader's gradebook (one partly right student)."""
    assert _failed_steps(e2e) == []
    a = home("corr2d")
    nbg = gradebook_scores(e2e["courses"][a], a, [s for s in e2e["subs"][a]])
    partial = [s for s, v in nbg.items() if 0 < v["total"] < 20]
    assert partial, nbg
    student = partial[0]
    nb = e2e["courses"][a] / "submitted" / student / a / f"{a}.ipynb"
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "autograder", "check", str(nb), "--assignment", a],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shown = {m.group(1): float(m.group(2)) for m in
             re.finditer(r"^\W*(\w+)\W+([\d.]+) / ([\d.]+)", proc.stdout, re.M) if m.group(1) in POINTS}
    assert shown == pytest.approx({ex: v[0] for ex, v in nbg[student]["exercises"].items()}), \
        (student, proc.stdout[-3000:])
