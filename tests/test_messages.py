"""Feedback a beginner can act on: what the student reads, asserted word for word where it matters.

Each test grades a real submission (a corpus module, a released or broken notebook) and reads the
messages in results.json and in every renderer (the notebook's check(), make check's text, the
Markdown and HTML pages)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import isolation as iso
from autograder import selfcheck
from autograder.grade import grade
from autograder.report import html_feedback, markdown_feedback, text_feedback
from support import CORPUS, ROOT, by_exercise, home

# The assignments holding the exercises these tests are about.
A_CC, A_PS, A_CH = home("corr2d"), home("corr2d_pad_stride"), home("corr2d_multi_in")

CC = CORPUS / A_CC
PS = CORPUS / A_PS


def _outputs(results: dict, exercise: str) -> dict:
    return {t["tags"][1]: t["output"] for t in results["tests"] if t["tags"][0] == exercise}


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


def test_properties_that_need_right_values_say_not_assessed_in_one_line(float32_buffer):
    out = _outputs(float32_buffer, "corr2d")
    assert out["gradients"] == ("not assessed: the values are wrong, see \u201cvalues (random "
                                "floats)\u201d. This property is checked once they are right.")
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
    # Right on integers, wrong on non-integers (rounds X): the gradients check is the first one
    # that sees wrong values, so it says so instead of blaming the gradients.
    src = (CC / "ok_double_loop.py").read_text().replace(
        "def corr2d(X, K):", "def corr2d(X, K):\n    X = X.round()", 1)
    path = tmp_path / "rounds.py"
    path.write_text(src)
    out = _outputs(grade(path, A_CC, isolation="none"), "corr2d")
    assert out["values (random floats)"].startswith("Property:")
    assert "not assessed: the values are wrong, see \u201cvalues (random floats)\u201d" in out["gradients"]
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
