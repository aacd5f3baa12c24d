"""The course tools without running nbgrader: the late-penalty policy and lateness, hidden checks
(results.json, Gradescope, the pages, the student's check(), nbgrader's feedback step), the
course settings that carry them, and where the kit's files may live in a course
(``tests/test_nbgrader_course.py`` runs them all through the real nbgrader commands)."""
from __future__ import annotations

import dataclasses
import json

import nbformat
import pytest
from traitlets.config import Config

from support import home


# ------------------------------------------------------------------------------ late
def test_late_penalty_policy():
    from autograder.results.late import LatePenalty
    p = LatePenalty(per_day=0.1, max_fraction=0.3, grace_minutes=10)
    day = 86400
    assert p.late_submission_penalty("s", 20, 0) == 0
    assert p.late_submission_penalty("s", 20, 9 * 60) == 0                 # within the grace
    assert p.late_submission_penalty("s", 20, 11 * 60) == pytest.approx(2)  # a started day
    assert p.late_submission_penalty("s", 20, day + 11 * 60) == pytest.approx(4)
    assert p.late_submission_penalty("s", 20, 10 * day) == pytest.approx(6)  # the cap
    assert p.late_submission_penalty("s", 0, 10 * day) == 0
    z = LatePenalty(per_day=0.1, zero_after_days=3)
    assert z.late_submission_penalty("s", 20, 3 * day + 1) == 20
    assert "10% of the score per started day late" in p.describe() and "at most 30%" in p.describe()


def test_lateness_extension_and_unknowns():
    from autograder.results.late import LatePenalty, lateness
    p = LatePenalty(per_day=0.25)
    due = "2026-10-05 23:59:00 +08:00"                  # 15:59 UTC
    late = lateness("2026-10-05 17:00:00.000000 UTC", due, 0, 18, "ada", p)
    assert late.seconds_late == 61 * 60 and late.penalty == pytest.approx(4.5)
    assert late.due == "2026-10-05 15:59:00 UTC"
    ok = lateness("2026-10-05 17:00:00.000000 UTC", due, 2, 18, "ada", p)
    assert ok.seconds_late == 0 and ok.penalty == 0 and ok.extension_hours == 2
    assert lateness(None, due, 0, 18, "ada", p) is None
    assert lateness("2026-10-05 17:00", None, 0, 18, "ada", p) is None
    assert lateness("not a time", due, 0, 18, "ada", p) is None


def test_policy_is_the_configured_nbgrader_plugin():
    from nbgrader.plugins import LateSubmissionPlugin
    from autograder.results.late import LatePenalty, lateness, policy
    assert type(policy(Config())) is LateSubmissionPlugin          # nbgrader's default: none
    c = Config()
    c.AssignLatePenalties.plugin_class = "autograder.results.late.LatePenalty"
    c.LatePenalty.per_day = 0.5
    assert isinstance(policy(c), LatePenalty) and policy(c).per_day == 0.5
    c = Config()
    c.LateSubmissionPlugin.penalty_method = "zero"
    late = lateness("2026-10-06 00:00", "2026-10-05 00:00", 0, 12, "ada", policy(c))
    assert late.penalty == 12 and "scores 0" in late.rule


def test_gradescope_lateness_reads_the_submission_metadata(tmp_path):
    from autograder.integrations.gradescope import gradescope_lateness
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({
        "created_at": "2026-10-07T02:00:00.000000-07:00",
        "assignment": {"due_date": "2026-10-06T23:59:00.000000-07:00"},
        "users": [{"email": "a@x", "name": "Ada", "assignment": {
            "due_date": "2026-10-07T00:59:00.000000-07:00"}}]}))     # her own: an extension
    late = gradescope_lateness(meta, {"per_day": 0.1, "max_fraction": 1.0,
                                      "grace_minutes": 0.0, "zero_after_days": None}, 20)
    assert late.seconds_late == 3600 + 60 and late.penalty == pytest.approx(2)
    assert gradescope_lateness(meta, None, 20) is None             # no policy in the zip
    assert gradescope_lateness(tmp_path / "missing.json", {"per_day": 0.1}, 20) is None


# ------------------------------------------------------------------------------ hidden checks
def _hide(exercise: str, check: str):
    """The assignment and exercise as they would be declared with one check hidden."""
    from autograder import assignments
    a = assignments.get(home(exercise))
    ex = a.exercise(exercise)
    checks = tuple(dataclasses.replace(c, hidden=True) if c.name == check else c
                   for c in ex.checks)
    assert any(c.hidden for c in checks)
    new_ex = dataclasses.replace(ex, checks=checks)
    return dataclasses.replace(a, exercises=tuple(new_ex if e is ex else e
                                                  for e in a.exercises)), new_ex


def test_a_hidden_check_is_graded_marked_and_kept_off_the_page_until_released():
    from autograder.engine.runner import run_exercise
    from autograder.integrations.gradescope import to_gradescope
    from autograder.reports.feedback import html_feedback, markdown_feedback
    from autograder.results.scoring import results_json
    from autograder.sandbox.student import InProcess, Student
    from autograder.checks.reference import solution
    a, ex = _hide("corr2d", "output shape")
    student = Student(InProcess({"corr2d": solution("corr2d")}))
    results = results_json(a, [run_exercise(ex, student)])
    # (a split check's rows are "<check> — <part>")
    hidden = [t for t in results["tests"] if t["tags"][1].startswith("output shape")]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    assert all("visibility" not in t for t in results["tests"] if t not in hidden)
    assert results["score"] == ex.points                                # counted
    for page in (markdown_feedback(results, assignment=a.id, released=False),
                 html_feedback(results, assignment=a.id, released=False)):
        assert "output shape" not in page and "hidden check" in page
    for page in (markdown_feedback(results, assignment=a.id),
                 html_feedback(results, assignment=a.id)):
        assert "output shape" in page
    gs = to_gradescope(results, "visible", hidden_visibility="after_due_date")
    shape = [t["tags"][1].startswith("output shape") for t in gs["tests"]]
    assert {t["visibility"] for t, h in zip(gs["tests"], shape) if h} == {"after_due_date"}
    assert {t["visibility"] for t, h in zip(gs["tests"], shape) if not h} == {"visible"}


