"""One configuration (autograder/core/settings.py): every limit once, a course's class settings
read from its nbgrader_config.py, and the command line's flags over them."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.core.settings import LIMITS, ClassSettings, SettingsError, course_settings
from autograder.worker import serve, zygote

ROOT = Path(__file__).resolve().parents[1]


def test_the_worker_enforces_the_same_limits_as_the_grader():
    # worker/ imports nothing of the kit's, so it keeps its own copies of what it enforces
    # inside the sandbox: they must be the grader's.
    assert serve.MAX_CALL_CPU_S == LIMITS.max_call_cpu_s
    assert zygote.MEMORY_HEADROOM == LIMITS.memory_headroom_bytes


def test_similarity_defaults_hold_their_relation():
    from autograder.core.settings import SIMILARITY
    # Two k-grams' worth of shared code at least (reports/similarity.py says why).
    assert SIMILARITY.min_tokens == 2 * SIMILARITY.noise_tokens
    assert 0 < SIMILARITY.floor < SIMILARITY.threshold <= 1


def test_limits_are_frozen_and_waiting_is_a_last_resort():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.call_cpu_s = 60.0            # type: ignore[misc]
    assert LIMITS.wait_s(5.0) == 20.0 and LIMITS.wait_s(1.0) == 11.0


def _course(tmp_path, text):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + text)
    return tmp_path


def test_course_settings_come_from_nbgrader_config_and_flags_override(tmp_path):
    c = _course(tmp_path, "c.Convkit.jobs = 3\nc.Convkit.isolation = 'process'\n"
                          "c.CourseDirectory.course_id = 'x'\n")
    assert course_settings(c) == ClassSettings(jobs=3, isolation="process")
    assert course_settings(c, jobs=5, isolation=None) == ClassSettings(jobs=5, isolation="process")
    assert course_settings(tmp_path / "nowhere") == ClassSettings()


@pytest.mark.parametrize("text, says", [
    ("c.Convkit.job = 3\n", "no setting job"),
    ("c.Convkit.isolation = 'docker'\n", "'docker'"),
    ("c.Convkit.jobs = -1\n", "whole number"),
    ("c.Convkit.jobs = (\n", "cannot be read"),
])
def test_a_bad_setting_is_named(tmp_path, text, says):
    with pytest.raises(SettingsError, match=says):
        course_settings(_course(tmp_path, text))


def test_auto_isolation_and_jobs_are_resolved():
    s = ClassSettings(jobs=0, isolation="auto").resolved()
    assert s.isolation in ("sandbox", "process") and s.jobs >= 1


def test_the_class_command_refuses_a_bad_course_setting_before_grading(tmp_path):
    course = _course(tmp_path / "course", "") if (tmp_path / "course").mkdir() is None else None
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.Convkit.isolation = 'vm'\n")
    (course / "submitted").mkdir()
    r = subprocess.run([sys.executable, "-m", "autograder", "class", str(course)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 2 and "isolation 'vm'" in r.stderr
    assert not (course / "convkit" / "autograded").exists()
