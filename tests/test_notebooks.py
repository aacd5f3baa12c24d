"""The teaching notebooks: instructor sources (solutions/) and the student release (assignments/).

* the source notebooks are well formed for nbgrader (one solution cell and one graded cell per
  exercise, with the points of docs/CONTRACT.md);
* run top to bottom, every graded cell of a source notebook earns full marks (nbgrader's Validator)
  and no other cell fails;
* run top to bottom, every graded cell of a released notebook earns exactly 0 (the stubs raise
  NotImplementedError and ``check`` reports 0.0 without crashing), and the demo cells do not fail;
* the release shows no solution: no markers, no reference code line;
* the committed release is what ``make release`` produces now (nbgrader run for real in a temporary
  course folder, then tools/release.py's normalisation).

Every nbgrader run here has HOME, JUPYTER_CONFIG_DIR and JUPYTER_DATA_DIR in temporary folders, the
venv's bin first on PATH, and this checkout on PYTHONPATH (so the kernel imports this autograder).
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from support import ASSIGNMENTS, EXERCISES, POINTS, jupyter_env

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions"
RELEASE = ROOT / "assignments"
VENV_BIN = Path(sys.executable).parent
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME")
# Per-cell limit while a notebook runs: a graded cell runs one exercise's hypothesis checks.
CELL_TIMEOUT_S = 300


def _load_release_tool():
    spec = importlib.util.spec_from_file_location("convkit_release", ROOT / "tools" / "release.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


release_tool = _load_release_tool()


def source_nb(a: str) -> Path:
    return SOURCE / a / f"{a}.ipynb"


def release_nb(a: str) -> Path:
    return RELEASE / a / f"{a}.ipynb"


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Apply jupyter_env to this process (for in-process nbgrader APIs and the kernels they start)."""
    env = jupyter_env(tmp_path)
    for var in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR", "PATH", "PYTHONPATH"):
        monkeypatch.setenv(var, env[var])
    return tmp_path


def solution_regions(source: str) -> tuple[list[str], list[str]]:
    """Split a cell's lines into (inside BEGIN/END SOLUTION, outside)."""
    inside, outside, on = [], [], False
    for line in source.splitlines():
        if "BEGIN SOLUTION" in line:
            on = True
        elif "END SOLUTION" in line:
            on = False
        elif on:
            inside.append(line)
        else:
            outside.append(line)
    return inside, outside


