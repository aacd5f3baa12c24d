"""The regrade diff (autograder/reports/regrade.py): after a class run that regraded anything,
``regrade.csv`` and the class report's "Regraded" section list exactly the (student, assignment,
exercise) whose score changed, old and new, and why.

Two real changes, no mock of the grader:
- a student's code changes (in-process class runs, isolation "none", the grader's fingerprint
  pinned as tests/test_classroom.py does): only that student's rows, "code changed"; then that
  code and the grader's fingerprint change together: "code changed; grader changed";
- one check's points change in a temporary copy of the kit (``autograder/`` and ``solutions/``
  copied, the declaration edited), graded by that copy's own ``python -m autograder class``:
  exactly the students whose score under that check moves, "grader changed".
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from support import CORPUS, ROOT, by_exercise, home

# Each test grades a class (``make test-fast`` leaves them out).
pytestmark = pytest.mark.classrun

CC = home("corr2d")
OK = sorted((CORPUS / CC).glob("ok_*.py"))[0]
BUG = CORPUS / CC / "bug_flipped_kernel.py"
# A layer without a bias: it scores nothing on checks declared one by one in the module
# (corr2d's are made by a helper, so a flipped kernel cannot be the test of a points edit).
NO_BIAS = CORPUS / CC / "bug_conv2d_no_bias.py"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _submit(course: Path, student: str, src: Path) -> None:
    d = course / "submitted" / student / CC
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, d / f"{CC}.py")


def _results(course: Path, student: str) -> dict:
    return json.loads((course / "convkit" / "autograded" / student / CC / "results.json").read_text())


def _rows(course: Path) -> list[dict]:
    with open(course / "convkit" / "regrade.csv", newline="") as f:
        return list(csv.DictReader(f))


def _expected(before: dict, after: dict, student: str) -> set:
    """(student, exercise, old, new) for every exercise whose score differs."""
    b, a = by_exercise(before), by_exercise(after)
    return {(student, ex, f"{b[ex]['score']:g}", f"{a[ex]['score']:g}") for ex in a
            if abs(a[ex]["score"] - b[ex]["score"]) > 1e-9}


def _run(course, fingerprint):
    from autograder.classroom.run import run_class
    return run_class(course, jobs=1, isolation="none", show_progress=False, fingerprint=fingerprint)


@pytest.fixture(scope="module")
def code_change(tmp_path_factory):
    course = tmp_path_factory.mktemp("regrade")
    _submit(course, "ada", OK)
    _submit(course, "bob", BUG)
    first = _run(course, "grader-1")
    seen = SimpleNamespace(path=course, first=first, csv_after_first=(course / "convkit" / "regrade.csv").exists(),
                           before={s: _results(course, s) for s in ("ada", "bob")})
    _submit(course, "bob", OK)                          # bob fixes his corr2d
    seen.second = _run(course, "grader-1")
    seen.rows2 = _rows(course)
    seen.mid = {s: _results(course, s) for s in ("ada", "bob")}
    seen.csv2 = (course / "convkit" / "regrade.csv").read_text()
    seen.third = _run(course, "grader-1")               # nothing to do: regrade.csv stays
    seen.csv3 = (course / "convkit" / "regrade.csv").read_text()
    seen.html3 = (course / "convkit" / "class_report.html").read_text()
    _submit(course, "bob", BUG)                         # bob breaks it again, and the grader
    seen.fourth = _run(course, "grader-2")              # changes too: everyone is regraded
    seen.rows4 = _rows(course)
    seen.after = {s: _results(course, s) for s in ("ada", "bob")}
    return seen


def test_first_grades_are_no_regrade(code_change):
    assert len(code_change.first.graded) == 2 and not code_change.csv_after_first


def test_changed_code_lists_only_that_students_rows(code_change):
    c = code_change
    assert c.second.graded == [("bob", CC)]
    expected = _expected(c.before["bob"], c.mid["bob"], "bob")
    assert expected, "fixing corr2d must change a score"
    assert {(r["student_id"], r["exercise"], r["old"], r["new"]) for r in c.rows2} == expected
    assert all(r["assignment"] == CC and r["why"] == "code changed" for r in c.rows2)
    assert len(c.rows2) == len(expected)


def test_a_run_that_regrades_nothing_keeps_the_last_diff(code_change):
    assert code_change.third.graded == [] and code_change.csv3 == code_change.csv2
    html = code_change.html3
    assert 'id="regrade"' in html and '<tr class="rg"><td>bob</td>' in html
    assert "code changed" in html and '<tr class="rg"><td>ada</td>' not in html


def test_code_and_grader_changed_together(code_change):
    c = code_change
    assert sorted(c.fourth.graded) == [("ada", CC), ("bob", CC)]       # the grader changed
    # ada was regraded under a new fingerprint, but her scores did not move: no row for her
    assert {(r["student_id"], r["exercise"], r["old"], r["new"]) for r in c.rows4} == \
        _expected(c.mid["bob"], c.after["bob"], "bob") != set()
    assert {r["why"] for r in c.rows4} == {"code changed; grader changed"}


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_regrade_section_in_a_browser(code_change, tmp_path):
    page = code_change.path / "convkit" / "class_report.html"
    shot = tmp_path / "regrade.png"
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--enable-logging=stderr", "--v=0", "--window-size=1200,1400",
                        f"--screenshot={shot}", page.as_uri()],
                       capture_output=True, text=True, timeout=600)
    assert shot.is_file() and shot.stat().st_size > 0, r.stderr
    assert not [line for line in r.stderr.splitlines() if "CONSOLE" in line]
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=600).stdout
    assert "Regraded since the previous run" in dom and "code changed; grader changed" in dom


# ---------------------------------------------------------------------------------------------
# One check's points change, in a copy of the kit

def _kit_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "autograder", dest / "autograder", ignore=ignore)
    shutil.copytree(ROOT / "solutions", dest / "solutions", ignore=ignore)
    return dest


def _class(kit: Path, course: Path) -> subprocess.CompletedProcess:
    # A wide console: rich wraps at 80 columns, and under xdist the tmp path (".../popen-gw0/...")
    # is long enough that "wrote .../regrade.csv" would be broken inside the file name.
    env = dict(os.environ, PYTHONPATH=str(kit), COLUMNS="400")
    proc = subprocess.run([sys.executable, "-m", "autograder", "class", str(course), "--jobs", "1",
                           "--isolation", "process"], cwd=kit, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_changed_points_list_exactly_the_affected_rows(tmp_path):
    kit = _kit_copy(tmp_path / "kit")
    course = tmp_path / "course"
    _submit(course, "ada", OK)
    _submit(course, "bob", NO_BIAS)
    _class(kit, course)
    before = {s: _results(course, s) for s in ("ada", "bob")}
    assert not (course / "convkit" / "regrade.csv").exists()
    # A check ada passes and bob scores nothing on, whose name is declared once in the assignment
    # (so the one literal Check("<name>", points, ...) in its module is that check).
    from autograder.assignments import get
    names = [c.name for e in get(CC).exercises for c in e.checks]
    module = kit / "autograder" / "assignments" / f"{CC}.py"
    source = module.read_text()
    bob = {t["name"]: t for t in before["bob"]["tests"]}
    chosen = None
    for t in before["ada"]["tests"]:
        check = t["tags"][1]
        pattern = rf'Check\(\s*"{re.escape(check)}",\s*([0-9.]+)\s*,'
        if t["status"] == "passed" and bob[t["name"]]["score"] == 0 and \
                names.count(check) == 1 and len(re.findall(pattern, source)) == 1:
            chosen = t, pattern
            break
    assert chosen, "no check separates the two submissions"
    test, pattern = chosen
    old_pts = float(re.search(pattern, source).group(1))
    new_pts = old_pts + 2
    module.write_text(re.sub(pattern, lambda m: m.group(0).replace(m.group(1), f"{new_pts:g}"),
                             source))
    proc = _class(kit, course)
    assert "graded 2" in proc.stdout and "regrade.csv" in proc.stdout     # both regraded
    rows = _rows(course)
    ex = test["tags"][0]
    old_ex = by_exercise(before["ada"])[ex]["score"]
    assert [(r["student_id"], r["assignment"], r["exercise"], r["old"], r["new"], r["why"])
            for r in rows] == [("ada", CC, ex, f"{old_ex:g}", f"{old_ex + new_pts - old_pts:g}",
                                "grader changed")]
    assert "points" in rows[0]["detail"]
    after = _results(course, "ada")
    assert next(t for t in after["tests"] if t["name"] == test["name"])["max_score"] == new_pts
    # bob was regraded too, under the new points, and lost nothing more and gained nothing
    assert {e: v["score"] for e, v in by_exercise(_results(course, "bob")).items()} == \
        {e: v["score"] for e, v in by_exercise(before["bob"]).items()}