def test_the_students_check_does_not_run_a_hidden_check(monkeypatch, capsys):
    from autograder.checks.reference import solution
    from autograder.cli import selfcheck
    a, ex = _hide("corr2d", "output shape")
    monkeypatch.setattr(selfcheck, "find_exercise", lambda name: (a, a.exercise(name)))
    points = selfcheck.check("corr2d", solution("corr2d"))
    out = capsys.readouterr().out
    hidden = sum(c.points for c in ex.checks if c.hidden)
    assert float(points) == pytest.approx(ex.points - hidden)
    assert "output shape" not in out and "hidden check" in out


def test_nbgrader_feedback_leaves_hidden_outputs_out_until_released():
    from autograder.integrations.nbgrader.autograde import HideUnreleased, cell_outputs
    tests = [{"name": "f: a", "score": 1, "max_score": 1, "status": "passed", "output": "",
              "tags": ["f", "a"]},
             {"name": "f: secret", "score": 0, "max_score": 2, "status": "failed",
              "output": "the secret input", "tags": ["f", "secret"],
              "visibility": "after_published"}]
    outputs, points = cell_outputs(tests, 3.0, 1)
    assert points == 1 and outputs[-1]["data"]["text/plain"] == "1.0"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check('f', f)")])
    nb.cells[0].outputs = outputs
    text = json.dumps(nb.cells[0].outputs)
    assert "the secret input" in text and "1 hidden check: 0 / 2 points" in text

    def feedback(released):
        c = Config()
        c.Convkit.released = released
        out, _ = HideUnreleased(config=c).preprocess(
            nbformat.from_dict(json.loads(json.dumps(nb))), {"nbgrader": {"assignment": "x"}})
        return json.dumps(out.cells[0].outputs)
    assert "the secret input" not in feedback([]) and "1 hidden check" in feedback([])
    assert "the secret input" in feedback(["x"])
    # A value above the cell's own points would fail nbgrader's whole notebook: capped.
    assert cell_outputs(tests, 0.5, 1)[1] == 0.5


# ------------------------------------------------------------------------------ settings
@pytest.mark.parametrize("key,value,says", [
    ("due_dates", {"a": "someday"}, "is not a date"),
    ("released", "a", "list of assignment ids"),
    ("extensions", {"a": {"ada": -1}}, "hours >= 0"),
])
def test_bad_course_tool_settings_are_refused(key, value, says):
    from autograder.core.settings import SettingsError, settings_from_config
    c = Config()
    setattr(c.Convkit, key, value)
    with pytest.raises(SettingsError, match=says):
        settings_from_config(c)


def test_configured_dates_override_the_gradebook(tmp_path):
    from autograder.classroom.deadlines import deadlines
    from autograder.core.settings import ClassSettings
    s = ClassSettings(due_dates={"a": "2026-10-05 12:00 +02:00"}, extensions={"a": {"ada": 5}})
    rules = deadlines(tmp_path, s, ({"a": "2026-01-01 00:00:00", "b": "2026-02-01 00:00:00"},
                                    {"a": {"ada": 1, "bob": 2}}))
    assert rules.due == {"a": "2026-10-05 10:00:00", "b": "2026-02-01 00:00:00"}
    assert rules.extensions == {"a": {"ada": 5.0, "bob": 2}}


# ------------------------------------------------------------------------------ where files live
def test_the_kit_never_writes_into_nbgraders_folders(tmp_path):
    from autograder.results.store import check_out, default_out
    course = tmp_path / "course"
    check_out(course, default_out(course))
    check_out(course, tmp_path / "elsewhere")
    for bad in (course, course / "autograded", course / "feedback" / "x", course / "submitted"):
        with pytest.raises(ValueError, match="nbgrader's folder"):
            check_out(course, bad)


def test_records_an_older_kit_left_in_nbgraders_folders_move_out(tmp_path):
    from autograder.results.store import default_out, move_legacy
    course = tmp_path / "course"
    old = course / "autograded" / "ada" / "hw"
    old.mkdir(parents=True)
    (old / "results.json").write_text('{"score": 1}')
    (old / "convkit.json").write_text('{"key": "k"}')
    mine = course / "autograded" / "bob" / "hw"          # nbgrader's own: stays
    mine.mkdir(parents=True)
    (mine / "hw.ipynb").write_text("{}")
    (old / "hw.ipynb").write_text("{}")                   # nbgrader's file beside the kit's
    fb = course / "feedback" / "ada" / "hw"
    fb.mkdir(parents=True)
    (fb / "feedback.html").write_text("<p>kit</p>")
    (fb / "hw.html").write_text("<p>nbgrader</p>")
    out = default_out(course)
    assert move_legacy(course, out) == ["ada/hw"]
    assert (out / "autograded" / "ada" / "hw" / "results.json").read_text() == '{"score": 1}'
    assert (out / "feedback" / "ada" / "hw" / "feedback.html").read_text() == "<p>kit</p>"
    assert sorted(p.name for p in old.iterdir()) == ["hw.ipynb"]
    assert sorted(p.name for p in fb.iterdir()) == ["hw.html"]
    assert (mine / "hw.ipynb").is_file()
    assert move_legacy(course, out) == []                 # once
