"""Class runs never lose data (issue 13): a partial run (``--assignment X``) merges into the
class-wide files, an unknown assignment or a course with no submissions is an error that leaves
the existing files alone, and a missing submission is not a zero.

The class command really runs on temporary nbgrader course folders built from the corpus's
correct submissions (no mocks); the runs that grade use isolation "none" in-process through
``classroom.main`` (the function the command line calls), the error cases the command line itself.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
SENTINEL_CSV = "student_id,score\nsentinel,1\n"
SENTINEL_HTML = "<html>sentinel report</html>\n"


def _known():
    from autograder.assignments import all_assignments
    return all_assignments()


def _two_assignments():
    """Two assignment ids that have a correct corpus submission (whatever they are called)."""
    ids = [a for a in _known() if sorted((CORPUS / a).glob("ok_*.py"))]
    assert len(ids) >= 2, ids
    return ids[0], ids[1]


def _submit(course: Path, student: str, assignment: str, src: Path | None) -> None:
    d = course / "submitted" / student / assignment
    d.mkdir(parents=True, exist_ok=True)
    if src is not None:
        shutil.copy(src, d / f"{assignment}.py")


def _ok(assignment: str) -> Path:
    return sorted((CORPUS / assignment).glob("ok_*.py"))[0]


def _args(course, **kw):
    base = dict(course=str(course), jobs=1, out=None, assignment=None, device="cpu",
                isolation="none", force=False, gradebook=None)
    base.update(kw)
    return SimpleNamespace(**base)


def _csv(course: Path) -> dict:
    with open(course / "convkit" / "grades.csv", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def _cli(*argv, timeout=300):
    return subprocess.run([sys.executable, "-m", "autograder", "class", *map(str, argv)],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def _sentinels(course: Path) -> None:
    (course / "convkit").mkdir(exist_ok=True)
    (course / "convkit" / "grades.csv").write_text(SENTINEL_CSV)
    (course / "convkit" / "class_report.html").write_text(SENTINEL_HTML)


def _untouched(course: Path) -> bool:
    return ((course / "convkit" / "grades.csv").read_text() == SENTINEL_CSV
            and (course / "convkit" / "class_report.html").read_text() == SENTINEL_HTML)


def _report_cell(html: str, student: str, column: int) -> str:
    """The text of the ``column``-th assignment cell of ``student``'s row in the Students table."""
    row = re.search(rf"<tr><td>{re.escape(student)}</td><td>[^<]*</td>(.*?)</tr>", html, re.S)
    assert row, student
    cells = re.findall(r'<td class="n">(.*?)</td>', row.group(1), re.S)
    return re.sub(r"<[^>]+>", "", cells[column]).strip()


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """Run 1 grades the whole class; run 2 (``--assignment A``) grades only a newcomer's A."""
    from autograder.classroom.run import main
    a, b = _two_assignments()
    course = tmp_path_factory.mktemp("merge")
    _submit(course, "ada", a, _ok(a))
    _submit(course, "ada", b, _ok(b))
    _submit(course, "bob", b, _ok(b))        # bob never submits a
    _submit(course, "cy", a, None)           # an empty submission: graded, 0 points
    first = main(_args(course))
    csv1 = _csv(course)
    _submit(course, "dee", a, None)          # a newcomer, for a only
    second = main(_args(course, assignment=[a]))
    return SimpleNamespace(path=course, a=a, b=b, first=first, second=second, csv1=csv1,
                           csv2=_csv(course), html=(course / "convkit" / "class_report.html").read_text())


def test_partial_run_keeps_every_other_assignment_and_student(merged):
    a, b, before, after = merged.a, merged.b, merged.csv1, merged.csv2
    assert merged.first == 0 and merged.second == 0
    full_a, full_b = _known()[a].points, _known()[b].points
    assert float(before["ada"][a]) == full_a and float(before["ada"][b]) == full_b
    # Run 2 graded only a, yet b's columns and bob (who has only b) are all still there.
    assert sorted(after) == ["ada", "bob", "cy", "dee"]
    assert float(after["ada"][b]) == full_b and float(after["bob"][b]) == full_b
    for ex in _known()[b].exercises:
        assert after["ada"][f"{b}:{ex.name}"] == before["ada"][f"{b}:{ex.name}"] != ""
    assert float(after["ada"]["score"]) == full_a + full_b
    assert float(after["ada"]["max_score"]) == sum(x.points for x in _known().values())
    for st in ("ada", "bob", "cy"):          # run 1's rows come back unchanged
        assert after[st] == before[st]
    # Both assignments' sections are in the report, with their submission counts.
    assert f'id="a-{b}"' in merged.html and f'id="a-{a}"' in merged.html
    assert "4 students" in merged.html


