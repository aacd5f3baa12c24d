"""Drive an exercise's checks against one student and record what happened.

Hypothesis runs with fixed settings (NOTES.md): derandomised, no database, no deadline, a fixed
number of examples, no explain phase, one bug reported. So every student meets the same examples
and a regrade gives the same verdicts. A failing check reports the smallest failing input hypothesis
found; a check whose shrinking runs past its time budget reports the smallest found so far.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import errors as hyp_errors

from . import show
from .exercise import Check, Exercise, Mismatch
from .student import ForbiddenUsed, Missing, StudentRaised, WorkerHung, WorkerLost

CHECK_BUDGET_S = 20.0     # wall time one check may spend shrinking before we report what we have


def _pin_constants() -> None:
    """Make the example stream independent of which modules happen to be loaded.

    Hypothesis draws about 5% of its values from constants it collects from every "local" module
    in ``sys.modules`` (anything outside site-packages: the kit itself in an editable install, a
    student's helper file, the notebook's folder). That would give a notebook's self-check and
    ``make grade`` different examples, and let a submission steer its own inputs. Pin that pool
    to empty (hypothesis's version is pinned, so this internal hook is stable for us).
    """
    from hypothesis.internal.conjecture import providers
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty


_pin_constants()


def hypothesis_settings(max_examples: int) -> settings:
    # Every value set explicitly: with CI set, hypothesis would otherwise load its 'ci' profile.
    return settings(
        max_examples=max_examples, derandomize=True, database=None, deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink), report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
        stateful_step_count=50,
    )


@dataclass
class CheckResult:
    name: str
    points: float
    earned: float
    message: str = ""           # empty when passed
    says: str = ""

    @property
    def passed(self) -> bool:
        return self.earned >= self.points


@dataclass
class ExerciseResult:
    name: str
    points: float
    checks: list = field(default_factory=list)
    forbidden: str | None = None
    note: str = ""              # applies to the whole exercise (missing, forbidden, could not load)
    seconds: float = 0.0

    @property
    def earned(self) -> float:
        return 0.0 if self.forbidden else sum(c.earned for c in self.checks)


class _Enough(BaseException):
    """Stop hypothesis: the check's time budget is spent and a failure is already in hand."""


def _describe_raise(e: StudentRaised) -> str:
    info = e.info
    trace = info.get("trace") or f"{info.get('type')}: {info.get('message')}"
    return f"your code raised {info.get('type')}: {info.get('message')}\n" + _indent(trace.rstrip())


def _failure_message(case, e: Exception) -> str:
    if isinstance(e, StudentRaised):
        return f"For the input\n{_indent(show.case(case))}\n{_describe_raise(e)}"
    return str(e)


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in text.splitlines())


# The derandomised example stream of a check is the same for every student until a failure
# is found: record it from the first submission that passes, then replay it for the next ones
# without hypothesis's per-example overhead. Only a submission that fails during the replay goes
# through hypothesis itself, which meets the same examples, fails at the same one and shrinks it.
_STREAMS: dict[int, list] = {}


