"""The Gradescope bundle (autograder/integrations/gradescope.py), built and run for real.

The zip is built, unzipped into a temporary root laid out as Gradescope lays out ``/autograder``
(``source/`` holding the zip's contents, ``submission/`` the student's upload, ``results/``), and
its own ``run_autograder`` is run with bash on a correct notebook, a buggy module, a hostile
module that writes a fake results.json where Gradescope reads it, and an empty upload. setup.sh is
not run (it installs system packages as root): the kit's venv stands in for the one it makes, and
the script is checked to be valid bash that names every step.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import CORPUS, EXERCISES, POINTS, ROOT, by_exercise, home

CC = home("corr2d")
HOSTILE = ROOT / "tests" / "hostile"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from autograder.integrations import gradescope
    tmp = tmp_path_factory.mktemp("gradescope")
    zpath = gradescope.build(CC, tmp / "out")
    again = gradescope.build(CC, tmp / "again")
    source = tmp / "source"
    with zipfile.ZipFile(zpath) as zf:
        zf.extractall(source)
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    for name, mode in modes.items():       # extractall drops the modes; Gradescope keeps them
        (source / name).chmod(mode)
    return {"zip": zpath, "again": again, "source": source, "modes": modes, "tmp": tmp}


def _run(bundle, name: str, files: dict, venv=None, **extra_env) -> tuple[dict, str]:
    """Lay out a Gradescope root with ``files`` (relative path -> text) as the upload, run
    run_autograder, return results.json and the instructor's stdout."""
    root = bundle["tmp"] / name
    sub = root / "submission"
    sub.mkdir(parents=True)
    for rel, text in files.items():
        (sub / rel).parent.mkdir(parents=True, exist_ok=True)
        (sub / rel).write_text(text.replace("__RESULTS__", str(root / "results" / "results.json")))
    env = dict(os.environ, CONVKIT_GS_ROOT=str(root), CONVKIT_GS_SOURCE=str(bundle["source"]),
               CONVKIT_GS_VENV=str(venv or Path(sys.prefix)), **extra_env)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", str(bundle["source"] / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text()), proc.stdout + proc.stderr


def _notebook(code: str) -> str:
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 图像卷积"), nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


def _assert_gradescope_shape(r: dict) -> None:
    from autograder import assignments
    a = assignments.get(CC)
    assert r["visibility"] == "visible" and r["output_format"] == "md"
    assert r["max_score"] == a.points
    assert r["score"] == pytest.approx(sum(t["score"] for t in r["tests"]))
    # every exercise present, every check (every part of a split value check) a test with the
    # Gradescope fields
    from autograder.engine.runner import parts
    assert [t["tags"][0] for t in r["tests"]] == [e.name for e in a.exercises for c in e.checks
                                                  for _ in parts(e, c)]
    for t in r["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "tags", "visibility"}
        assert t["visibility"] == "visible" and t["status"] in ("passed", "failed")
        assert (t["status"] == "failed") == bool(t["output"])


def test_zip_layout(bundle):
    from autograder.integrations import gradescope
    with zipfile.ZipFile(bundle["zip"]) as zf:
        names = zf.namelist()
    assert bundle["zip"].name == f"{CC}.zip"
    assert bundle["zip"].read_bytes() == bundle["again"].read_bytes()     # reproducible
    assert bundle["modes"]["setup.sh"] == bundle["modes"]["run_autograder"] == 0o755
    for f in ("setup.sh", "run_autograder", "gradescope.json", "pyproject.toml",
              "autograder/engine/grade.py", "autograder/worker/zygote.py", f"autograder/assignments/{CC}.py"):
        assert f in names, f
    # this assignment's reference only; no other solution, no tests, no notebooks for students
    assert [n for n in names if n.startswith("solutions/")] == [f"solutions/{CC}/{CC}.ipynb"]
    assert not any(n.startswith(("tests/", "assignments/", "demo/")) or "__pycache__" in n
                   for n in names)
    assert json.loads((bundle["source"] / "gradescope.json").read_text())["assignment"] == CC
    setup = (bundle["source"] / "setup.sh").read_text()
    for script in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(bundle["source"] / script)], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
    torch = gradescope._pin("torch")
    for step in ("apt-get install -y -qq bubblewrap", "python3.11 python3.11-venv",
                 "python3.11 -m venv", f"--index-url {gradescope.CPU_INDEX} \"torch=={torch}\"",
                 "pip install --quiet -e \"$SOURCE\"", "chmod -R go-rwx \"$SOURCE/solutions\"",
                 "autograder gradescope smoke"):
        assert step in setup, step