def test_missing_submission_is_blank_not_zero(merged):
    a, b, g = merged.a, merged.b, merged.csv2
    assert g["bob"][a] == "" and all(g["bob"][f"{a}:{e.name}"] == "" for e in _known()[a].exercises)
    assert g["dee"][b] == "" and g["dee"][a] == "0"      # dee submitted a (empty): a real zero
    assert g["cy"][a] == "0" and g["cy"][b] == ""
    assert float(g["bob"]["score"]) == _known()[b].points
    ids = list(_known_order(merged))
    html = merged.html
    assert _report_cell(html, "bob", ids.index(a)) == "missing"
    assert _report_cell(html, "dee", ids.index(b)) == "missing"
    assert _report_cell(html, "cy", ids.index(a)) == "0"
    # Missing submissions stay out of the statistics: b's mean is over ada and bob only.
    from autograder.reports import classreport
    from autograder.submission.course import Job
    jobs = [Job(s, x, "") for s, x in (("ada", a), ("ada", b), ("bob", b), ("cy", a), ("dee", a))]
    stats = classreport.stats(classreport.collect(merged.path / "convkit", jobs, ids))
    assert stats[b]["n"] == 2 and stats[b]["missing"] == 2 and stats[b]["mean"] == _known()[b].points


def _known_order(merged):
    from autograder.assignments import teaching_order
    return sorted(_known(), key=teaching_order)


def test_terminal_table_says_missing(merged, capsys):
    from autograder.classroom.run import main
    assert main(_args(merged.path)) == 0        # everything up to date: grades nothing
    out = capsys.readouterr().out
    assert "graded 0, up to date 5" in out
    ids = _known_order(merged)

    def row(student):
        # Cells are set apart by two spaces or more ("not graded" has one).
        line = next(x for x in out.splitlines() if x.strip().startswith(student + " "))
        cells = re.split(r"\s{2,}", line.strip())
        return dict(zip(["student", *ids, "total"], cells))

    # The terminal's tables fit 80 columns (the test's console is 80 wide, as a pipe's is);
    # only the lines naming files may be longer (a path is never broken across lines).
    long = [x for x in out.splitlines() if len(x) > 80 and not x.startswith(
        ("results: ", "feedback: ", "wrote "))]
    assert not long, out

    bob, ada, dee = row("bob"), row("ada"), row("dee")
    assert bob[merged.a] == "missing" and float(bob[merged.b]) == _known()[merged.b].points
    assert ada[merged.a] != "missing" and ada[merged.b] != "missing"
    assert dee[merged.a] == "0" and dee[merged.b] == "missing"


def test_unknown_assignment_is_an_error_and_writes_nothing(tmp_path):
    a = next(iter(_known()))
    _submit(tmp_path, "eve", a, None)
    _sentinels(tmp_path)
    proc = _cli(tmp_path, "--jobs", "1", "--isolation", "process", "--assignment", a + "x")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"unknown assignment '{a}x'" in proc.stderr
    for known in _known():
        assert known in proc.stderr
    assert _untouched(tmp_path) and not (tmp_path / "autograded").exists()


def test_course_without_submissions_is_an_error_and_writes_nothing(tmp_path):
    (tmp_path / "submitted").mkdir()
    _sentinels(tmp_path)
    proc = _cli(tmp_path, "--jobs", "1", "--isolation", "process")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no submissions" in proc.stderr and "Nothing was graded" in proc.stderr
    assert _untouched(tmp_path) and not (tmp_path / "autograded").exists()
    # Folders that name no assignment (a typo) are named in the error.
    (tmp_path / "submitted" / "eve" / "homework9").mkdir(parents=True)
    proc = _cli(tmp_path, "--jobs", "1", "--isolation", "process")
    assert proc.returncode == 2 and "eve/homework9" in proc.stderr
    assert _untouched(tmp_path)


def test_selected_assignment_without_submissions_is_an_error(tmp_path):
    a, b = _two_assignments()
    _submit(tmp_path, "eve", a, None)
    _sentinels(tmp_path)
    proc = _cli(tmp_path, "--jobs", "1", "--isolation", "process", "--assignment", b)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"no submissions for {b}" in proc.stderr
    assert _untouched(tmp_path)


def test_submitted_but_not_graded_is_not_graded_not_missing(merged, tmp_path):
    """A submission without a result yet (an interrupted run) is blank too, but reads "not
    graded" in the report: rebuild the class files from a copy of the graded course plus one
    submission folder that no run has graded."""
    from autograder.reports import classreport
    from autograder.submission.course import discover
    course = tmp_path / "c"
    shutil.copytree(merged.path, course)
    _submit(course, "bob", merged.a, None)
    jobs, _ = discover(course, None, set(_known()))
    ids = _known_order(merged)
    data = classreport.collect(course / "convkit", jobs, ids)
    assert classreport.status(data, "bob", merged.a) == "not graded"
    assert classreport.status(data, "dee", merged.b) == "missing"
    assert classreport.status(data, "ada", merged.a) == "graded"
    classreport.write_all(course / "convkit", data)
    assert _csv(course)["bob"][merged.a] == ""
    html = (course / "convkit" / "class_report.html").read_text()
    assert _report_cell(html, "bob", ids.index(merged.a)) == "not graded"


