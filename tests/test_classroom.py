"""The class runner (autograder/classroom/run.py), its per-class files and the gradebook writer.

One temporary nbgrader course is graded once by ``python -m autograder class`` (module fixture);
the other tests reuse it in-process with isolation "none". Submissions are kept cheap: one correct
module of the assignment holding ``corr2d`` (``CC``), one with a flipped kernel, one missing a function, one that makes
the grading itself fail (a broken symlink), an empty folder and an unknown assignment folder.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from support import ASSIGNMENTS, home

# Each test grades a class (``make test-fast`` leaves them out).
pytestmark = pytest.mark.classrun

ROOT = Path(__file__).resolve().parents[1]
CC = home("corr2d")

OK = '''import torch
from torch import nn
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))
    def forward(self, x):
        return corr2d(x, self.weight) + self.bias
def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        l = ((corr2d(X, K) - Y) ** 2).sum()
        l.backward()
        with torch.no_grad():
            K -= lr * K.grad
            K.grad.zero_()
    return K.detach()
'''
FLIPPED = OK.replace("(X[i:i + h, j:j + w] * K).sum()", "(X[i:i + h, j:j + w] * K.flip(0, 1)).sum()")
NO_LEARN = OK[:OK.index("def learn_kernel")]
CSV_HEAD = ["student_id", "last_name", "first_name", "email", "score", "max_score"]


def _write_course(course: Path) -> None:
    sub = course / "submitted"
    for student, text in (("ada", OK), ("bob", FLIPPED), ("cy", NO_LEARN)):
        d = sub / student / CC
        d.mkdir(parents=True)
        (d / f"{CC}.py").write_text(text)
    crash = sub / "dan" / CC
    crash.mkdir(parents=True)
    # A hostile input that makes grading itself fail: a module that is a dangling symlink.
    os.symlink(f"/nonexistent/convkit/{CC}.py", crash / f"{CC}.py")
    (sub / "eve" / CC).mkdir(parents=True)        # empty submission
    (sub / "ada" / "not_an_assignment").mkdir(parents=True)         # unknown folder
    (sub / "ada" / "not_an_assignment" / "x.py").write_text("pass\n")
    # nbgrader's own files in its folders must survive (the kit writes to COURSE/convkit/).
    keep = course / "autograded" / "ada" / CC
    keep.mkdir(parents=True)
    (keep / f"{CC}.ipynb").write_text("{}")


def _args(course, **kw):
    base = dict(course=str(course), jobs=2, out=None, assignment=None, device="cpu",
                isolation="none", force=False, gradebook=None)
    base.update(kw)
    return SimpleNamespace(**base)


def _results(course, student):
    return json.loads((course / "convkit" / "autograded" / student / CC / "results.json").read_text())


def _ex(results, name):
    return sum(t["score"] for t in results["tests"] if t["tags"][0] == name)


PIN = "test-fingerprint"   # the package is edited while tests run: pin the grader's fingerprint


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder.classroom.run import run_class
    course = tmp_path_factory.mktemp("course")
    _write_course(course)
    t0 = time.monotonic()
    summary = run_class(course, jobs=2, isolation="none", show_progress=False, fingerprint=PIN)
    return SimpleNamespace(path=course, out=course / "convkit", summary=summary,
                           seconds=time.monotonic() - t0)


def test_cli_class_command(tmp_path):
    """`python -m autograder class` end to end, on a course that needs no student code run."""
    (tmp_path / "submitted" / "eve" / CC).mkdir(parents=True)
    (tmp_path / "submitted" / "eve" / "homework9").mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "autograder", "class", str(tmp_path), "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "graded 1" in proc.stdout and "homework9" in proc.stdout
    # stderr is a pipe here, as in a log file: the progress comes as plain, labelled lines.
    assert "grading ..." in proc.stderr and "graded 1/1" in proc.stderr, proc.stderr
    assert "not a known assignment" in proc.stdout
    for f in ("grades.csv", "class_report.html", f"autograded/eve/{CC}/results.json",
              f"feedback/eve/{CC}/feedback.html"):
        assert (tmp_path / "convkit" / f).is_file(), f
    # nothing in nbgrader's own folders
    assert not (tmp_path / "autograded").exists() and not (tmp_path / "feedback").exists()
    assert _results(tmp_path, "eve")["score"] == 0
    proc = subprocess.run([sys.executable, "-m", "autograder", "class", str(tmp_path / "nope")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 2 and "no submitted/ folder" in proc.stderr


def test_grader_change_regrades(tmp_path):
    from autograder.classroom.run import run_class
    (tmp_path / "submitted" / "eve" / CC).mkdir(parents=True)
    assert len(run_class(tmp_path, jobs=1, isolation="none", show_progress=False,
                         fingerprint="a").graded) == 1
    assert run_class(tmp_path, jobs=1, isolation="none", show_progress=False,
                     fingerprint="a").graded == []
    assert len(run_class(tmp_path, jobs=1, isolation="none", show_progress=False,
                         fingerprint="b").graded) == 1
    assert len(run_class(tmp_path, jobs=1, isolation="none", show_progress=False,
                         fingerprint="b", force=True).graded) == 1


def test_an_older_kits_results_move_out_of_nbgraders_folders(tmp_path):
    """A course an older kit graded (its results in nbgrader's autograded/ and feedback/): the
    next run moves them to COURSE/convkit/, grades nothing again, and leaves nbgrader's folders
    as nbgrader expects them (no folder of the kit's to make autograde skip the student)."""
    from autograder.classroom.run import run_class
    (tmp_path / "submitted" / "eve" / CC).mkdir(parents=True)
    run_class(tmp_path, jobs=1, isolation="none", show_progress=False, fingerprint="a")
    for kind in ("autograded", "feedback"):       # the old layout, as an older kit left it
        shutil.move(tmp_path / "convkit" / kind, tmp_path / kind)
    (tmp_path / "feedback" / "eve" / CC / f"{CC}.html").write_text("nbgrader's own")
    s = run_class(tmp_path, jobs=1, isolation="none", show_progress=False, fingerprint="a")
    assert s.moved == [f"eve/{CC}"] and s.graded == [] and s.up_to_date == [("eve", CC)]
    assert list((tmp_path / "autograded").rglob("*")) == []       # nbgrader's folder, emptied
    assert sorted(p.name for p in (tmp_path / "feedback" / "eve" / CC).iterdir()) == [f"{CC}.html"]
    assert (tmp_path / "convkit" / "feedback" / "eve" / CC / "feedback.html").is_file()
    from autograder.classroom.records import ClassError
    with pytest.raises(ClassError, match="nbgrader's folder"):
        run_class(tmp_path, out=tmp_path, jobs=1, isolation="none", show_progress=False)


def test_run_completes_and_reports(course):
    s = course.summary
    assert sorted(st for st, _ in s.graded) == ["ada", "bob", "cy", "dan", "eve"]
    assert [(st, a) for st, a, _ in s.errors] == [("dan", CC)]
    assert s.unknown == [("ada", "not_an_assignment")]
    assert not s.interrupted and s.stats[CC]["n"] == 5


def test_results_json_per_submission(course):
    from autograder.results.schema import validate
    c, o = course.path, course.out
    written = sorted(o.glob("autograded/*/*/results.json"))
    assert len(written) == 5
    for p in written:       # every one meets results.json's schema, the failed grading's too
        validate(json.loads(p.read_text()))
    ada, bob, cy = _results(c, "ada"), _results(c, "bob"), _results(c, "cy")
    assert ada["score"] == ada["max_score"] == 20
    assert all(t["status"] == "passed" for t in ada["tests"])
    # One bug costs once (SPEC 2): bob's flipped corr2d costs under corr2d only; learn_kernel is
    # checked with the book's corr2d in place of his.
    assert _ex(bob, "corr2d") < 10 and _ex(bob, "learn_kernel") == 4
    assert _ex(cy, "corr2d") == 10 and _ex(cy, "Conv2D") == 6 and _ex(cy, "learn_kernel") == 0
    eve = _results(c, "eve")
    assert eve["score"] == 0 and "no notebook" in eve["output"]
    # nbgrader's own file in autograded/ is untouched
    assert (c / "autograded" / "ada" / CC / f"{CC}.ipynb").read_text() == "{}"
    assert not (c / "autograded" / "ada" / "not_an_assignment").exists()


def test_grading_failure_is_recorded_and_others_complete(course):
    c = course.path
    dan = _results(c, "dan")
    assert dan["score"] == 0
    assert {t["tags"][0] for t in dan["tests"]} == {"corr2d", "Conv2D", "learn_kernel"}
    assert "could not grade" in dan["output"]
    rec = json.loads((course.out / "autograded" / "dan" / CC / "convkit.json").read_text())
    assert rec["status"] == "error" and "FileNotFoundError" in rec["error"]
    assert _results(c, "ada")["score"] == 20


def test_feedback_pages(course):
    fb = course.out / "feedback" / "bob" / CC
    html, md = (fb / "feedback.html").read_text(), (fb / "feedback.md").read_text()
    for page in (html, md):
        assert "values (small integers)" in page and "FAIL" in page
        assert "图像卷积" in page
    assert "<pre>" in html and "expected" in html
    assert "## 1. `corr2d`" in md
    ok = (course.out / "feedback" / "ada" / CC / "feedback.md").read_text()
    assert "FAIL" not in ok and "20 / 20" in ok


def test_grades_csv(course):
    with open(course.out / "grades.csv", newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    assert head[:6] == CSV_HEAD
    # one column per assignment, in teaching order, before the exercise columns
    assert head[6:6 + len(ASSIGNMENTS)] == list(ASSIGNMENTS)
    assert f"{CC}:corr2d" in head and f"{CC}:learn_kernel" in head
    assert [r[0] for r in body] == ["ada", "bob", "cy", "dan", "eve"]
    by = {r[0]: dict(zip(head, r)) for r in body}
    assert by["ada"][CC] == "20" and by["ada"][f"{CC}:corr2d"] == "10"
    assert by["cy"][f"{CC}:learn_kernel"] == "0"
    assert by["dan"]["score"] == "0"


def test_class_report(course):
    html = (course.out / "class_report.html").read_text()
    assert "data:image/png;base64," in html
    # Each bug counts once per student, not once per check: cy's missing learn_kernel is one
    # finding about learn_kernel as a whole; eve, with no notebook at all, is one finding about
    # every exercise (not a learn_kernel bug). bob's flipped corr2d counts under corr2d only: his
    # Conv2D and learn_kernel are checked with the book's corr2d and pass, and his "not assessed"
    # properties are consequences, not findings.
    flat = html.replace("\n", "")
    assert "learn_kernel: the whole exercise (stub, not defined or forbidden)</td>" \
        "<td class=\"n\">1 student<" in flat
    assert "every exercise (no submission, or it could not be loaded)</td>" \
        "<td class=\"n\">1 student<" in flat
    assert "forbidden)</td><td class=\"n\">2 students" not in flat
    assert "corr2d: book example" in html
    assert "Conv2D: forward values" not in html and "corr2d: gradients" not in html
    assert "dan" in html and "FileNotFoundError" in html
    assert f'href="feedback/ada/{CC}/feedback.html"' in html


def test_rerun_grades_nothing_then_only_the_changed(course):
    from autograder.classroom.run import run_class
    c = course.path
    o = course.out
    before = {s: (o / "autograded" / s / CC / "results.json").stat().st_mtime_ns
              for s in ("ada", "bob", "cy", "dan", "eve")}
    s = run_class(c, jobs=2, isolation="none", show_progress=False, fingerprint=PIN)
    assert s.graded == [] and len(s.up_to_date) == 5
    (c / "submitted" / "cy" / CC / f"{CC}.py").write_text(
        NO_LEARN + "\ndef learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):\n"
                   "    raise NotImplementedError\n")
    s = run_class(c, jobs=2, isolation="none", show_progress=False, fingerprint=PIN)
    assert s.graded == [("cy", CC)] and len(s.up_to_date) == 4
    after = {st: (o / "autograded" / st / CC / "results.json").stat().st_mtime_ns
             for st in before}
    assert {st for st in before if before[st] != after[st]} == {"cy"}
    assert "learn_kernel" in (o / "feedback" / "cy" / CC / "feedback.md").read_text()


@pytest.mark.nbgrader
def test_gradebook_written_and_exported(course, tmp_path):
    pytest.importorskip("nbgrader")
    from autograder.classroom.run import run_class
    c = course.path
    db = tmp_path / "gradebook.db"
    s = run_class(c, jobs=1, isolation="none", show_progress=False, gradebook=str(db),
                  fingerprint=PIN)
    assert s.graded == []      # the gradebook is written from the results on disk
    assert s.gradebook and not s.gradebook.get("error"), s.gradebook
    from nbgrader.api import Gradebook
    with Gradebook("sqlite:///" + str(db)) as gb:
        sub = gb.find_submission(CC, "ada")
        assert sub.score == 20 and sub.max_score == 20
        assert gb.find_submission(CC, "cy").score == 16
        g = gb.find_grade("corr2d_test", CC, CC, "bob")
        assert g.auto_score == _ex(_results(c, "bob"), "corr2d") and not g.needs_manual_grade
        gb.update_or_create_student("ada", first_name="Ada", last_name="Lovelace")
    # nbgrader's own export sees the scores; grades.csv now has the names
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "jc"),
               JUPYTER_DATA_DIR=str(tmp_path / "jd"))
    out = tmp_path / "export.csv"
    nbgrader = shutil.which("nbgrader", path=env["PATH"])
    if nbgrader:
        subprocess.run([nbgrader, "export", "--db", "sqlite:///" + str(db), "--to", str(out)],
                       cwd=tmp_path, env=env, check=True, capture_output=True, timeout=600)
        rows = {r["student_id"]: r for r in csv.DictReader(open(out))}
        assert float(rows["ada"]["score"]) == 20 and float(rows["cy"]["score"]) == 16
    run_class(c, jobs=1, isolation="none", show_progress=False, gradebook=str(db),
              fingerprint=PIN)
    with open(course.out / "grades.csv", newline="") as f:
        ada = next(r for r in csv.DictReader(f) if r["student_id"] == "ada")
    assert ada["first_name"] == "Ada" and ada["last_name"] == "Lovelace"


def test_sandbox_isolation(tmp_path):
    try:
        from autograder.sandbox import isolation
    except ImportError as e:
        pytest.skip(f"autograder.sandbox.isolation is not importable yet: {e}")
    if not getattr(isolation, "bwrap_path", lambda: None)():
        pytest.skip("bubblewrap (bwrap) is not installed")
    from autograder.classroom.run import run_class
    for student, text in (("ada", OK), ("cy", NO_LEARN.replace("def corr2d", "def corr2d_x"))):
        d = tmp_path / "submitted" / student / CC
        d.mkdir(parents=True)
        (d / f"{CC}.py").write_text(text)
    s = run_class(tmp_path, jobs=2, isolation="sandbox", show_progress=False)
    assert not s.errors, s.errors
    assert _ex(_results(tmp_path, "ada"), "corr2d") == 10
    assert _ex(_results(tmp_path, "cy"), "corr2d") == 0


def test_progress_in_a_log_is_labelled_and_bounded():
    import io
    from autograder.classroom.progress import LINES, RunProgress
    log = io.StringIO()
    with RunProgress(500, "lines", stream=log) as p:
        p.phase("preparing the examples")
        p.phase("grading")
        for _ in range(500):
            p.advance()
    lines = log.getvalue().splitlines()
    assert "preparing the examples ..." in lines[0] and "grading ..." in lines[1]
    assert lines[-1].endswith("graded 500/500")
    assert len(lines) <= LINES + 2
    silent = io.StringIO()
    with RunProgress(3, None, stream=silent) as p:
        p.phase("grading")
        p.advance()
    assert silent.getvalue() == ""