def run_validator(path: Path, invert: bool):
    """nbgrader's Validator on `path`; returns (its result, the executed notebook)."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    class Recording(Validator):
        executed = None

        def _preprocess(self, nb):
            nb = super()._preprocess(nb)
            Recording.executed = nb
            return nb

    config = Config()
    config.Execute.timeout = CELL_TIMEOUT_S
    result = Recording(invert=invert, config=config).validate(str(path))
    assert Recording.executed is not None, "the Validator did not execute the notebook"
    return result, Recording.executed


def graded_score(cell) -> float | None:
    """The partial credit nbgrader reads from a graded cell: its execute_result as a float."""
    from nbgrader.utils import determine_grade
    score, _ = determine_grade(cell)
    return score


def cell_problems(cell) -> list[str]:
    return [f"{o.get('ename', 'stderr')}: {o.get('evalue', o.get('text', ''))}".strip()
            for o in cell.get("outputs", [])
            if o.get("output_type") == "error"
            or (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def stdout_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


# --------------------------------------------------------------------------------------------
# structure (no kernel)


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_source_notebook_structure(a):
    nb = nbformat.read(source_nb(a), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [nbg(c)["grade_id"] for c in nb.cells if nbg(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_id in {a}"
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, f"stored output in {c.id}"
        if nbg(c):
            assert nbg(c)["schema_version"] == 3 and nbg(c)["task"] is False
        if c.cell_type == "markdown":
            assert nbg(c).get("locked") is True, f"markdown cell {c.id} is not locked"
    order = [c for c in nb.cells if nbg(c).get("solution") or nbg(c).get("grade")]
    expected = []
    for name in EXERCISES[a]:
        expected += [("solution", name), ("grade", name)]
    got = []
    for c in order:
        m = nbg(c)
        if m["solution"]:
            assert not m["grade"] and not m["locked"]
            assert "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source
            name = next(n for n in EXERCISES[a] if f"def {n}(" in c.source or f"class {n}(" in c.source)
            got.append(("solution", name))
        else:
            assert m["locked"] and not m["solution"]
            name = c.source.split('check("')[1].split('"')[0]
            assert c.source == f'from autograder import check\ncheck("{name}", {name})'
            assert m["points"] == POINTS[name]
            got.append(("grade", name))
    assert got == expected
    assert sum(nbg(c).get("points", 0) for c in nb.cells) == 20


def test_release_tool_normalises():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1  # 卷积", id="c1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="noise")]
    nb.cells[0].execution_count = 3
    once = release_tool.normalise_text(json.dumps(nb))
    assert release_tool.normalise_text(once) == once  # idempotent
    cell = json.loads(once)["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "卷积" in once and once.endswith("}\n")


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_release_hides_solutions(a):
    src = nbformat.read(source_nb(a), as_version=4)
    text = release_nb(a).read_text(encoding="utf-8")
    assert release_tool.normalise_text(text) == text, "assignments/ is not normalised: make release"
    rel = nbformat.reads(text, as_version=4)
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} in the release of {a}"
    inside, outside = [], set()
    for c in src.cells:
        i, o = solution_regions(c.source)
        inside += i
        outside.update(line.strip() for line in o)
    secret = {line.strip() for line in inside
              if len(line.strip()) >= 10 and line.strip() not in outside}
    assert secret, "no reference code found in the source"
    released = {line.strip() for c in rel.cells for line in c.source.splitlines()}
    assert not secret & released, f"reference code in the release of {a}: {sorted(secret & released)}"
    # Same cells, same order; graded cells unchanged; every solution cell is a stub.
    assert [c.id for c in rel.cells] == [c.id for c in src.cells]
    for s, r in zip(src.cells, rel.cells):
        if nbg(s).get("grade"):
            assert r.source == s.source and nbg(r)["points"] == nbg(s)["points"]
            assert nbg(r)["checksum"]
        if nbg(s).get("solution"):
            assert "raise NotImplementedError()" in r.source


def test_kernel_is_the_venv_python(isolated):
    """nbclient/nbgrader start the notebooks' kernel `python3`: it must be this venv's Python."""
    from jupyter_client.kernelspec import KernelSpecManager
    spec = KernelSpecManager().get_kernel_spec("python3")
    exe = spec.argv[0]
    # jupyter_client replaces a bare "python" with sys.executable when it launches the kernel.
    assert exe in ("python", "python3", sys.executable) or Path(exe).parent == VENV_BIN, spec.argv
    assert spec.language == "python"


def test_loading_the_references_leaves_the_environment_alone(monkeypatch):
    """The references run their cells with MPLBACKEND=Agg, but only while they run: left in
    os.environ it reached every Jupyter kernel started later in the process, and those drew no
    inline picture (CI failed every notebook's picture check after the grading tests)."""
    from autograder.checks import reference
    monkeypatch.delenv("MPLBACKEND", raising=False)
    reference._namespace.cache_clear()
    try:
        assert reference.solution("corr2d") is not None
    finally:
        reference._namespace.cache_clear()
    assert "MPLBACKEND" not in os.environ


# --------------------------------------------------------------------------------------------
# running the notebooks (one kernel each)


@pytest.mark.kernel
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_solution_notebook_earns_full_marks(a, isolated):
    work = isolated / "run" / a
    work.mkdir(parents=True)
    path = work / f"{a}.ipynb"
    shutil.copy(source_nb(a), path)
    result, nb = run_validator(path, invert=False)
    problems = [(c.id, cell_problems(c), stdout_of(c)[-2000:]) for c in nb.cells
                if c.cell_type == "code" and cell_problems(c)]
    assert problems == [], f"cells failed in the solution of {a}: {problems}"
    assert result == {}, f"nbgrader validate failed for {a}: {json.dumps(result)[:4000]}"
    for c in nb.cells:
        if nbg(c).get("grade"):
            assert graded_score(c) == nbg(c)["points"], (c.id, stdout_of(c))
    # Notebooks that show, not only tell: at least one picture, drawn by matplotlib as it runs.
    pictures = [c.id for c in nb.cells if c.cell_type == "code"
                for o in c.outputs if "image/png" in o.get("data", {})]
    assert pictures, f"the solution of {a} draws no picture when it runs"


@pytest.mark.kernel
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_released_notebook_scores_zero(a, isolated):
    work = isolated / "run" / a
    work.mkdir(parents=True)
    path = work / f"{a}.ipynb"
    shutil.copy(release_nb(a), path)
    result, nb = run_validator(path, invert=True)
    assert result == {}, f"a graded cell passes on the stubs of {a}: {json.dumps(result)[:4000]}"
    graded = [c for c in nb.cells if nbg(c).get("grade")]
    assert len(graded) == len(EXERCISES[a])
    for c in graded:
        # `check` reports the stub as 0 points; it must not crash (a crash would also give 0, but
        # would hide a broken graded cell).
        assert cell_problems(c) == [], (c.id, cell_problems(c), stdout_of(c)[-2000:])
        results = [o for o in c.outputs if o.get("output_type") == "execute_result"]
        assert len(results) == 1 and float(results[0]["data"]["text/plain"]) == 0.0, c.id
        assert graded_score(c) == 0.0
    for c in nb.cells:
        if c.cell_type == "code" and not nbg(c).get("grade"):
            assert cell_problems(c) == [], (c.id, cell_problems(c))


# --------------------------------------------------------------------------------------------
# drift: the committed release is what `make release` makes now


@pytest.mark.nbgrader
def test_committed_release_matches_generation(tmp_path):
    env = jupyter_env(tmp_path)
    procs = {}
    for a in ASSIGNMENTS:
        # One course folder per assignment (each with its own gradebook) so they run in parallel.
        course = tmp_path / "course" / a
        (course / "solutions").mkdir(parents=True)
        shutil.copytree(SOURCE / a, course / "solutions" / a)
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        procs[a] = (course, subprocess.Popen(
            [str(VENV_BIN / "nbgrader"), "generate_assignment", a, "--force",
             f"--CourseDirectory.root={course}"],
            cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for a, (course, proc) in procs.items():
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
        made = course / "assignments" / a / f"{a}.ipynb"
        assert made.exists(), out
        assert (course / ".nbgrader" / "gradebook.db").exists(), "gradebook not in .nbgrader/"
        generated = release_tool.normalise_text(made.read_text(encoding="utf-8"))
        committed = release_nb(a).read_text(encoding="utf-8")
        assert generated == committed, f"assignments/{a} is stale: run `make release`"
        assert sorted(p.name for p in made.parent.iterdir()) == \
            sorted(p.name for p in release_nb(a).parent.iterdir())
