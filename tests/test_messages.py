"""Feedback a beginner can act on: what the student reads, asserted word for word where it matters.

Each test grades a real submission (a corpus module, a released or broken notebook) and reads the
messages in results.json and in every renderer (the notebook's check(), make check's text, the
Markdown and HTML pages)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.sandbox import isolation as iso
from autograder.cli import selfcheck
from autograder.engine.grade import grade
from autograder.reports.feedback import html_feedback, markdown_feedback, text_feedback
from support import CORPUS, ROOT, by_exercise, home

# The assignments holding the exercises these tests are about.
A_CC, A_PS, A_CH = home("corr2d"), home("corr2d_pad_stride"), home("corr2d_multi_in")

CC = CORPUS / A_CC
PS = CORPUS / A_PS


def _outputs(results: dict, exercise: str) -> dict:
    """{row: message}; a value check split into parts ("values \u2014 padding > 0") is also
    under the check's own name, with the message of its first failing part."""
    out: dict = {}
    for t in results["tests"]:
        if t["tags"][0] != exercise:
            continue
        out[t["tags"][1]] = t["output"]
        check = t["tags"][1].split(" \u2014 ")[0]
        if not out.get(check):
            out[check] = t["output"]
    return out


@pytest.fixture(scope="module")
def float32_buffer():
    """corr2d builds its result with a bare torch.zeros (float32) inside a float64 computation."""
    return grade(CC / "bug_zeros_float32.py", A_CC, isolation="none")


def test_a_float32_buffer_shows_the_difference_and_says_what_it_means(float32_buffer):
    msg = _outputs(float32_buffer, "corr2d")["values (random floats)"]
    # enough digits to tell expected and got apart, the difference and the tolerance
    head = msg.split("first wrong element at index ")[1]
    expected, got = head.split("expected ")[1].split(", got ")
    assert expected != got.split(";")[0]
    assert "they differ by 1.2e-06, the allowed error is" in msg
    assert "Your result was computed in float32 somewhere" in msg
    assert "float64 allows" in msg


def test_properties_are_judged_on_the_inputs_whose_values_are_right(float32_buffer):
    out = _outputs(float32_buffer, "corr2d")
    # (a property is judged where the values are right: float32 inputs, here)
    assert out["gradients"] == ""
    assert out["inputs untouched"] == ""
    # a value check keeps its own message; a property whose own rule is broken keeps its own too
    assert "the result's dtype is float32, but X is float64" in out["dtype and device"]


def test_an_untouched_stub_is_one_line_per_exercise():
    nb = ROOT / "assignments" / A_CH / f"{A_CH}.ipynb"
    res = grade(nb, A_CH, isolation="none")
    text = text_feedback(res)
    for ex in ("corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"):
        assert f"`{ex}` is still the stub" in text
        assert len({o for o in _outputs(res, ex).values()}) == 1
    assert "[FAIL]" not in text            # no list of ten failing checks per exercise
    md = markdown_feedback(res, assignment=A_CH)
    assert md.count("is still the stub") == 3 and "❌ FAIL" not in md


def test_a_hint_is_given_only_where_its_diagnosis_holds():
    wrong_stride = grade(PS / "bug_cps_stride_off_by_one.py", A_PS, isolation="none")
    text = json.dumps(wrong_stride)
    assert "treated as the total" not in text      # the stride is what is wrong
    total = grade(PS / "bug_cps_padding_total.py", A_PS, isolation="none")
    assert "padding looks like it was treated as the total" in _outputs(
        total, "corr2d_pad_stride")["values (small integers)"]
    # a flipped corr2d: Conv2D is checked with the book's corr2d, so no "use self.weight" hint
    flipped = grade(CC / "bug_flipped_kernel.py", A_CC, isolation="none")
    assert "self.weight" not in json.dumps(_outputs(flipped, "Conv2D"))


def test_a_gradient_check_reports_a_forward_failure_as_such(tmp_path):
    # Right on integers, wrong on non-integers (rounds X): the gradients check draws random
    # floats, none of them with right values, so it is not assessed instead of blaming the
    # gradients.
    src = (CC / "ok_double_loop.py").read_text().replace(
        "def corr2d(X, K):", "def corr2d(X, K):\n    X = X.round()", 1)
    path = tmp_path / "rounds.py"
    path.write_text(src)
    out = _outputs(grade(path, A_CC, isolation="none"), "corr2d")
    assert out["values (random floats)"].startswith("Property:")
    assert out["gradients"].startswith("not assessed:")
    assert "see \u201cvalues (random floats) \u2014 " in out["gradients"]
    assert "gradient with respect to" not in out["gradients"]


