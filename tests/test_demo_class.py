"""The demo class (demo/course/submitted) and its generator demo/make_demo.py.

The generator is checked on a small fake release (always) and, once the released notebooks
``assignments/<a>/<a>.ipynb`` exist, on the real class committed under demo/course.
"""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest
from support import ASSIGNMENTS, EXERCISES, POINTS, home

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
RELEASE = ROOT / "assignments"
COURSE = DEMO / "course"
STUDENTS = DEMO / "students"
CC, CH = home("corr2d"), home("corr2d_multi_in")     # the assignments these exercises are in


def _load_make_demo():
    spec = importlib.util.spec_from_file_location("make_demo", DEMO / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make_demo = _load_make_demo()


# ----------------------------------------------------------------------------- helpers
def _stub(name: str) -> str:
    if name == "Conv2D":
        return ("class Conv2D(nn.Module):\n    def __init__(self, kernel_size):\n"
                "        super().__init__()\n        # YOUR CODE HERE\n        raise NotImplementedError()\n\n"
                "    def forward(self, X):\n        # YOUR CODE HERE\n        raise NotImplementedError()")
    return f"def {name}(*args, **kwargs):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def write_fake_release(root: Path) -> Path:
    """A release shaped like nbgrader's: locked setup cell, exercise cells, graded test cells."""
    for a in ASSIGNMENTS:
        def meta(grade_id, solution=False, grade=False, locked=True, points=None):
            md = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                  "solution": solution, "task": False}
            if points is not None:
                md["points"] = points
            return {"nbgrader": md}

        cells = [nbformat.v4.new_markdown_cell(f"# {a}\nFake release for tests. 卷积", id=f"{a}-intro"),
                 nbformat.v4.new_code_cell("import torch\nfrom torch import nn", id=f"{a}-imports",
                                           metadata=meta("imports"))]
        if a != CC:
            cells.append(nbformat.v4.new_code_cell(
                "def corr2d(X, K):\n    h, w = K.shape\n"
                "    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()\n"
                "        for j in range(X.shape[1] - w + 1)]) for i in range(X.shape[0] - h + 1)])",
                id=f"{a}-setup", metadata=meta("setup")))
        for name in EXERCISES[a]:
            cells.append(nbformat.v4.new_markdown_cell(f"Implement `{name}`.", id=f"md-{name}"))
            cells.append(nbformat.v4.new_code_cell(
                f"# a comment the student keeps\n{_stub(name)}\n", id=f"ex-{name}",
                metadata=meta(name, solution=True, locked=False)))
            cells.append(nbformat.v4.new_code_cell(
                f'from autograder import check\ncheck("{name}", {name})', id=f"test-{name}",
                metadata=meta(f"test_{name}", grade=True, points=POINTS[name])))
        nb = nbformat.v4.new_notebook(cells=cells, metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})
        nb.nbformat_minor = 5
        path = root / a / f"{a}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def is_exercise(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution", False))


def check_class(release: Path, submitted: Path) -> dict[str, list[str]]:
    """Structural checks shared by the fake and the real class; returns untouched students."""
    untouched: dict[str, list[str]] = {a: [] for a in ASSIGNMENTS}
    releases = {a: nbformat.read(str(release / a / f"{a}.ipynb"), as_version=4) for a in ASSIGNMENTS}
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for a_dir in sorted(p for p in student_dir.iterdir()):
            a = a_dir.name
            assert a in ASSIGNMENTS, a_dir
            assert sorted(p.name for p in a_dir.iterdir()) == [f"{a}.ipynb"], a_dir
            path = a_dir / f"{a}.ipynb"
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
            rel = releases[a]
            assert nb.metadata == rel.metadata and nb.nbformat_minor == rel.nbformat_minor, path
            assert len(nb.cells) == len(rel.cells), path
            same = True
            for got, want in zip(nb.cells, rel.cells):
                assert got.get("id") == want.get("id") and got.cell_type == want.cell_type, path
                assert got.metadata == want.metadata, (path, want.get("id"))
                if is_exercise(want):
                    same &= got.source == want.source
                    assert got.get("outputs") == [] and got.get("execution_count") is None, path
                    ast.parse(got.source)
                else:
                    assert got == want, (path, want.get("id"))
            if same:
                untouched[a].append(student_dir.name)
    return untouched


def submissions(submitted: Path) -> dict[str, list[str]]:
    return {a: sorted(p.parent.parent.name for p in submitted.glob(f"*/{a}/{a}.ipynb"))
            for a in ASSIGNMENTS}


