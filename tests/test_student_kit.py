"""The student kit (``make student-kit``): what an instructor hands out holds no answer, installs
beside a student's torch without replacing it, and its ``check()`` gives the points ``make grade``
gives; ``check()``'s table in JupyterLab leaves nbgrader reading the plain float.

One wheel is built and one fresh virtual environment (no system site-packages) made for the whole
module: torch is installed first, as a student's environment already has it, then the wheel.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from support import POINTS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import build_student_kit as kit  # noqa: E402

# The shared venv's set-up installs torch and the kit with pip: about 2 minutes on a quiet 2-core
# machine, far longer on a loaded one, and pytest-timeout counts it in the first test using it.
pytestmark = [pytest.mark.timeout(3600), pytest.mark.classrun]

PERFECT = "ada_lovelace"     # the demo class's student with full points everywhere


def _notebooks() -> list[tuple[str, str, str | None]]:
    """(label, assignment, corpus mutant or None) for the first two assignments whose exercises
    compare with the reference (where the kit's oracle stands in for it): the demo class's
    perfect notebook, and the released notebook holding a corpus mutant that breaks such an
    exercise (one about dtypes first: float32 arithmetic is where oracle and reference could
    disagree)."""
    from support import CORPUS, corpus_header
    from autograder.assignments import in_order
    out = []
    for a in in_order():
        compared = [e.name for e in a.exercises
                    if any(c.name == "matches the reference" for c in e.checks)]
        bugs = [p for p in sorted((CORPUS / a.id).glob("bug_*.py"))
                if set(corpus_header(p)["breaks"]) & set(compared)]
        if not bugs:
            continue
        bug = next((p for p in bugs if "float32" in p.name), bugs[0])
        out += [(PERFECT, a.id, None), (bug.stem, a.id, str(bug))]
        if len(out) == 4:
            return out
    return out


def _notebook_with(release: Path, module_src: str) -> str:
    """The released notebook with its first exercise cell holding the whole module (the others
    emptied, so no stub redefines a name), as benchmarks/bench.py builds its class."""
    nb = json.loads(release.read_text(encoding="utf-8"))
    first = True
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get(
                "solution"):
            cell["source"] = module_src if first else "# (see the first exercise cell)\n"
            first = False
    return json.dumps(nb)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "build_student_kit.py"),
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = out.glob("*.whl")
    (notebooks,) = out.glob("*.zip")
    return wheel, notebooks


def _pip(python: Path, *args, timeout=900):
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=timeout)


def _torch_version(python: Path) -> str:
    r = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"],
                       capture_output=True, text=True, timeout=300)
    return r.stdout.strip()


@pytest.fixture(scope="module")
def student_env(built, tmp_path_factory):
    """A fresh venv that has a torch (this one's version, as a student's might), then the kit."""
    wheel, _ = built
    env = tmp_path_factory.mktemp("student") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    python = env / "bin" / "python"
    r = _pip(python, "install", "--quiet", f"torch=={torch.__version__}")
    if r.returncode != 0:
        pytest.skip(f"torch {torch.__version__} cannot be installed here (no index reachable, "
                    f"no local wheel): {r.stderr[-300:]}")
    before = _torch_version(python)
    r = _pip(python, "install", "--quiet", str(wheel))
    assert r.returncode == 0, r.stderr[-2000:]
    return python, before, _torch_version(python)


def test_the_kit_is_named_for_the_course(built):
    wheel, notebooks = built
    course = kit.course_id()
    assert wheel.name.startswith(kit.distribution(course) + "-")
    assert notebooks.name.startswith(f"{course}-notebooks-")


def test_the_wheel_asks_for_a_torch_range_that_keeps_the_instructors(built):
    """Not the instructor's pin: a range holding it, so pip keeps a student's torch 2.x."""
    from packaging.requirements import Requirement
    wheel, _ = built
    meta = next(t for n, t in kit.wheel_texts(wheel).items() if n.endswith(".dist-info/METADATA"))
    reqs = [Requirement(line.split(":", 1)[1].strip()) for line in meta.splitlines()
            if line.startswith("Requires-Dist:")]
    (req,) = [r for r in reqs if r.name == "torch"]
    assert not any(s.operator == "==" for s in req.specifier)
    assert torch.__version__.split("+")[0] in req.specifier
    assert "nbgrader" not in {r.name for r in reqs}          # a student needs none of these
    assert "dask" not in {r.name for r in reqs}


def test_the_wheel_and_the_zip_hold_no_answer(built):
    wheel, notebooks = built
    answers = kit.solution_lines()
    assert len(answers) > 50        # the scan looks for something
    for archive in (wheel, notebooks):
        texts = kit.wheel_texts(archive)
        assert kit.leaks(texts) == []
        for name in texts:
            assert not re.search(r"(^|/)(solutions|demo|tests|corpus)/", name), name
            assert not re.search(r"(classroom|gradescope|similarity|regrade)\.py$", name), name
    names = set(kit.wheel_texts(wheel))
    ids = [p.parent.name for p in (ROOT / "assignments").glob("*/*.ipynb")]
    assert {f"convkit/notebooks/{a}.ipynb" for a in ids} <= names
    assert "convkit/_kit.py" in names and "convkit/cli/selfcheck.py" in names
    with zipfile.ZipFile(notebooks) as z:
        assert sorted(z.namelist()) == sorted(f"{a}/{a}.ipynb" for a in ids)
        for n in z.namelist():
            assert "autograder" not in z.read(n).decode()     # students import convkit


def test_the_scan_finds_a_solution_line(tmp_path):
    """The leak scan is not vacuous: a solution line in a file of the kit is reported."""
    answers = kit.solution_lines()
    line = sorted(answers, key=len)[-1]
    assert kit.leaks({"convkit/x.py": f"def f():\n    {line}\n"}) == \
        [("convkit/x.py", line, answers[line])]


def test_installed_files_hold_no_answer_and_torch_is_kept(built, student_env):
    python, before, after = student_env
    assert before == after == torch.__version__     # the kit did not replace the student's torch
    r = _pip(python, "show", "-f", kit.distribution(kit.course_id()))
    assert r.returncode == 0, r.stderr
    location = Path(re.search(r"^Location: (.+)$", r.stdout, re.M).group(1))
    files = [line.strip() for line in r.stdout.split("Files:", 1)[1].splitlines() if line.strip()]
    assert any(f.endswith("convkit/cli/selfcheck.py") for f in files)
    texts = {}
    for f in files:
        assert not re.search(r"(^|/)(solutions|demo|tests|corpus)/", f), f
        p = location / f
        if p.suffix in (".py", ".ipynb", ".txt", ".md", "") and p.is_file():
            texts[f] = p.read_text(encoding="utf-8", errors="replace")
    assert kit.leaks(texts) == []
    # The instructor's package is not there: the kit stands on its own.
    r = subprocess.run([str(python), "-c", "import autograder"], capture_output=True, text=True,
                       cwd=python.parent)
    assert r.returncode != 0 and "No module named 'autograder'" in r.stderr
    # Nor does the kit read the instructor's solutions where they sit on the same machine.
    import os
    probe = ("from convkit import assignments\nfrom convkit.checks import reference\n"
             "print([reference.solution(e.name) for a in assignments.in_order()"
             " for e in a.exercises])")
    r = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                       cwd=python.parent, timeout=300,
                       env=dict(os.environ, CONVKIT_SOLUTIONS=str(ROOT / "solutions")))
    assert r.returncode == 0 and set(re.findall(r"\w+", r.stdout)) == {"None"}, r.stderr


RUN_NOTEBOOK = r'''
"""Run a notebook's code cells in order, as Jupyter's Run All does, and print what each graded
cell's last expression gave: {exercise: [points, text/plain, has text/html]}."""
import ast, json, os, re, sys
os.environ["MPLBACKEND"] = "Agg"
nb = json.loads(open(sys.argv[1], encoding="utf-8").read())
ns = {"__name__": "__main__"}
out = {}
for cell in nb["cells"]:
    if cell["cell_type"] != "code":
        continue
    src = "".join(cell["source"])
    tree = ast.parse(src)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None
    m = re.search(r'check\("(\w+)"', src)
    if cell["metadata"].get("nbgrader", {}).get("grade") and m:
        out[m.group(1)] = [float(value), repr(value), "<table" in value._repr_html_()]
print("RESULT " + json.dumps(out))
'''


def _graded(path: Path, assignment: str) -> dict:
    """Points per exercise as make grade gives them (its isolation, the solutions read)."""
    from autograder.engine.grade import grade
    isolation = "sandbox" if shutil.which("bwrap") else "process"
    points: dict = {}
    for t in grade(path, assignment, isolation=isolation)["tests"]:
        points[t["tags"][0]] = points.get(t["tags"][0], 0.0) + t["score"]
    return points


@pytest.mark.parametrize("label, assignment, mutant", _notebooks())
def test_check_in_the_kit_gives_the_points_of_make_grade(label, assignment, mutant, student_env,
                                                         tmp_path):
    python, _, _ = student_env
    if mutant is None:
        src = ROOT / "demo" / "course" / "submitted" / label / assignment / f"{assignment}.ipynb"
    else:
        src = tmp_path / "graded" / f"{assignment}.ipynb"
        src.parent.mkdir()
        release = ROOT / "assignments" / assignment / f"{assignment}.ipynb"
        src.write_text(_notebook_with(release, Path(mutant).read_text()), encoding="utf-8")
    nb = tmp_path / f"{assignment}.ipynb"
    nb.write_text(kit.student_notebook(src), encoding="utf-8")   # as the kit's: imports convkit
    (tmp_path / "run.py").write_text(RUN_NOTEBOOK)
    r = subprocess.run([str(python), str(tmp_path / "run.py"), str(nb)], capture_output=True,
                       text=True, cwd=tmp_path, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    got = json.loads(r.stdout.rsplit("RESULT ", 1)[1])
    want = _graded(src, assignment)
    assert set(got) == set(want)
    for exercise, (points, text, table) in got.items():
        assert points == pytest.approx(want[exercise], abs=1e-9), exercise
        assert text == repr(float(points)) and table
    assert "CUDA checks skipped" in r.stdout or "CUDA checks on" in r.stdout
    if mutant is not None:      # the mutant is caught, in the kit as by make grade
        assert sum(want.values()) < sum(POINTS[e] for e in want)


def test_nbgrader_reads_the_plain_float_of_the_table():
    """What nbgrader records for a graded cell whose last value is check()'s result: the float,
    from the text/plain form IPython writes beside the HTML table."""
    import nbformat
    from IPython.core.formatters import DisplayFormatter
    from nbgrader.utils import determine_grade
    from autograder.engine.runner import CheckResult
    from autograder.cli.selfcheck import Points

    pts = Points(7.5, [CheckResult("values", 10.0, 7.5, "expected <1>, got 2")], title="corr2d")
    data, _ = DisplayFormatter().format(pts)
    assert data["text/plain"] == "7.5"
    assert "<table" in data["text/html"] and "expected &lt;1&gt;, got 2" in data["text/html"]
    cell = nbformat.v4.new_code_cell("check('corr2d', corr2d)", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 10, "grade_id": "t",
        "schema_version": 3}})
    cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=1)]
    assert determine_grade(cell) == (7.5, 10.0)


def test_self_check_never_reads_the_solutions(monkeypatch):
    """Even where the instructor's solutions sit on the same machine (and CONVKIT_SOLUTIONS
    points at them), a student's check() reads none: the oracle stands in."""
    from autograder import check
    from autograder.checks import reference

    def refuse(*_):
        raise AssertionError("the self-check read a solution notebook")
    monkeypatch.setattr(reference, "_namespace", refuse)
    monkeypatch.setenv("CONVKIT_SOLUTIONS", str(ROOT / "solutions"))

    def corr2d(X, K):
        h, w = K.shape
        Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        assert check("corr2d", corr2d) == 10.0
    assert reference.available()        # and grading reads them again afterwards


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine: "
                    "benchmarks/cuda_check.py runs these checks on a GPU machine")
def test_check_runs_the_dtype_and_device_checks_on_cuda(capsys):
    from autograder import check

    def corr2d(X, K):
        h, w = K.shape
        Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)   # on the CPU
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y
    before = torch.backends.cuda.matmul.fp32_precision
    pts = check("corr2d", corr2d)
    out = capsys.readouterr().out
    assert pts == 10.0                              # counted on the CPU, as make grade does
    assert "CUDA checks on" in out and "FAILED" in out and "[FAIL] dtype and device on CUDA" in out
    assert [r.name for r in pts.cuda_rows] == ["dtype and device"] and not pts.cuda_rows[0].passed
    assert torch.backends.cuda.matmul.fp32_precision == before     # the student's TF32 setting


def test_without_cuda_check_says_the_cuda_checks_were_skipped(capsys, monkeypatch):
    from autograder import check
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def corr2d(X, K):
        raise NotImplementedError()
    check("corr2d", corr2d)
    assert "CUDA checks skipped: torch sees no CUDA device here" in capsys.readouterr().out
