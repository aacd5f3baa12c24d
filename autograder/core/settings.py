"""Every setting of the kit, once.

``LIMITS``: what a student's code may spend. These limits decide verdicts, so they are the same on
every path (a notebook's ``check()``, ``make check``, ``make grade``, Gradescope, ``nbgrader
autograde``) and are part of the grader, not an option: changing one changes the grader's
fingerprint and regrades the class. The worker package keeps its own copies of the two it
enforces from inside the sandbox (``worker/serve.MAX_CALL_CPU_S``, ``worker/zygote.MEMORY_HEADROOM``:
it imports nothing of the kit's); a test checks they agree.

``ClassSettings``: an instructor's choices for a course (jobs, isolation, device, gradebook,
Dask scheduler, hidden checks released, due dates and extensions), the same for ``make grade``
and ``nbgrader autograde``. Read from the course's ``nbgrader_config.py``, where an nbgrader user keeps a
course's settings::

    c.Convkit.jobs = 8
    c.Convkit.isolation = "sandbox"      # sandbox, process, or auto (sandbox where bubblewrap is)
    c.Convkit.device = "cpu"
    c.Convkit.scheduler = "tcp://host:8786"
    c.Convkit.gradebook = "sqlite:////path/gradebook.db"
    c.Convkit.released = ["<assignment>"]    # hidden checks whose details students may see
    c.Convkit.due_dates = {"<assignment>": "2026-10-05 23:59:00 +08:00"}
    c.Convkit.extensions = {"<assignment>": {"ada": 48}}        # hours

and overridden by the command line's flags (``python -m autograder class --jobs 4``).
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    # CPU seconds for one request (the worker's RLIMIT_CPU, set per request). CPU, not wall time:
    # a loaded machine must not turn slow honest code into a hang.
    call_cpu_s: float = 5.0
    # A check may give its calls more (``Check.cpu_s``: a short training run), never more than this.
    max_call_cpu_s: float = 30.0
    # Time a request may spend *waiting* (wall time less the time it ran or was ready to run:
    # ``sandbox/waiting``): the last resort for code that never reaches its CPU limit (a sleep, a
    # lock, input()). Not wall time: a loaded machine stretches an honest call, never its waiting.
    wait_factor: float = 4
    wait_extra_s: float = 10.0
    # Loading the submission's cells (each cell has its own CPU limit; a cell that swallows it
    # meets these): the time it may wait, and the CPU time it may use, all cells together.
    load_wait_s: float = 60.0
    load_cpu_s: float = 60.0
    zygote_start_wait_s: float = 120.0    # for the zygote to import torch (waiting, as above)
    zygote_control_wall_s: float = 30.0   # for the zygote to answer one order
    pipeline_window_bytes: int = 128 << 10  # requests a pipelined worker may have unanswered
    memory_headroom_bytes: int = 3 << 30  # address space a CPU worker may add to the zygote's
    sandbox_tmp_bytes: int = 256 << 20    # the sandbox's /tmp, all workers together
    # CPU time of the student's code for one submission's checks, all exercises together.
    submission_cpu_s: float = 120.0
    # What one check may spend searching for a smaller failing input before it reports the
    # smallest found so far: calls of the check and CPU time of the student's code, never wall time.
    check_attempts: int = 600
    check_cpu_s: float = 20.0

    def wait_s(self, cpu_s: float) -> float:
        """The seconds of waiting allowed a request that may use ``cpu_s`` of CPU time."""
        return max(cpu_s * self.wait_factor, cpu_s + self.wait_extra_s)


LIMITS = Limits()

ISOLATIONS = ("sandbox", "process", "none")

# Gradescope's visibilities of a result. Every check is visible at once by default: the checks are
# the ones the released notebook's own check() runs on the student's machine (same derandomised
# examples), so hiding them hides nothing, and feedback the student can act on before the deadline
# is the point of the kit. An instructor who wants scores withheld until grades are published
# builds with VISIBILITY=after_published.
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_VISIBILITY = "visible"
# A hidden check's result (``Check.hidden``): Gradescope shows it once grades are published; the
# kit's pages and nbgrader's feedback once the course's ``c.Convkit.released`` names the
# assignment. ``gradescope build --hidden-visibility after_due_date`` chooses the other moment.
HIDDEN_VISIBILITY = "after_published"


@dataclass(frozen=True)
class SimilarityDefaults:
    """The similarity report's defaults (``reports/similarity.py`` says why each is what it is);
    ``python -m autograder similarity`` flags override them."""
    noise_tokens: int = 30          # copydetect's k: characters of filtered code per k-gram
    threshold: float = 0.5          # a pair at or above this is suspicious: in similarity.html
    floor: float = 0.2              # similarity.csv lists every pair at or above this
    min_tokens: int = 60            # fewer shared tokens than this: not listed (2 k-grams)


SIMILARITY = SimilarityDefaults()


@dataclass(frozen=True)
class ClassSettings:
    jobs: int = 0                   # grading processes; 0: one per CPU
    isolation: str = "auto"         # sandbox, process, or auto: sandbox where bubblewrap is
    device: str = "cpu"
    scheduler: str | None = None    # a Dask scheduler's address: grade on that cluster
    gradebook: str | None = None    # nbgrader gradebook: a path or an SQLAlchemy URL
    # Assignments whose hidden checks' details students may now see (feedback pages, nbgrader's
    # generate_feedback); before that a hidden check shows only its points, in one line.
    released: tuple = ()
    # Due dates per assignment ("2026-10-05 23:59:00 +08:00"; no zone: UTC), and extensions in
    # hours per assignment and student ({"<assignment>": {"ada": 48}}). An assignment
    # without one here takes its due date from nbgrader's gradebook (nbgrader db assignment add
    # --duedate), and a student their extension. The penalty is nbgrader's late-submission
    # plugin (c.AssignLatePenalties.plugin_class; the kit's results.late.LatePenalty).
    due_dates: dict = dataclasses.field(default_factory=dict)
    extensions: dict = dataclasses.field(default_factory=dict)

    def resolved(self) -> "ClassSettings":
        """``auto`` made concrete and ``jobs`` counted, as the run uses them."""
        iso = self.isolation
        if iso == "auto":
            iso = "sandbox" if shutil.which("bwrap") else "process"
        return dataclasses.replace(self, isolation=iso,
                                   jobs=self.jobs if self.jobs > 0 else (os.cpu_count() or 1))


class SettingsError(ValueError):
    """A setting in nbgrader_config.py or on the command line that the kit cannot use."""


def course_settings(course, **flags) -> ClassSettings:
    """The class settings of ``course``: its ``nbgrader_config.py``'s ``c.Convkit``, then every
    flag that is not None over it."""
    config = Path(course) / "nbgrader_config.py"
    return settings_from_config(course_config(course), str(config), **flags)


def course_config(course):
    """The traitlets ``Config`` of ``COURSE/nbgrader_config.py`` (empty when there is none)."""
    from traitlets.config import Config
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader
    config = Path(course) / "nbgrader_config.py"
    if not config.is_file():
        return Config()
    try:
        return PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    except ConfigFileNotFound:
        return Config()
    except Exception as e:
        raise SettingsError(f"{config}: cannot be read ({type(e).__name__}: {e})") from None


def settings_from_config(cfg, config: str = "nbgrader_config.py", **flags) -> ClassSettings:
    """``ClassSettings`` from a loaded traitlets config's ``c.Convkit`` (the one an nbgrader
    command already holds, or ``course_config``'s), then every flag that is not None over it."""
    values = dict(cfg.Convkit) if cfg is not None and "Convkit" in cfg else {}
    fields = {f.name for f in dataclasses.fields(ClassSettings)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise SettingsError(f"{config}: c.Convkit has no setting {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(fields))})")
    values.update({k: v for k, v in flags.items() if v is not None})
    s = ClassSettings(**values)
    if s.isolation not in ISOLATIONS + ("auto",):
        raise SettingsError(f"isolation {s.isolation!r} is not one of sandbox, process, none, auto")
    if not isinstance(s.jobs, int) or s.jobs < 0:
        raise SettingsError(f"jobs must be a whole number, 0 for one per CPU (got {s.jobs!r})")
    if isinstance(s.released, str) or not all(isinstance(a, str) for a in s.released):
        raise SettingsError(f"released must be a list of assignment ids (got {s.released!r})")
    for a, when in dict(s.due_dates).items():
        try:
            parse_when(when)
        except (TypeError, ValueError, OverflowError):
            raise SettingsError(f"due_dates[{a!r}] = {when!r} is not a date and time "
                                f"(e.g. \"2026-10-05 23:59:00 +08:00\")") from None
    for a, per in dict(s.extensions).items():
        if not isinstance(per, dict) or not all(
                isinstance(h, (int, float)) and not isinstance(h, bool) and h >= 0
                for h in per.values()):
            raise SettingsError(f"extensions[{a!r}] must map student ids to hours >= 0 "
                                f"(got {per!r})")
    return dataclasses.replace(s, released=tuple(s.released), due_dates=dict(s.due_dates),
                               extensions={a: dict(v) for a, v in dict(s.extensions).items()})


def parse_when(value) -> datetime.datetime:
    """A moment as nbgrader reads one (its ``parse_utc``): any form dateutil reads, a zone
    converted to UTC, no zone taken as UTC; returned naive, in UTC, as nbgrader stores it."""
    from dateutil import parser
    if isinstance(value, datetime.datetime):
        when = value
    elif isinstance(value, str) and value.strip():
        when = parser.parse(value.strip())
    else:
        raise ValueError(f"not a date: {value!r}")
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when