def test_correct_notebook_anywhere_in_the_upload(bundle):
    ok = sorted((CORPUS / CC).glob("ok_*.py"))[0].read_text()
    r, out = _run(bundle, "correct", {f"work/week2/{CC}.ipynb": _notebook(ok),
                                      "work/scratch.py": "print('not this one')\n"})
    _assert_gradescope_shape(r)
    assert r["score"] == r["max_score"] and all(t["status"] == "passed" for t in r["tests"])
    assert f"work/week2/{CC}.ipynb" in out and "isolation:" in out
    # the kit that graded is the zip's copy, not the checkout the venv was installed from
    env = dict(os.environ, PYTHONPATH=str(bundle["source"]))
    where = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                           cwd=bundle["source"], env=env, capture_output=True, text=True).stdout
    assert where.strip() == str(bundle["source"] / "autograder" / "__init__.py")


def test_buggy_module(bundle):
    r, _ = _run(bundle, "buggy", {f"{CC}.py": (CORPUS / CC / "bug_flipped_kernel.py").read_text()})
    _assert_gradescope_shape(r)
    ex = by_exercise(r)
    assert ex["corr2d"]["score"] < POINTS["corr2d"]
    # one bug costs once: the exercises built on corr2d are checked with the book's corr2d
    for name in EXERCISES[CC]:
        if name != "corr2d":
            assert ex[name]["score"] == POINTS[name], name
    failed = [t for t in r["tests"] if t["status"] == "failed"]
    assert failed and any(t["output"].startswith("**Property:**") and "```text\n" in t["output"]
                          for t in failed)


@pytest.mark.parametrize("isolation", ["auto", "process"])
def test_hostile_module_cannot_fake_results(bundle, isolation):
    """Also under ``--isolation process``, what run_autograder falls back to where Docker refuses
    bubblewrap's namespaces."""
    src = (HOSTILE / "fake_results.py").read_text()
    src = re.sub(r"(?m)^# __HONEST__.*\n(#.*\n)*", lambda _: (HOSTILE / "_honest.txt").read_text(), src)
    # aim the attack at this root's results.json too, not only /autograder's
    src = src.replace('"/autograder/results/results.json"', '"__RESULTS__"')
    assert "__RESULTS__" in src
    # and keep it off paths outside this root: --isolation process does not confine files (the
    # CONTRACT says so), and a /tmp/results.json left behind would be another test's false alarm
    for outside in ('"/tmp/results.json"', '"/work/main/results.json"'):
        assert outside in src
        src = src.replace(outside, '"__RESULTS__.outside"')
    env = {} if isolation == "auto" else {"CONVKIT_ISOLATION": isolation}
    r, out = _run(bundle, f"hostile-{isolation}", {f"{CC}.py": src}, **env)
    # auto: the sandbox where bubblewrap works here, else process, and the log says which
    assert re.search(r"isolation: (sandbox|process) \(", out) if isolation == "auto" \
        else "isolation: process (as asked)" in out
    _assert_gradescope_shape(r)
    ex = by_exercise(r)
    assert ex["corr2d"]["score"] == 0 and r["score"] < r["max_score"]
    for name in EXERCISES[CC]:
        if name != "corr2d":
            assert ex[name]["score"] == POINTS[name], name


def test_empty_upload_and_broken_install_still_list_every_exercise(bundle):
    r, _ = _run(bundle, "empty", {"README.txt": "I forgot to attach it\n"})
    _assert_gradescope_shape(r)
    assert r["score"] == 0 and "no notebook" in r["output"]
    r, _ = _run(bundle, "no-python", {f"{CC}.py": "x = 1\n"}, venv=bundle["tmp"] / "no-venv")
    _assert_gradescope_shape(r)
    assert r["score"] == 0 and "could not start" in r["tests"][0]["output"]


def test_unreadable_notebook_in_process(bundle, tmp_path):
    """run_autograder's Python side, called directly: a notebook that is not JSON still gives
    every exercise, at 0, with the reason in Markdown."""
    from autograder.integrations import gradescope
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"{CC}.ipynb").write_text("{ this is not json")
    out = tmp_path / "results" / "results.json"
    r = gradescope.run(bundle["source"] / "gradescope.json", tmp_path / "sub", out)
    assert json.loads(out.read_text()) == r
    _assert_gradescope_shape(r)
    assert r["score"] == 0 and "not a readable notebook" in r["tests"][0]["output"]
