"""The course has one source: ``autograder/assignments/`` (issue 14, item 1).

Which assignments exist, their order (``Assignment.section``), titles and points are declared
there and only there; collect, make release, the demo generator, the benchmark, the class report
and the tests derive them.

Scope of the scan: every tracked code or config file (``*.py``, ``*.mk``, ``Makefile``, ``*.toml``,
``*.cfg``, ``*.j2``, ``.ci/run``) outside ``autograder/assignments/``, ``solutions/`` and
``assignments/``, the homes of the course itself. Data folders are left out, since their folder
and file names are ids by design: ``tests/corpus/`` and ``tests/hostile/`` (submissions),
``demo/course/`` and ``demo/students/`` (the demo class). Prose (README, docs) documents the ids
and is not scanned.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignments import all_assignments, ids, in_order

ROOT = Path(__file__).resolve().parents[1]
HOMES = ("autograder/assignments/", "solutions/", "assignments/")
DATA = ("tests/corpus/", "tests/hostile/", "demo/course/", "demo/students/")
CODE = re.compile(r"(\.py|\.mk|\.toml|\.cfg|\.j2)$|(^|/)Makefile$|^\.ci/run$")
# Files that may still name an id, each with its reason. Keep this short: every entry is a place
# that has to change when an assignment is added.
ALLOWED: set = set()


def _scanned() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [p for p in out.stdout.splitlines()
            if CODE.search(p) and not p.startswith(HOMES + DATA) and p not in ALLOWED
            and (ROOT / p).is_file()]


def _id_pattern(names) -> re.Pattern:
    # An id as code names it: next to a quote, a path separator, "_", "." or "=" on at least one
    # side ("ada_lovelace_<id>.ipynb", "<id>/", '"<id>"'); the same word in running prose or a
    # check's name ("values (many channels)") is English, not an id.
    ids_ = "|".join(map(re.escape, names))
    edge = r"[\"'/_.=]"
    return re.compile(rf"(?<![A-Za-z0-9])(?:(?<={edge})({ids_})(?![A-Za-z0-9])"
                      rf"|({ids_})(?={edge}))")


def test_no_file_outside_the_course_names_an_assignment_id():
    files = _scanned()
    assert "autograder/classroom/collect.py" in files and "Makefile.release.mk" in files   # the scope holds
    pat = _id_pattern(ids())
    # An exercise's name that merely contains an id ("train_lenet") names the exercise, not the
    # assignment; an exercise named as its assignment (named so) still counts as the id.
    others = sorted({e.name for a in all_assignments().values() for e in a.exercises} - set(ids()))
    exercise = re.compile(rf"(?<![A-Za-z0-9_])({'|'.join(map(re.escape, others))})(?![A-Za-z0-9_])")
    named = [f"{p}:{n}: {line.strip()}" for p in files
             for n, line in enumerate((ROOT / p).read_text(encoding="utf-8").splitlines(), 1)
             if pat.search(exercise.sub("", line))]
    assert not named, "derive these from autograder.assignments:\n" + "\n".join(named)


def test_allow_list_is_still_needed():
    """An entry whose file no longer names an id is stale: drop it."""
    pat = _id_pattern(ids())
    stale = [p for p in ALLOWED if not (ROOT / p).is_file()
             or not pat.search((ROOT / p).read_text(encoding="utf-8"))]
    assert not stale, stale


def test_ids_read_without_imports_agree_with_the_declarations():
    declared = in_order()
    assert ids() == tuple(a.id for a in declared) == tuple(all_assignments())
    # The book's sections in order, then the assignments beyond the book (no section) by id.
    book = [a for a in declared if a.section]
    beyond = [a for a in declared if not a.section]
    assert declared == book + beyond and [a.id for a in beyond] == sorted(a.id for a in beyond)
    sections = [tuple(int(x) for x in a.section.split(".")) for a in book]
    assert sections == sorted(sections) and len(set(sections)) == len(sections), sections
    for a in declared:
        assert a.title and a.exercises and a.points > 0, a.id


def test_ids_and_collect_load_no_torch():
    # The command tree too: `ids` builds every command's parser, and none may import torch.
    code = ("import sys\nfrom autograder.assignments import ids\nimport autograder.classroom.collect as C\n"
            "from autograder.cli import main\nimport contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['ids'])\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nprint(' '.join(C.ASSIGNMENTS))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == list(ids())


def test_ids_command_prints_the_course_in_order():
    proc = subprocess.run([sys.executable, "-m", "autograder", "ids"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == list(ids())


def test_make_release_iterates_the_ids_command():
    if shutil.which("make") is None:
        pytest.skip("no make")
    # -n prints the recipe without running nbgrader; -o install: no pip from a test.
    proc = subprocess.run(["make", "-n", "-o", "install", "release"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "-m autograder ids" in proc.stdout and "generate_assignment" in proc.stdout


def test_a_new_assignment_module_is_the_whole_change(tmp_path):
    """Adding a module to a copy of the package adds the assignment everywhere that derives it:
    the ids (in its section's place), collect, and the engine's declarations."""
    pkg = tmp_path / "autograder"
    shutil.copytree(ROOT / "autograder", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    first = in_order()[0]
    (pkg / "assignments" / "zz_new.py").write_text(
        "from ..core.declarations import Assignment\n"
        f"from .{first.id} import ASSIGNMENT as _first\n"
        "ASSIGNMENT = Assignment('zz_new', 'A section before the others', "
        "(_first.exercises[0],), section='6.1')\n")
    code = ("import sys\nfrom autograder.assignments import ids, in_order\nimport autograder.classroom.collect as C\n"
            "print(' '.join(ids())); print(' '.join(C.ASSIGNMENTS)); "
            "print(' '.join(a.id for a in in_order()))")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    want = ["zz_new", *ids()]
    assert [line.split() for line in proc.stdout.splitlines()] == [want, want, want]
