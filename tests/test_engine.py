"""The grading engine's verdicts: full marks for correct code however written, points lost exactly
where a realistic bug is, clear messages, reproducible results, and the SPEC command line."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch

from autograder.assignments import all_assignments, get
from autograder.engine.grade import grade
from support import (ASSIGNMENTS, ROOT, by_exercise, corpus_files, corpus_header, home,
                     reference_module)

# The assignments holding the exercises these tests are about.
A_CC, A_PS, A_CH = home("corr2d"), home("corr2d_pad_stride"), home("corr2d_multi_in")

# In-process grading checks the checks themselves; isolation has its own tests (test_isolation).
ISO = "none"


def _assignment_of(path):
    return path.parent.name


@pytest.mark.parametrize("path", corpus_files("ok"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_correct_alternative_gets_full_marks(path):
    results = grade(path, _assignment_of(path), isolation=ISO)
    failed = [(t["name"], t["output"][:600]) for t in results["tests"] if t["status"] == "failed"]
    assert not failed, f"{path.name} lost points: {failed}"
    assert results["score"] == get(_assignment_of(path)).points


@pytest.mark.parametrize("path", corpus_files("bug"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bug_loses_points_only_where_it_is(path):
    head = corpus_header(path)
    assert head["breaks"], f"{path.name} must say which exercise it breaks"
    ex = by_exercise(grade(path, _assignment_of(path), isolation=ISO))
    for name, e in ex.items():
        if name in head["breaks"]:
            assert e["score"] < e["max"], f"{path.name}: the bug in {name} was not caught"
            text = "\n".join(f"{c}: {o}" for c, o in e["failed"])
            assert re.search(head["symptom"], text, re.I | re.S), \
                f"{path.name}: feedback for {name} does not name the symptom /{head['symptom']}/:\n{text[:1500]}"
        else:
            assert e["score"] == e["max"], \
                f"{path.name}: {name} lost points without a bug: {e['failed'][:2]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_gets_full_marks(assignment, tmp_path):
    results = grade(reference_module(assignment, tmp_path), assignment, isolation=ISO)
    assert results["score"] == results["max_score"] == 20, \
        [t["name"] for t in results["tests"] if t["status"] == "failed"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stub_scores_zero(assignment):
    nb = ROOT / "assignments" / assignment / f"{assignment}.ipynb"
    results = grade(nb, assignment, isolation=ISO)
    assert results["score"] == 0
    assert {t["tags"][0] for t in results["tests"]} == {e.name for e in get(assignment).exercises}
    assert all("NotImplementedError" in t["output"] for t in results["tests"])


def test_every_exercise_declares_points_that_add_up():
    seen = set()
    for a in all_assignments().values():
        assert a.points == 20
        for e in a.exercises:
            assert e.name not in seen
            seen.add(e.name)
            assert len({c.name for c in e.checks}) == len(e.checks), f"duplicate check names in {e.name}"
            assert all(c.points > 0 for c in e.checks)
    # SPEC section 3's tags; later assignments add their own exercises.
    assert seen >= {"corr2d", "Conv2D", "learn_kernel", "conv_output_shape", "pad2d",
                    "corr2d_pad_stride", "corr2d_multi_in", "corr2d_multi_in_out",
                    "corr2d_multi_in_out_1x1"}


def test_grading_twice_gives_identical_results():
    path = ROOT / "tests" / "corpus" / A_CC / "bug_flipped_kernel.py"
    if not path.exists():
        path = corpus_files("bug")[0]
    a, b = (grade(path, _assignment_of(path), isolation=ISO) for _ in range(2))
    for r in (a, b):    # timings aside
        r.pop("execution_time"), r.pop("extra_data")
    assert a == b
    assert a["score"] < a["max_score"]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_cli_writes_gradescope_json(tmp_path):
    src = tmp_path / "sub.py"
    src.write_text("import torch\n\ndef conv_output_shape(input_size, kernel_size, padding=0, stride=1):\n"
                   "    p = lambda v: (v, v) if isinstance(v, int) else tuple(v)\n"
                   "    n, k, q, s = map(p, (input_size, kernel_size, padding, stride))\n"
                   "    return tuple((n[i] + 2 * q[i] - k[i]) // s[i] + 1 for i in range(2))\n")
    out = tmp_path / "results.json"
    r = _cli("grade", str(src), "--assignment", A_PS, "--json", str(out),
             "--isolation", ISO)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    ex = by_exercise(res)
    assert set(ex) == {"conv_output_shape", "pad2d", "corr2d_pad_stride"}
    assert ex["conv_output_shape"]["score"] == 4 and ex["pad2d"]["score"] == 0
    assert res["score"] == pytest.approx(sum(t["score"] for t in res["tests"]))
    for t in res["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "tags"}
        assert t["status"] in ("passed", "failed")
    # issue 21: the value check is split into parts named "values — <part>"
    parts = {c: o for c, o in ex["pad2d"]["failed"] if c.startswith("values — ")}
    assert parts and all("not defined" in o for o in parts.values())
    assert "conv_output_shape" in r.stdout        # the terminal table


def test_cli_exit_codes_when_it_cannot_grade(tmp_path):
    assert _cli("grade", str(tmp_path / "nope.py"), "--assignment", A_CH).returncode != 0
    (tmp_path / "x.py").write_text("")
    r = _cli("grade", str(tmp_path / "x.py"), "--assignment", "no_such_assignment")
    assert r.returncode != 0 and "unknown assignment" in r.stderr


BAD_INPUTS = {
    "syntax_error.py": ("def corr2d(X, K)\n    return X\n", "SyntaxError"),
    "missing.py": ("import torch\n", "not defined"),
    "wrong_type.py": ("def corr2d(X, K):\n    return [[0.0]]\n", "not a tensor"),
    "raises.py": ("def corr2d(X, K):\n    return X[100, 100]\n", "raised IndexError"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_submissions_get_a_message_and_keep_other_credit(name, tmp_path):
    src, words = BAD_INPUTS[name]
    good_shape = ("\n\nfrom torch import nn\nimport torch\n"
                  "def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):\n"
                  "    K = torch.zeros(kernel_size, dtype=X.dtype, requires_grad=True)\n"
                  "    for _ in range(num_epochs):\n"
                  "        Yh = sum(K[a, b] * X[a:a + Y.shape[0], b:b + Y.shape[1]]\n"
                  "                 for a in range(K.shape[0]) for b in range(K.shape[1]))\n"
                  "        (g,) = torch.autograd.grad(((Yh - Y) ** 2).sum(), K)\n"
                  "        K = (K - lr * g).detach().requires_grad_(True)\n"
                  "    return K.detach()\n")
    (tmp_path / name).write_text(src + ("" if name == "syntax_error.py" else good_shape))
    ex = by_exercise(grade(tmp_path / name, A_CC, isolation=ISO))
    assert ex["corr2d"]["score"] == 0
    text = "\n".join(o for _, o in ex["corr2d"]["failed"])
    assert words in text, text[:800]
    if name != "syntax_error.py":
        assert ex["learn_kernel"]["score"] == ex["learn_kernel"]["max"]


def test_malformed_and_empty_notebooks(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / f"{A_CC}.ipynb").write_text("{ not json")
    res = grade(bad, A_CC, isolation=ISO)
    assert res["score"] == 0 and "malformed JSON" in res["output"]
    assert len(by_exercise(res)) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    res = grade(empty, A_CC, isolation=ISO)
    assert res["score"] == 0 and "no notebook" in res["output"]
    nocode = tmp_path / "nocode"
    nocode.mkdir()
    (nocode / "a.ipynb").write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": "hi",
                                                           "metadata": {}}], "metadata": {},
                                                "nbformat": 4, "nbformat_minor": 5}))
    assert "no code cells" in grade(nocode, A_CC, isolation=ISO)["output"]


def test_second_notebook_in_a_folder_is_reported(tmp_path):
    sub = tmp_path / A_CH
    sub.mkdir()
    nb = ROOT / "assignments" / A_CH / f"{A_CH}.ipynb"
    (sub / f"{A_CH}.ipynb").write_text(nb.read_text())
    (sub / f"{A_CH}-Copy1.ipynb").write_text(nb.read_text())
    res = grade(sub, A_CH, isolation=ISO)
    assert f"{A_CH}-Copy1.ipynb" in res["output"] and f"graded {A_CH}.ipynb" in res["output"]


needs_cuda = pytest.mark.skipif(
    not __import__("torch").cuda.is_available(),
    reason="no CUDA device on this machine: the CUDA checks run only where a GPU is present")


@needs_cuda
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_full_marks_on_cuda(assignment, tmp_path):
    results = grade(reference_module(assignment, tmp_path), assignment, isolation="process",
                    device="cuda")
    assert results["score"] == 20, [t["name"] for t in results["tests"] if t["status"] == "failed"]


@needs_cuda
def test_result_left_on_the_cpu_loses_the_device_check(tmp_path):
    src = tmp_path / "cpu_result.py"
    src.write_text("import torch\n\ndef corr2d(X, K):\n    X, K = X.cpu(), K.cpu()\n"
                   "    h, w = K.shape\n"
                   "    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()\n"
                   "        for j in range(X.shape[1] - w + 1)]) for i in range(X.shape[0] - h + 1)])\n")
    ex = by_exercise(grade(src, A_CC, isolation="process", device="cuda"))
    assert ex["corr2d"]["score"] < ex["corr2d"]["max"]
    assert any("device" in o for _, o in ex["corr2d"]["failed"])


def test_code_that_can_switch_off_the_guard_scores_zero_even_through_a_helper(tmp_path):
    src = tmp_path / "sneaky.py"
    src.write_text(
        "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n"
        "def _quiet():\n    return torch._C.DisableTorchFunction()\n\n"
        "def corr2d(X, K):\n    with _quiet():\n"
        "        return F.conv2d(X[None, None], K[None, None])[0, 0]\n\n"
        "def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):\n"
        "    K = torch.zeros(kernel_size, dtype=X.dtype, requires_grad=True)\n"
        "    for _ in range(num_epochs):\n"
        "        Yh = sum(K[a, b] * X[a:a + Y.shape[0], b:b + Y.shape[1]]\n"
        "                 for a in range(K.shape[0]) for b in range(K.shape[1]))\n"
        "        (g,) = torch.autograd.grad(((Yh - Y) ** 2).sum(), K)\n"
        "        K = (K - lr * g).detach().requires_grad_(True)\n"
        "    return K.detach()\n")
    ex = by_exercise(grade(src, A_CC, isolation=ISO))
    assert ex["corr2d"]["score"] == 0
    assert "DisableTorchFunction" in ex["corr2d"]["failed"][0][1]
    assert ex["learn_kernel"]["score"] == ex["learn_kernel"]["max"]


def test_a_hanging_demo_cell_is_skipped_and_the_rest_is_graded(tmp_path):
    """A notebook's "try it" cell that calls a function looping forever costs that cell only."""
    good = (ROOT / "tests" / "corpus" / A_CC / "ok_double_loop.py").read_text()
    cells = [good, "while True:\n    pass\n", "print('after the hang')\n"]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                     "execution_count": None} for c in cells]}
    (tmp_path / f"{A_CC}.ipynb").write_text(json.dumps(nb))
    res = grade(tmp_path, A_CC, isolation="process")
    assert res["score"] == 20
    assert "did not finish within" in res["output"]