def test_failure_signatures_group_students_who_share_a_bug(merged):
    """cy and dee both handed in an empty folder for a: one group of two, one typical message,
    listed once; ada (all passed) and bob (missing) are in no group."""
    from autograder.reports import classreport
    from autograder.submission.course import Job
    a, b = merged.a, merged.b
    jobs = [Job(s, x, "") for s, x in (("ada", a), ("ada", b), ("bob", b), ("cy", a), ("dee", a))]
    data = classreport.collect(merged.path / "convkit", jobs, list(_known_order(merged)))
    groups = classreport.signatures(data, a)
    assert [g["students"] for g in groups] == [["cy", "dee"]]
    (names, msg), = groups[0]["findings"]
    assert "every exercise" in names[0] and "no notebook" in msg
    assert re.search(r"<b>2</b>: cy, dee", merged.html)
    assert merged.html.count(msg) == 1          # the message once, not once per student


def test_heatmap_rows_cover_the_class_and_show_missing_as_missing(merged):
    from autograder.reports import classreport
    from autograder.submission.course import Job
    a, b = merged.a, merged.b
    jobs = [Job(s, x, "") for s, x in (("ada", a), ("ada", b), ("bob", b), ("cy", a), ("dee", a))]
    data = classreport.collect(merged.path / "convkit", jobs, list(_known_order(merged)))
    rows, cols, matrix = classreport.heatmap_matrix(data, a)
    assert rows[0] == "ada" and rows[-1] == "bob" and sorted(rows) == ["ada", "bob", "cy", "dee"]
    assert {ex for ex, _ in cols} == {e.name for e in _known()[a].exercises}
    by = dict(zip(rows, matrix))
    assert all(v == 1.0 for v in by["ada"])
    assert all(v is None for v in by["bob"])                   # missing, not zero
    assert all(v == 0.0 for v in by["cy"]) and len(by["cy"]) == len(cols)
    assert "bob (missing)" == classreport._row_label(data, "bob", a)
    assert merged.html.count("students by checks heatmap") == 2    # one per graded assignment


def test_plots_are_drawn_once_and_again_only_for_changed_results(merged, tmp_path, monkeypatch):
    """A class run with nothing new to grade takes the report's plots from the course's cache
    (it once spent most of its time redrawing them); a changed result draws that assignment's
    anew, and a plot no run asks for any more is removed."""
    import copy
    from autograder.reports import classreport
    from autograder.submission.course import Job
    a, b = merged.a, merged.b
    jobs = [Job(s, x, "") for s, x in (("ada", a), ("ada", b), ("bob", b), ("cy", a), ("dee", a))]
    data = classreport.collect(merged.path / "convkit", jobs, list(_known_order(merged)))
    drawn = []
    for name in ("_plot_png", "_heatmap_png"):
        real = getattr(classreport, name)
        monkeypatch.setattr(classreport, name,
                            lambda d, x, real=real, name=name: drawn.append((name, x)) or real(d, x))
    cache = classreport.PlotCache(tmp_path / classreport.PLOT_CACHE)
    first = classreport.html_report(data, course="c", plots=cache)
    assert len(drawn) == 4 and len(list(cache.folder.iterdir())) == 4
    drawn.clear()
    again = classreport.PlotCache(cache.folder)
    second = classreport.html_report(data, course="c", plots=again)
    assert drawn == []
    strip = lambda html: re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "", html)
    assert strip(second) == strip(first)               # the same page, the plots included
    changed = copy.deepcopy(data)
    changed["subs"][("cy", a)]["results"]["tests"][0]["score"] = 0.5
    third = classreport.PlotCache(cache.folder)
    classreport.html_report(changed, course="c", plots=third)
    assert sorted(drawn) == [("_heatmap_png", a), ("_plot_png", a)]
    third.prune()
    assert len(list(cache.folder.iterdir())) == 4       # a's old plots gone, b's kept
    assert (merged.path / "convkit" / classreport.PLOT_CACHE).is_dir()   # the class run keeps one


def test_histograms_bin_whole_points():
    """A half point counts with the whole point below it; full marks have a bin of their own."""
    import numpy as np
    from autograder.reports import classreport
    counts, edges = np.histogram([18.5, 18, 20, 0], bins=classreport.hist_bins(20))
    assert list(edges[:2]) == [0, 1] and counts[18] == 2 and counts[20] == 1 and counts[19] == 0


def test_report_title_is_the_course_name(tmp_path):
    from autograder.reports import classreport
    assert classreport.course_name(tmp_path) == tmp_path.name
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "CNN 101 卷积"\n', encoding="utf-8")
    assert classreport.course_name(tmp_path) == "CNN 101 卷积"