# ----------------------------------------------------------------------------- student data
def test_student_files_define_only_their_assignments_exercises():
    for path in sorted(STUDENTS.glob("*/*.py")):
        assert path.stem in ASSIGNMENTS, path
        doc, chunks = make_demo.parse_student_file(path)
        assert doc, f"{path}: the docstring must say what the student did"
        assert set(chunks) <= set(EXERCISES[path.stem]), (path, sorted(chunks))


def test_roster_shape():
    subs = {a: sorted(p.parent.name for p in STUDENTS.glob(f"*/{a}.py")) for a in ASSIGNMENTS}
    everyone = sorted(p.name for p in STUDENTS.iterdir() if p.is_dir())
    for a in ASSIGNMENTS:
        assert len(subs[a]) >= 6, (a, subs[a])
    assert any(set(subs[a]) != set(everyone) for a in ASSIGNMENTS), "someone should miss an assignment"


# ----------------------------------------------------------------------------- generator (fake release)
def test_generator_on_fake_release(tmp_path):
    release = write_fake_release(tmp_path / "release")
    out1, out2 = tmp_path / "one", tmp_path / "two"
    make_demo.build(release, STUDENTS, out1)
    assert make_demo.main(["--release", str(release), "--out", str(out2)]) == 0
    assert snapshot(out1) == snapshot(out2)
    # Rerunning over an existing class gives the same bytes and drops stale files.
    (out1 / "submitted" / "ghost" / CH).mkdir(parents=True)
    (out1 / "submitted" / "ghost" / CH / f"{CH}.ipynb").write_text("{}")
    make_demo.build(release, STUDENTS, out1)
    assert snapshot(out1) == snapshot(out2)

    untouched = check_class(release, out1 / "submitted")
    subs = submissions(out1 / "submitted")
    for a in ASSIGNMENTS:
        assert len(subs[a]) >= 6 and untouched[a], (a, subs[a], untouched[a])
    # The student's definition replaced the stub; the rest of the cell stayed.
    nb = nbformat.read(str(out1 / f"submitted/ada_lovelace/{CC}/{CC}.ipynb"), 4)
    src = next(c.source for c in nb.cells if c.get("id") == "ex-corr2d")
    assert src.startswith("# a comment the student keeps\ndef corr2d(X, K):")
    assert "NotImplementedError" not in src and src.endswith("return Y\n")


def test_replace_definition_keeps_surroundings():
    cell = "import math\n\n@decorator\ndef f(x):\n    raise NotImplementedError()\n\nprint(f)"
    got = make_demo.replace_definition(cell, "f", "def f(x):\n    return x\n")
    assert got == "import math\n\ndef f(x):\n    return x\n\nprint(f)"


def test_unknown_exercise_is_an_error(tmp_path):
    release = write_fake_release(tmp_path / "release")
    students = tmp_path / "students" / "someone"
    students.mkdir(parents=True)
    (students / f"{CH}.py").write_text('"""typo"""\ndef corr2d_multi_inn(X, K):\n    pass\n')
    with pytest.raises(make_demo.DemoError, match="corr2d_multi_inn"):
        make_demo.build(release, students.parent, tmp_path / "out")


# ----------------------------------------------------------------------------- the real class
REAL = all((RELEASE / a / f"{a}.ipynb").is_file() for a in ASSIGNMENTS)
needs_release = pytest.mark.skipif(not REAL, reason="released notebooks assignments/<a>/<a>.ipynb not built yet")


@needs_release
def test_committed_class_is_fresh(tmp_path):
    make_demo.build(RELEASE, STUDENTS, tmp_path / "a")
    make_demo.build(RELEASE, STUDENTS, tmp_path / "b")
    fresh = snapshot(tmp_path / "a" / "submitted")
    assert fresh == snapshot(tmp_path / "b" / "submitted"), "the generator is not deterministic"
    committed = snapshot(COURSE / "submitted")
    assert sorted(committed) == sorted(fresh), "run `python demo/make_demo.py`"
    stale = [k for k in fresh if committed[k] != fresh[k]]
    assert not stale, f"out of date (run `python demo/make_demo.py`): {stale}"


@needs_release
def test_committed_class_matches_release():
    untouched = check_class(RELEASE, COURSE / "submitted")
    subs = submissions(COURSE / "submitted")
    for a in ASSIGNMENTS:
        assert len(subs[a]) >= 6, (a, subs[a])
        assert untouched[a], f"{a}: no untouched stub"
        # Only the untouched students' exercise cells equal the release.
        expected = sorted(p.parent.name for p in STUDENTS.glob(f"*/{a}.py")
                          if not make_demo.parse_student_file(p)[1])
        assert sorted(untouched[a]) == expected, (a, untouched[a], expected)
