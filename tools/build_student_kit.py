"""Build the student kit: what an instructor hands out (``make student-kit``).

    python tools/build_student_kit.py [--out dist]

writes, named for the course (``c.CourseDirectory.course_id`` in ``nbgrader_config.py``):

* ``<course>_student-<version>-py3-none-any.whl``: the package ``convkit`` (``from convkit import
  check``; the ``convkit`` command): the checker, the oracles, the hints (all in
  ``autograder/``, copied under the student-facing name), the released notebooks
  (``convkit/notebooks/<id>.ipynb``); the book's data comes with scikit-learn (a dependency);
* ``<course>-notebooks-<version>.zip``: the same released notebooks, ``<id>/<id>.ipynb``.

Nothing that reveals an answer goes in: not ``solutions/``, the demo students, the corpus or the
tests, and none of the instructor's modules (class grading, reports, Gradescope, collect). The
package's ``_kit.py`` says it is the student kit, so ``reference.solution`` never reads a
solution there, whatever ``CONVKIT_SOLUTIONS`` says: the float64 oracle stands in. The build
fails if any line of a solution (``leaks``) is found in what it wrote.

The distribution is ``<course>_student``, not ``<course>``: the instructor's own project is
``convkit`` too, and installing one must never replace the other. It requires a torch range, not
the instructor's pin (``TORCH``), so that installing it never replaces a student's torch.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:       # run as a script: this checkout's autograder
    sys.path.insert(0, str(ROOT))
PACKAGE = "convkit"         # what students import
SOURCE = "autograder"       # the instructor's package it is copied from
# The instructor's modules: class grading, its reports and pages, Gradescope, collect, the
# similarity report. A student's check needs none of them.
# Paths under the package: a folder leaves out everything in it.
INSTRUCTOR_ONLY = {"classroom", "integrations", "reports/classreport.py", "reports/regrade.py",
                   "reports/similarity.py", "reports/canvas.py", "reports/templates",
                   "engine/prepare.py", "results/late.py"}
# torch 2.13 is the oldest the kit is tested with (and the first with the ``fp32_precision`` API
# the CUDA checks use as they do); any later 2.x is accepted so that pip keeps a student's torch.
TORCH = "torch>=2.13,<3"
# The instructor's dependencies a student's check needs (their pins are kept: hypothesis's
# version decides the examples; scikit-learn holds the book's digits).
STUDENT_DEPENDENCIES = ("hypothesis", "numpy", "rich", "jsonschema", "matplotlib", "scikit-learn")


# Lines of the solutions that the kit's own code also has, each read and judged an idiom rather
# than an answer: a training step (the kit's own training run, the oracle of the exercise that
# trains a network, is the book's train_ch6), an epoch loop, and the int-or-pair helper the
# strategies use. Any other solution line in the kit stops the build (and fails
# tests/test_student_kit.py).
GENERIC = {
    "loss.backward()", "net.train()", "for _ in range(num_epochs):",
    "total_loss, right, n = 0.0, 0, 0",
    "def as_pair(v):", "return (v, v) if isinstance(v, int) else tuple(v)",
}


def course_id(root: Path = ROOT) -> str:
    """nbgrader's ``course_id`` (read, never run), else the folder's name."""
    text = (root / "nbgrader_config.py").read_text(encoding="utf-8")
    m = re.search(r"""^\s*c\.CourseDirectory\.course_id\s*=\s*(['"])(.+?)\1""", text, re.M)
    return m.group(2) if m else root.name


def distribution(course: str) -> str:
    """The kit's distribution name (PEP 503 normalised, as wheel file names spell it)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", course).strip("_").lower() + "_student"


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def dependencies() -> list[str]:
    wanted = {d.lower() for d in STUDENT_DEPENDENCIES}
    out = [TORCH]
    for dep in _project()["dependencies"]:
        name = re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower()
        if name in wanted:
            out.append(dep)
    return out


def released_notebooks() -> dict[str, Path]:
    from autograder.assignments import ids
    return {a: ROOT / "assignments" / a / f"{a}.ipynb" for a in ids()}


def student_notebook(path: Path) -> str:
    """A released notebook as the kit ships it: its imports name ``convkit``. nbgrader restores
    locked cells from its gradebook when it autogrades, so the instructor's copy is what runs
    there; ``make grade`` never runs these cells."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell["source"]
            lines = src if isinstance(src, list) else src.splitlines(keepends=True)
            cell["source"] = [re.sub(rf"\b{SOURCE}\b", PACKAGE, line) for line in lines]
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _readme(course: str, version: str) -> str:
    return f"""# {course}: the student kit (convkit {version})

Exercises on convolutional networks (Dive into Deep Learning, chapter 6), checked on your own
machine with the same checks and points as the course's grader.

    pip install {distribution(course)}-{version}-py3-none-any.whl
    convkit notebooks .          # copies the assignments' notebooks here

In a notebook: `from convkit import check`, then `check("corr2d", corr2d)`.
"""


def stage(dest: Path, course: str) -> Path:
    """Lay out the kit's source tree (pyproject.toml, README.md, convkit/) under ``dest``."""
    project = _project()
    pkg = dest / PACKAGE
    src = ROOT / SOURCE
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        if (any("/".join(rel.parts[:i]) in INSTRUCTOR_ONLY
                for i in range(1, len(rel.parts) + 1)) or "__pycache__" in rel.parts or p.is_dir()):
            continue
        if p.suffix != ".py":
            continue
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, pkg / rel)
    (pkg / "_kit.py").write_text(
        '"""Written by tools/build_student_kit.py: this package is the student kit, which holds '
        'no solutions\n(``reference.solution`` returns None here: the float64 oracle stands in)."""'
        f"\nSTUDENT = True\nCOURSE = {course!r}\n", encoding="utf-8")
    (pkg / "notebooks").mkdir()
    for aid, path in released_notebooks().items():
        (pkg / "notebooks" / f"{aid}.ipynb").write_text(student_notebook(path), encoding="utf-8")
    deps = ",\n".join(f"    {json.dumps(d)}" for d in dependencies())
    (dest / "pyproject.toml").write_text(f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{distribution(course)}"
version = "{project['version']}"
description = "The student kit of {course}: convkit's checks, oracles and notebooks."
readme = "README.md"
requires-python = "{project['requires-python']}"
license = {{ text = "MIT" }}
dependencies = [
{deps},
]

[project.scripts]
convkit = "{PACKAGE}.cli:main"

[tool.setuptools.packages.find]
include = ["{PACKAGE}*"]

[tool.setuptools.package-data]
{PACKAGE} = ["notebooks/*.ipynb"]
""", encoding="utf-8")
    (dest / "README.md").write_text(_readme(course, project["version"]), encoding="utf-8")
    return dest


def solution_lines(root: Path = ROOT) -> dict[str, str]:
    """Every code line inside ``### BEGIN SOLUTION`` / ``### END SOLUTION`` of the solution
    notebooks that is neither in a released notebook nor in the book's code the kit ships
    (``Exercise.book_code``) nor ``GENERIC``, stripped, with the notebook it comes from."""
    from autograder.assignments import in_order
    public = set()
    for a in in_order():
        for e in a.exercises:
            public |= {line.strip() for line in e.book_code.splitlines()}
    for path in sorted((root / "assignments").glob("*/*.ipynb")):
        for src in _code_cells(path):
            public |= {line.strip() for line in src.splitlines()}
    found: dict[str, str] = {}
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for src in _code_cells(path):
            inside = False
            for line in src.splitlines():
                s = line.strip()
                if s.startswith("### BEGIN SOLUTION"):
                    inside = True
                elif s.startswith("### END SOLUTION"):
                    inside = False
                elif inside and s and not s.startswith("#") and s not in public | GENERIC:
                    found.setdefault(s, str(path.relative_to(root)))
    return found


def _code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c.get("cell_type") == "code"]


def leaks(texts: dict[str, str], root: Path = ROOT) -> list[tuple[str, str, str]]:
    """``(file, solution line, its notebook)`` for every solution line found, as a line of its
    own (stripped), in ``texts`` (file name -> text)."""
    answers = solution_lines(root)
    out = []
    for name, text in texts.items():
        for line in {line.strip() for line in text.splitlines()} & answers.keys():
            out.append((name, line, answers[line]))
    return sorted(out)


def wheel_texts(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def build(out: Path) -> tuple[Path, Path]:
    course = course_id()
    version = _project()["version"]
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="convkit-kit-") as tmp:
        src = stage(Path(tmp) / "src", course)
        wheels = Path(tmp) / "wheels"
        # --no-build-isolation: setuptools of this environment, nothing fetched.
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "--disable-pip-version-check", "-w", str(wheels),
                        str(src)], check=True)
        (built,) = wheels.glob("*.whl")
        found = leaks(wheel_texts(built))
        if found:
            raise SystemExit("student kit NOT written: it holds solution code:\n" + "\n".join(
                f"  {f}: {line!r} (from {nb})" for f, line, nb in found))
        wheel = out / built.name
        shutil.copyfile(built, wheel)
    notebooks = out / f"{course}-notebooks-{version}.zip"
    with zipfile.ZipFile(notebooks, "w", zipfile.ZIP_DEFLATED) as z:
        for aid, path in released_notebooks().items():
            z.writestr(f"{aid}/{aid}.ipynb", student_notebook(path))
    return wheel, notebooks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default: dist/)")
    args = p.parse_args(argv)
    wheel, notebooks = build(Path(args.out))
    print(f"student kit: {wheel}\n             {notebooks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