def run_check(check: Check, student, replay: bool = True) -> tuple[bool, str]:
    """Returns (passed, message). Raises ForbiddenUsed / WorkerLost / Missing to the caller."""
    last: dict = {}
    start = time.monotonic()

    def attempt(case):
        try:
            check.verify(student, case)
        except (Mismatch, StudentRaised) as e:
            last["message"] = _failure_message(case, e)
            if time.monotonic() - start > CHECK_BUDGET_S:
                raise _Enough() from None
            raise

    if check.cases is None:
        for case in check.examples:
            try:
                attempt(case)
            except (Mismatch, StudentRaised):
                return False, last["message"]
        return True, ""

    stream = _STREAMS.get(id(check)) if replay else None
    replay_failure = None
    if stream is not None:
        for case in stream:
            try:
                check.verify(student, case)
            except (Mismatch, StudentRaised) as e:
                replay_failure = _failure_message(case, e)
                break
        else:
            return True, ""
    if replay_failure is not None:
        # Hypothesis reruns the examples the replay just ran: start it on a fresh worker (where
        # the transport can give one), so state the replay left behind cannot change its verdict.
        # (Not before every check: each fresh worker reruns the notebook's cells.)
        restart = getattr(student.transport, "restart", None)
        if restart:
            restart()
    seen: list = []

    @hypothesis_settings(check.max_examples)
    @given(check.cases)
    def prop(case):
        seen.append(case)
        attempt(case)

    for case in reversed(check.examples):
        prop = example(case)(prop)
    try:
        prop()
    except (Mismatch, StudentRaised):
        return False, last.get("message", "failed")
    except _Enough:
        return False, last["message"] + "\n(not the smallest such input: the search ran out of time)"
    except hyp_errors.Flaky:
        return False, ("different answers for the same input: your function gave a wrong answer once "
                       "and a right one when called again with the same input. Does it keep state "
                       "between calls (a cache, a global, a counter)?\n" + last.get("message", ""))
    if replay_failure is not None:
        # The replayed example failed but hypothesis's own run did not meet it: a genuine
        # counterexample still decides the verdict (it is only less small).
        return False, replay_failure
    if replay:
        _STREAMS.setdefault(id(check), seen)
    return True, ""


def run_exercise(exercise: Exercise, student, deadline: float | None = None) -> ExerciseResult:
    """Run every check of one exercise; never raises for anything the student's code does."""
    t0 = time.monotonic()
    res = ExerciseResult(exercise.name, exercise.points)
    hung = None
    for i, check in enumerate(exercise.checks):
        if deadline is not None and time.monotonic() > deadline:
            res.checks.append(CheckResult(check.name, check.points, 0.0,
                                          "not run: the submission used up its grading time", check.says))
            continue
        if hung:
            # A function that hung once would most likely hang again: waiting out the limit for
            # every remaining check only delays everyone's grades.
            res.checks.append(CheckResult(check.name, check.points, 0.0,
                                          f"not run: {exercise.name} {hung} in an earlier check",
                                          check.says))
            continue
        try:
            ok, msg = run_check(check, student)
        except Missing:
            res.note = f"`{exercise.name}` is not defined in your submission."
            res.checks = [CheckResult(c.name, c.points, 0.0, res.note, c.says) for c in exercise.checks]
            break
        except ForbiddenUsed as e:
            res.forbidden = str(e.args[0])
            res.note = (f"`{exercise.name}` calls the forbidden routine `{res.forbidden}`: ready-made "
                        f"convolution, correlation, unfold, padding and pooling routines may not be used "
                        f"inside your function, so this exercise scores 0.")
            res.checks = [CheckResult(c.name, c.points, 0.0, res.note, c.says) for c in exercise.checks]
            break
        except WorkerLost as e:
            ok, msg = False, f"your code {e.args[0]}"
            if isinstance(e, WorkerHung):
                hung = str(e.args[0])
        except Exception as e:   # a fault of the grader itself: report it, keep grading
            ok, msg = False, (f"internal grader error in this check ({type(e).__name__}: {e}); "
                              f"please tell your instructor")
        res.checks.append(CheckResult(check.name, check.points, check.points if ok else 0.0,
                                      msg, check.says))
    res.seconds = time.monotonic() - t0
    return res


def tampered(exercise: Exercise, term: str) -> ExerciseResult:
    """An exercise whose code can switch off the guard (see ``tamper``): 0, like a forbidden call."""
    res = ExerciseResult(exercise.name, exercise.points)
    res.forbidden = term
    res.note = (f"`{exercise.name}` uses `{term}`, which can switch off the grader's check for "
                f"forbidden routines; it is not allowed in this course, so this exercise scores 0.")
    res.checks = [CheckResult(c.name, c.points, 0.0, res.note, c.says) for c in exercise.checks]
    return res
