"""``make collect`` / ``autograder.classroom.collect``: an LMS archive -> COURSE/submitted/<student>/<assignment>/.

The archives are built here from the demo class's notebooks (two or three students, one assignment). nbgrader
``zip_collect`` runs for real, with HOME and the Jupyter folders in temporary folders (collect.py
does that itself). The last check is that ``make grade``'s discovery finds exactly the collected
submissions.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.classroom import collect as C
from autograder.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "course" / "submitted"
# Any three assignments of the course serve (collect knows the ids without importing torch).
A, PS, CH = C.ASSIGNMENTS[0], C.ASSIGNMENTS[1 % len(C.ASSIGNMENTS)], C.ASSIGNMENTS[-1]


def demo_nb(student: str, assignment: str = A) -> Path:
    path = DEMO / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        pytest.skip(f"demo class lacks {student}/{assignment}")
    return path


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def landed(course: Path) -> dict[tuple[str, str], list[str]]:
    """{(student, assignment): [file names]} under course/submitted."""
    out = {}
    root = course / "submitted"
    for sdir in sorted(root.iterdir()) if root.is_dir() else []:
        for adir in sorted(sdir.iterdir()):
            out[sdir.name, adir.name] = sorted(p.name for p in adir.iterdir())
    return out


def discovered(course: Path) -> set[tuple[str, str]]:
    """What `make grade` (python -m autograder class) would grade in this course."""
    from autograder.submission.course import discover
    jobs, unknown = discover(course, None, set(C.ASSIGNMENTS))
    assert unknown == []
    return {(j.student, j.assignment) for j in jobs}


# ------------------------------------------------------------------------ no nbgrader


def test_default_regexp_reads_both_namings():
    pat = re.compile(C.regexp_for(A))
    cases = {
        f"/c/downloaded/x/extracted/lms/ada_lovelace/{A}.ipynb": "ada_lovelace",
        f"/c/downloaded/x/extracted/lms/top/ada_lovelace/{A}.ipynb": "ada_lovelace",
        f"/c/downloaded/x/extracted/lms/ada_lovelace_{A}.ipynb": "ada_lovelace",
        f"/c/downloaded/x/extracted/lms/li_{A}.ipynb": "li",
        # a zip per student inside the export (nbgrader extracts ada_lovelace.zip to its own folder)
        f"/c/downloaded/x/extracted/lms/ada_lovelace/{A}.ipynb": "ada_lovelace",
    }
    for path, student in cases.items():
        m = pat.match(path)
        assert m and m.group("student_id") == student and m.group("file_id") == f"{A}.ipynb", path
    for path in (f"/c/extracted/lms/__MACOSX/ada_lovelace/._{A}.ipynb",
                 f"/c/extracted/lms/ada_lovelace/{A} (1).ipynb",
                 f"/c/extracted/lms/ada_lovelace/{PS}.ipynb",
                 f"/c/extracted/lms/ada_lovelace/.{A}.ipynb",
                 f"/c/extracted/lms/ada_lovelace/x{A}.ipynb"):
        assert not pat.match(path), path
    other = re.compile(C.regexp_for(CH))
    assert other.match(f"/x/lms/ada/{CH}.ipynb").group("student_id") == "ada"


def test_regexp_needs_both_groups_and_assignment_inference():
    with pytest.raises(C.CollectError):
        C.regexp_for(A, r".*/(?P<student_id>\w+)\.ipynb")
    with pytest.raises(C.CollectError):
        C.regexp_for(A, r"(")
    assert C.assignments_in([f"a/ada/{CH}.ipynb", f"b_{A}.ipynb", "x/notes.txt"]) == \
        [A, CH]
    assert C.assignments_in([f"a/ada/my{CH}.ipynb"]) == []


def test_unsafe_or_broken_archives_are_refused(tmp_path):
    evil = make_zip(tmp_path / "evil.zip", {f"../ada_lovelace/{A}.ipynb": b"{}"})
    with pytest.raises(C.CollectError, match="unsafe"):
        C.collect(evil, tmp_path / "course", A)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    assert cli_main(["collect", str(broken), "--course", str(tmp_path / "course"), "--assignment", A]) == 2
    good = make_zip(tmp_path / "ok.zip", {f"ada/{A}.ipynb": b"{}"})
    assert cli_main(["collect", str(good), "--course", str(tmp_path / "course"), "--assignment", "nope"]) == 2
    assert not (tmp_path / "course" / "submitted").exists()


# ------------------------------------------------------------------------ nbgrader zip_collect


@pytest.mark.nbgrader
def test_folder_per_student_lands_where_make_grade_looks(tmp_path):
    ada, grace, li = demo_nb("ada_lovelace"), demo_nb("grace_hopper"), demo_nb("li_wei")
    nested = make_zip(tmp_path / "li_wei.zip", {f"{A}.ipynb": li.read_bytes()})
    archive = make_zip(tmp_path / "lms-export.zip", {
        f"export/ada_lovelace/{A}.ipynb": ada.read_bytes(),
        f"export/grace_hopper/{A}.ipynb": grace.read_bytes(),
        "export/grace_hopper/scratch.txt": b"not a notebook",
        "export/li_wei.zip": nested.read_bytes(),     # a zip per student inside the export
        f"__MACOSX/export/ada_lovelace/._{A}.ipynb": b"\x00\x05\x16\x07",
    })
    course = tmp_path / "course"
    results = C.collect(archive, course, A)
    assert [r.assignment for r in results] == [A]
    r = results[0]
    assert r.returncode == 0, r.log[-3000:]
    students = {"ada_lovelace": ada, "grace_hopper": grace, "li_wei": li}
    assert sorted(r.students) == sorted(students)
    assert landed(course) == {(s, A): [f"{A}.ipynb"] for s in students}
    for student, src in students.items():
        assert (course / "submitted" / student / A / f"{A}.ipynb").read_bytes() == src.read_bytes()
    assert (course / "downloaded" / A / "archive" / archive.name).is_file()
    assert discovered(course) == {(s, A) for s in students}


@pytest.mark.nbgrader
def test_flat_names_via_the_command_line_and_reimport_replaces(tmp_path):
    ada, zhang = demo_nb("ada_lovelace"), demo_nb("zhang_min")
    course = tmp_path / "course"
    archive = make_zip(tmp_path / "week1.zip", {
        f"ada_lovelace_{A}.ipynb": zhang.read_bytes(),   # first attempt
        f"zhang_min_{A}.ipynb": zhang.read_bytes(),
        "README.txt": b"exported by the LMS",
    })
    cmd = [sys.executable, "-m", "autograder", "collect", str(archive), "--course", str(course)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{A}: 2 student(s), 2 notebook(s)" in proc.stdout   # assignment read from the names
    assert discovered(course) == {("ada_lovelace", A), ("zhang_min", A)}
    # A second export with ada's corrected notebook replaces her earlier one.
    archive2 = make_zip(tmp_path / "week1.zip", {f"ada_lovelace_{A}.ipynb": ada.read_bytes()})
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (course / "submitted" / "ada_lovelace" / A / f"{A}.ipynb").read_bytes() == ada.read_bytes()
    assert archive2.exists()


@pytest.mark.nbgrader
def test_custom_regexp_and_nothing_matched(tmp_path):
    ada, li = demo_nb("ada_lovelace"), demo_nb("li_wei")
    course = tmp_path / "course"
    canvas = make_zip(tmp_path / "submissions.zip", {
        f"lovelaceada_1001_5001_{A}.ipynb": ada.read_bytes(),
        f"weili_LATE_1002_5002_{A}.ipynb": li.read_bytes(),
    })
    regexp = r".*/(?P<student_id>[a-z]+)_(?:LATE_)?\d+_\d+_(?P<file_id>{assignment}\.ipynb)$"
    assert cli_main(["collect", str(canvas), "--course", str(course), "--assignment", A, "--regexp", regexp]) == 0
    assert discovered(course) == {("lovelaceada", A), ("weili", A)}
    # The default naming does not fit these names well, but a wrongly named file is never
    # silently collected: an archive with no matching notebook exits 1.
    wrong = make_zip(tmp_path / "wrong.zip", {"ada_lovelace/my_solution.ipynb": ada.read_bytes()})
    other = tmp_path / "other"
    assert cli_main(["collect", str(wrong), "--course", str(other), "--assignment", A]) == 1
    assert landed(other) == {}


@pytest.mark.nbgrader
def test_make_collect(tmp_path):
    if subprocess.run(["make", "--version"], capture_output=True).returncode != 0:
        pytest.skip("no make")
    ada, priya = demo_nb("ada_lovelace", PS), demo_nb("priya_patel", PS)
    archive = make_zip(tmp_path / "ps.zip", {f"ada_lovelace/{PS}.ipynb": ada.read_bytes(),
                                              f"priya_patel/{PS}.ipynb": priya.read_bytes()})
    course = tmp_path / "course"
    included = "Makefile.collect.mk" in (ROOT / "Makefile").read_text()
    files = [] if included else ["-f", "Makefile", "-f", "Makefile.collect.mk"]
    env = dict(os.environ, PY=sys.executable)
    # -o install: use this venv as it is (no pip run from a test). ASSIGNMENT is left to the
    # Makefile's default, which must not apply: the archive holds only PS.
    proc = subprocess.run(["make", "-s", *files, "-o", "install", "collect", f"ARCHIVE={archive}",
                           f"COURSE={course}"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert discovered(course) == {("ada_lovelace", PS), ("priya_patel", PS)}
    proc = subprocess.run(["make", "-s", *files, "-o", "install", "collect"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "usage: make collect ARCHIVE=" in proc.stderr
