"""Shared helpers for the kit's tests: the course as ``autograder/assignments/`` declares it,
grading a file and reading results by exercise.

No test names an assignment id (``test_one_source.py``): a test about an exercise finds its
assignment with ``home``; a test about the course iterates ``ASSIGNMENTS``.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from autograder.assignments import find_exercise, ids, in_order

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
ASSIGNMENTS = ids()                                  # teaching order
EXERCISES = {a.id: tuple(e.name for e in a.exercises) for a in in_order()}
POINTS = {e.name: e.points for a in in_order() for e in a.exercises}


def home(exercise: str) -> str:
    """The id of the assignment that declares ``exercise``."""
    return find_exercise(exercise)[0].id


def by_exercise(results: dict) -> dict[str, dict]:
    """{exercise: {"score", "max", "failed": [(check, output)]}} from a results.json dict."""
    out: dict[str, dict] = {}
    for t in results["tests"]:
        e = out.setdefault(t["tags"][0], {"score": 0.0, "max": 0.0, "failed": []})
        e["score"] += t["score"]
        e["max"] += t["max_score"]
        if t["status"] == "failed":
            e["failed"].append((t["tags"][1], t["output"]))
    return out


def corpus_header(path: Path) -> dict:
    head = {}
    for line in path.read_text().splitlines()[:3]:
        m = re.match(r"#\s*(breaks|symptom):\s*(.*)$", line)
        if m:
            head[m.group(1)] = m.group(2).strip()
    breaks = [b.strip() for b in head.get("breaks", "none").split(",") if b.strip()]
    return {"breaks": [] if breaks == ["none"] else breaks, "symptom": head.get("symptom", "")}


def corpus_files(prefix: str) -> list[Path]:
    return sorted(p for a in ASSIGNMENTS for p in (CORPUS / a).glob(f"{prefix}_*.py"))


def reference_module(assignment: str, dest: Path) -> Path:
    """The solution notebook's code cells written out as one module (what a perfect student submits)."""
    from autograder.core.notebook import notebook_cells
    cells, _ = notebook_cells(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    path = dest / f"{assignment}_reference.py"
    path.write_text("\n\n".join(src for _, src in cells))
    return path


def jupyter_env(tmp: Path, pythonpath: Path | None = None) -> dict[str, str]:
    """Environment for nbgrader and its kernels: no user's Jupyter configuration (each variable
    points into ``tmp``), this interpreter's tools first on PATH, and ``pythonpath`` (default: this
    checkout, in front of any PYTHONPATH already set) as the package nbgrader imports."""
    env = dict(os.environ)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        d = tmp / "env" / var.lower()
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    for var in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_PATH"):
        env.pop(var, None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if pythonpath is None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    else:
        env["PYTHONPATH"] = str(pythonpath)
    return env