def test_a_hanging_demo_cell_is_waited_out_once_not_once_per_exercise():
    """Each exercise gets a fresh worker that runs the notebook's cells again; a cell that ran
    out of its CPU time in the first one is left out of the later ones."""
    from autograder.sandbox import isolation
    from autograder.sandbox.student import Student
    good = (ROOT / "tests" / "corpus" / A_CC / "ok_double_loop.py").read_text()
    cells = [("<code cell 1: import torch>", good), ("<code cell 2: while True:>", "while True:\n    pass\n"),
             ("<code cell 3: print('after')>", "after = 1\n")]
    t = isolation.open_worker(cells, sandboxed=False)
    try:
        s = Student(t)
        X = torch.ones(3, 3, dtype=torch.float64)
        assert s.call("corr2d", X, X[:2, :2]).tensor.tolist() == [[4.0, 4.0], [4.0, 4.0]]
        assert [p["cell"] for p in t.problems if p["type"] == "Timeout"] == ["<code cell 2: while True:>"]
        assert [n for n, _ in t.cells] == ["<code cell 1: import torch>", "<code cell 3: print('after')>"]
        started = t.workers_started
        s.call("learn_kernel", X, X[:2, :2], (2, 2))        # another exercise: a fresh worker
        assert t.workers_started == started + 1
        assert len([p for p in t.problems if p["type"] == "Timeout"]) == 1   # reported once
    finally:
        t.close()