def _broken_notebook(tmp_path) -> Path:
    nb = json.loads((ROOT / "solutions" / A_CC / f"{A_CC}.ipynb").read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and src.lstrip().startswith("def corr2d"):
            lines = src.split("\n")
            lines.insert(1, "    oops = (1,")
            cell["source"] = "\n".join(lines)
            break
    path = tmp_path / f"{A_CC}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_a_syntax_error_shows_its_line_with_a_caret_apart_from_the_errors_it_causes(tmp_path):
    res = grade(_broken_notebook(tmp_path), A_CC, isolation="none")
    note = res["output"]
    assert "<code cell 2: def corr2d(X, K):>: SyntaxError: '(' was never closed (line 2)" in note
    assert "oops = (1," in note and "^" in note
    assert "NameError: name 'corr2d' is not defined (this follows from the syntax error in " \
           "<code cell 2: def corr2d(X, K):>)" in note
    corr2d = _outputs(res, "corr2d")["book example"]
    assert corr2d.startswith("`corr2d` is not defined because the cell that defines it, "
                             "<code cell 2: def corr2d(X, K):>, did not run: it has a syntax error")
    assert "follow from it" in corr2d
    ex = by_exercise(res)
    assert ex["Conv2D"]["score"] == ex["Conv2D"]["max"]     # checked with the book's corr2d


@pytest.mark.skipif(iso.bwrap_path() is None, reason="bubblewrap is not installed: apt-get install bubblewrap")
def test_a_hang_names_the_input_it_hung_on():
    res = grade(ROOT / "tests" / "hostile" / "endless_loop.py", A_CC,
                isolation="sandbox")
    first = _outputs(res, "corr2d")["book example"]
    assert "did not return within 5 s of CPU time (an endless loop?) for the input" in first
    assert "X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]" in first


def test_the_property_in_plain_words_reaches_every_renderer(float32_buffer, capsys):
    says = "agrees with the float64 oracle within 8*eps*(sum|products| + its largest value)"
    out = _outputs(float32_buffer, "corr2d")["values (random floats)"]
    assert out.startswith("Property: corr2d(X, K) " + says)
    assert says in text_feedback(float32_buffer)
    assert says in markdown_feedback(float32_buffer, assignment=A_CC)
    assert says.replace("&", "&amp;") in html_feedback(float32_buffer, assignment=A_CC)
    ns: dict = {"__name__": "__main__"}
    exec(compile((CC / "bug_zeros_float32.py").read_text(), "<notebook>", "exec"), ns)
    selfcheck.check("corr2d", ns["corr2d"])
    assert "Property: corr2d(X, K) " + says in capsys.readouterr().out


def test_nothing_a_student_reads_points_outside_the_repository(float32_buffer):
    read = [ROOT / "README.md", ROOT / "docs" / "CONTRACT.md", ROOT / "demo" / "README.md",
            *sorted((ROOT / "assignments").glob("*/*.ipynb")),
            *sorted((ROOT / "autograder" / "templates").glob("*"))]
    for path in read:
        text = path.read_text()
        assert "SPEC" not in text and "../shared" not in text, path
    for res in (float32_buffer, grade(CC / "bug_conv2d_plain_tensor_weight.py", A_CC,
                                      isolation="none")):
        assert "SPEC" not in json.dumps(res)


# ---- messages that name the bug (issue: credit in proportion to what a bug breaks) -------------

POOL_MAX_ONLY = """
import torch
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if mode == 'avg':
        AVG
    if MODE_TEST:
        raise ValueError(f"unknown mode {mode!r}")
    Y = X.new_zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = X[i: i + p_h, j: j + p_w].max()
    return Y
"""


_NOT_YET = 'raise NotImplementedError("avg not implemented")'
_AVG = ("return torch.stack([torch.stack([X[i:i + p_h, j:j + p_w].mean() "
        "for j in range(X.shape[1] - p_w + 1)]) for i in range(X.shape[0] - p_h + 1)])")


def _pool(tmp_path, name: str, mode_test: str, avg: str = _NOT_YET) -> dict:
    path = tmp_path / f"{name}.py"
    path.write_text(POOL_MAX_ONLY.replace("MODE_TEST", mode_test).replace("AVG", avg))
    return grade(path, home("pool2d"), isolation="none")


def test_a_partial_stub_is_reported_check_by_check_as_what_it_is(tmp_path):
    res = _pool(tmp_path, "max_only", "mode != 'max'")
    out = _outputs(res, "pool2d")
    assert not any("still the stub" in o for o in out.values())
    assert out["values (small integers) \u2014 mode='avg'"].count(
        "raised NotImplementedError (avg not implemented): this case is not written yet") == 1
    assert out["values (small integers) \u2014 mode='max' passed"] == ""     # max works: passes
    assert "mode='avg' is not written yet" in out["mode names"]
    assert "spelled" not in out["mode names"]
    # the properties are judged on max pooling, whose values are right
    for prop in ("dtype and device", "gradients", "inputs untouched"):
        assert out[prop] == "", prop
    score = by_exercise(res)["pool2d"]["score"]
    assert 0.4 * 8 <= score < 8


def test_a_valid_mode_rejected_says_compare_strings_with_equals(tmp_path):
    res = _pool(tmp_path, "is_max", "mode is not 'max'", _AVG)
    out = _outputs(res, "pool2d")
    msg = out["values (small integers) \u2014 mode='max' passed"]
    assert "unknown mode 'max'" in msg and "Compare strings with == (mode == 'max')" in msg
    assert "Compare strings with ==" in out["mode names"]
    assert out["values (small integers) \u2014 the default mode (max), a square window"] == ""


def test_not_assessed_only_where_no_input_has_right_values(tmp_path):
    src = (CC / "ok_double_loop.py").read_text().replace(
        "def corr2d(X, K):",
        "def corr2d(X, K):\n    return _corr2d(X, K) + 1\n\n\ndef _corr2d(X, K):", 1)
    path = tmp_path / "plus_one.py"
    path.write_text(src)
    res = grade(path, A_CC, isolation="none")
    out = _outputs(res, "corr2d")
    msg = out["gradients"]
    assert msg.startswith("not assessed: this property is judged on the inputs where the values "
                          "are right")
    assert "Worth 1 points, neither won nor lost yet" in msg
    text = text_feedback(res)
    assert "[not assessed] gradients (0/1)" in text and "[FAIL] gradients" not in text
    html = html_feedback(res, assignment=A_CC)
    assert "<td>gradients</td><td><span class=\"na\"" in html
    md = markdown_feedback(res, assignment=A_CC)
    assert "| gradients | \u2796 not assessed | 0 / 1 |" in md


def test_the_class_report_leaves_not_assessed_out_of_the_heatmap_and_the_findings():
    from autograder.reports import classreport
    res = {"score": 0, "max_score": 2, "tests": [
        {"name": "e: values", "score": 0, "max_score": 1, "status": "failed",
         "output": "Property: x\nthe values are wrong", "tags": ["e", "values"]},
        {"name": "e: gradients", "score": 0, "max_score": 1, "status": "failed",
         "output": "not assessed: this property is judged ...", "tags": ["e", "gradients"]}]}
    data = {"students": ["s"], "subs": {("s", "a"): {"results": res, "error": None,
                                                       "score": 0}}}
    assert [n for n, _ in classreport._findings(data["subs"][("s", "a")])] == ["e: values"]
    rows = {t["tags"][1]: t for t in res["tests"]}
    from autograder.reports.feedback import state
    assert state(rows["gradients"]) == "not assessed" and state(rows["values"]) == "FAIL"


def test_a_failed_vectorised_check_states_its_reason_on_a_line_of_its_own():
    from types import SimpleNamespace

    import importlib
    from autograder.reports.classreport import shorten
    from autograder.core.declarations import Mismatch

    # A loop over images: the count grows (a hint) and the large batch costs a second of CPU
    # time (the verdict, read from outside the worker).
    def call(student, case, n, h, w, measure):
        return SimpleNamespace(ops=n * h, cpu=1.0 if measure else None), lambda r: None
    layers = importlib.import_module(f"autograder.assignments.{home('conv2d')}")
    verify = layers._vectorised(call, "conv2d(X, W, b, ...)")
    with pytest.raises(Mismatch) as e:
        verify(None, layers._OP_CASES[0])
    msg = str(e.value)
    assert "\non a batch of 65536 image(s) of 1x1: it took more than 0.15 s of CPU time" in msg
    assert "torch operations growing with the input" in msg
    assert not any(line.strip().startswith("dilation = 1:") for line in msg.splitlines())
    assert shorten(msg).startswith("on a batch of 65536 image(s) of 1x1: it took more than 0.15 s")
    # The count alone decides nothing: a growing count with little CPU time passes.
    verify = layers._vectorised(
        lambda student, case, n, h, w, measure:
            (SimpleNamespace(ops=n * h, cpu=0.01 if measure else None), lambda r: None),
        "conv2d(X, W, b, ...)")
    verify(None, layers._OP_CASES[0])
    # an argument line is never taken for the reason, even unindented
    assert shorten("For f with a = 1\nW = <(4, 2, 3, 3), float64> starting 1, -1\nthe reason") \
        == "the reason"


def test_a_float64_result_for_float32_input_is_not_blamed_on_torch_zeros():
    import torch
    from types import SimpleNamespace

    from autograder.checks import properties as P
    from autograder.core.declarations import Mismatch
    X = torch.zeros(2, 2, dtype=torch.float32)
    r = SimpleNamespace(tensor=torch.zeros(2, 2, dtype=torch.float64), device="cpu", type="Tensor")
    with pytest.raises(Mismatch) as e:
        P.require_dtype_device(r, X, "cpu", "ctx", "f")
    assert "numpy" in str(e.value) and "bare torch.zeros" not in str(e.value)
    r.tensor = torch.zeros(2, 2, dtype=torch.float32)
    with pytest.raises(Mismatch) as e:
        P.require_dtype_device(r, X.double(), "cpu", "ctx", "f")
    assert "bare torch.zeros" in str(e.value)


def test_accuracies_in_percent_are_told_so():
    from types import SimpleNamespace

    import importlib
    from autograder.core.declarations import Mismatch

    class Percent:
        def call(self, *args, **kwargs):
            return SimpleNamespace(value=[(2.3, 55.0, 60.0), (2.1, 65.0, 70.0)], nets=None,
                                   type="list")
    course = importlib.import_module(f"autograder.assignments.{home('train_lenet')}")
    with pytest.raises(Mismatch) as e:
        course._per_epoch(Percent(), {"_train": [], "_test": [], "_net_seed": 5, "_seed": 0})
    assert "look like percentages" in str(e.value) and "order" not in str(e.value)


def test_a_helper_note_names_no_book_and_only_where_the_helper_is_called():
    from autograder.assignments import get
    from autograder.engine.notes import inherited
    from autograder.engine.runner import ExerciseResult
    a = get(home("conv2d_backward"))
    results = [ExerciseResult(e.name, e.points) for e in a.exercises]
    for r, e in zip(results, a.exercises):
        r.checks = []
        if e.name == "conv2d":
            from autograder.engine.runner import CheckResult
            r.checks = [CheckResult("values", e.points, 0.0, "wrong")]
        else:
            from autograder.engine.runner import CheckResult
            r.checks = [CheckResult("values", e.points, e.points)]
    calls = [("c1", "def conv2d_backward(dY, X, W, **kw):\n    return conv2d(X, W)")]
    silent = [("c1", "def conv2d_backward(dY, X, W, **kw):\n    return dY")]
    note = inherited(a, results, calls)
    assert note and "a correct `conv2d`" in note[0] and "book" not in note[0]
    assert inherited(a, results, silent) == []


def test_markdown_backticks_are_code_in_the_html_notes():
    res = {"score": 1, "max_score": 1, "output": "Your `Conv2D` is right: <b>",
           "tests": [{"name": "e: c", "score": 1, "max_score": 1, "status": "passed",
                      "output": "", "tags": ["e", "c"]}]}
    html = html_feedback(res, assignment="a")
    assert "Your <code>Conv2D</code> is right: &lt;b&gt;" in html and "`Conv2D`" not in html
