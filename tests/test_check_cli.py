"""A student's ``make check`` (issue 13): the assignment is inferred from the notebook's file name
or folder (``ASSIGNMENT=`` still wins, a notebook that names none is a clear error listing the
ids), and the report is not buried under what the student's own cells print.

Every test runs the real command (``python -m autograder check`` or ``make check``) on a copy of a
correct corpus submission; no test names an assignment id: they come from ``all_assignments()``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
NOISE = "TRY-IT-PRINTOUT-7f3a"


def _ids():
    from autograder.assignments import all_assignments
    return [a for a in all_assignments() if sorted((CORPUS / a).glob("ok_*.py"))]


def _noisy_copy(assignment: str, dest: Path) -> Path:
    """A correct submission that prints at load time and on every call (as "Try it" cells and
    debugging prints do)."""
    src = sorted((CORPUS / assignment).glob("ok_*.py"))[0].read_text()
    text = f"print({NOISE!r})\nimport sys\nprint({NOISE!r}, file=sys.stderr)\n" + src
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text + f"\nfor _i in range(50):\n    print({NOISE!r}, _i)\n")
    return dest


def _check(*argv, timeout=300):
    return subprocess.run([sys.executable, "-m", "autograder", "check", *map(str, argv)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=_env())


def _env():
    """No ASSIGNMENT/NOTEBOOK from the caller's shell; wide enough that rich keeps the table's
    title (assignment: path) on one line."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASSIGNMENT", "NOTEBOOK", "MAKEFLAGS")}
    env["COLUMNS"] = "400"
    return env


def test_infers_from_file_name_and_hides_printouts(tmp_path):
    a = _ids()[0]
    path = _noisy_copy(a, tmp_path / "work" / f"{a}-Copy1.py")
    proc = _check(path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"Checked {path} as assignment {a} (" in proc.stdout   # the inferred id
    from autograder.assignments import all_assignments
    top = all_assignments()[a].points
    assert f"Total: {top:g} / {top:g}" in proc.stdout    # a correct submission: full marks
    assert NOISE not in out                               # the student's printouts are held back
    assert "printed 52 lines" in proc.stdout and "left out of this report" in proc.stdout


def test_infers_from_folder_and_explicit_assignment_wins(tmp_path):
    a, b = _ids()[:2]
    path = _noisy_copy(a, tmp_path / a / "mine.py")
    proc = _check(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Checked {path} as assignment {a} (" in proc.stdout
    proc = _check(path, "--assignment", b)               # explicit beats the folder's name
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Checked {path} as assignment {b} (as you asked)" in proc.stdout


def test_cannot_infer_is_a_clear_error(tmp_path):
    path = _noisy_copy(_ids()[0], tmp_path / "work" / "Untitled.py")
    proc = _check(path)
    assert proc.returncode == 2
    assert "cannot tell which assignment" in proc.stderr
    from autograder.assignments import all_assignments
    assert all(a in proc.stderr for a in all_assignments())
    a, b = _ids()[:2]
    both = _noisy_copy(a, tmp_path / "work" / f"{a}_and_{b}.py")
    proc = _check(both)
    assert proc.returncode == 2 and "cannot tell which assignment" in proc.stderr
    assert f"'{a}_and_{b}' names" in proc.stderr and a in proc.stderr and b in proc.stderr


def test_make_check_infers_the_assignment(tmp_path):
    make = shutil.which("make")
    if make is None or not (ROOT / ".venv" / ".installed").exists():
        import pytest
        pytest.skip("make or the kit's .venv is not there")
    a = _ids()[-1]
    path = _noisy_copy(a, tmp_path / f"{a}.py")
    env = _env()
    proc = subprocess.run([make, "-s", "check", f"NOTEBOOK={path}"], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Checked {path} as assignment {a} (" in proc.stdout and NOISE not in proc.stdout + proc.stderr
    proc = subprocess.run([make, "-s", "check"], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)
    assert proc.returncode != 0 and "NOTEBOOK=" in proc.stderr
    from autograder.assignments import all_assignments
    assert all(x in proc.stderr for x in all_assignments())


def test_make_lab_runs_the_kits_jupyter():
    """``make lab`` runs the venv's Jupyter, after the venv (a dry run: no server is started)."""
    make = shutil.which("make")
    if make is None:
        import pytest
        pytest.skip("make is not there")
    proc = subprocess.run([make, "-n", "-W", "pyproject.toml", "lab", "LAB_ARGS=--no-browser"],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    lab = [i for i, x in enumerate(lines) if ".venv/bin/jupyter lab" in x and "--no-browser" in x]
    install = [i for i, x in enumerate(lines) if "pip install" in x]
    assert lab and install and install[0] < lab[0], proc.stdout     # the venv is made first