def test_non_contiguous_inputs_really_reach_the_student(tmp_path):
    src = tmp_path / "contig.py"
    src.write_text((ROOT / "tests" / "corpus" / A_CC / "ok_double_loop.py").read_text()
                   + "\n\n_ok = corr2d\n\ndef corr2d(X, K):\n"
                   "    assert X.is_contiguous(), 'expects a contiguous X'\n    return _ok(X, K)\n")
    ex = by_exercise(grade(src, A_CC, isolation=ISO))
    failed = dict(ex["corr2d"]["failed"])
    # the value check is split by what varies (one row per part): only its rows fail
    assert failed and all(c.startswith("values (random floats) \u2014 ") for c in failed)
    assert all("non-contiguous" in o for o in failed.values())


def test_a_dict_that_looks_like_a_wire_marker_is_not_a_tuple(tmp_path):
    src = tmp_path / "marker.py"
    src.write_text("def conv_output_shape(input_size, kernel_size, padding=0, stride=1):\n"
                   "    p = lambda v: (v, v) if isinstance(v, int) else tuple(v)\n"
                   "    n, k, q, s = map(p, (input_size, kernel_size, padding, stride))\n"
                   "    return {'$tuple': [(n[i] + 2 * q[i] - k[i]) // s[i] + 1 for i in range(2)]}\n")
    ex = by_exercise(grade(src, A_PS, isolation=ISO))
    assert ex["conv_output_shape"]["score"] == 0


def test_tamper_scan_follows_aliases_but_ignores_harmless_names():
    from autograder.submission.tamper import scan
    src = ("import torch, gc as g2\nD = torch._C.DisableTorchFunction\n"
           "def corr2d(X, K):\n    with D():\n        return X\n"
           "def pad2d(X, padding):\n    gc = 3\n    return torch.zeros(1) + gc\n"
           "def corr2d_multi_in(X, K):\n    return g2.get_objects()\n")
    flagged = scan([("<cell>", src)])
    assert flagged["corr2d"] == "DisableTorchFunction"
    assert "corr2d_multi_in" in flagged
    assert "pad2d" not in flagged and "torch" not in flagged


def test_a_malformed_cell_is_skipped_not_fatal(tmp_path):
    good = (ROOT / "tests" / "corpus" / A_CC / "ok_double_loop.py").read_text()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": ["x = 1\n", 2], "metadata": {"nbgrader": "yes"}},
        {"cell_type": "code", "source": good, "metadata": {}, "outputs": []}]}
    (tmp_path / f"{A_CC}.ipynb").write_text(json.dumps(nb))
    res = grade(tmp_path, A_CC, isolation=ISO)
    assert res["score"] == 20
