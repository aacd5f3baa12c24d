"""Drive an exercise's checks against one student and record what happened.

Every student meets the same examples (``streams``: hypothesis, derandomised, fixed settings), so a
regrade gives the same verdicts. A check replays its stream (prefetched from the worker in one
pipelined stream where a plan exists: ``prefetch``); the smallest failing example goes to
hypothesis's shrinker, and the student reads the smallest failing input it found (or the smallest
so far, when shrinking runs past the check's budget of calls and CPU time).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import prefetch, show, streams
from .exercise import Check, Exercise, Mismatch, ValuesWrong
from .student import ForbiddenUsed, Missing, StudentRaised, WorkerHung, WorkerLost

# What one check may spend searching for a smaller failing input before it reports the smallest
# found so far. Counted in calls of the check and in the CPU time of the student's code, never in
# wall time: how busy the grading machine is must not change a verdict or its message.
CHECK_BUDGET_ATTEMPTS = 600
CHECK_BUDGET_CPU_S = 20.0


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
    called: list = field(default_factory=list)     # torch functions its code called (top level)

    @property
    def earned(self) -> float:
        return 0.0 if self.forbidden else sum(c.earned for c in self.checks)


class _Enough(BaseException):
    """Stop hypothesis: the check's budget is spent and a failure is already in hand."""


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


class _Failed(Exception):
    """``attempt`` saw the student fail a case (the message is in ``last``)."""


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    values_wrong: bool = False     # the failure was about the values themselves
    raised: str | None = None      # the type of the exception the student's code raised, if it did


def _confirmed(message: str, refuted: set) -> str:
    """Keep a hint only where no failing example of the replay refutes its diagnosis (the mistake
    it names gives another answer there): on a shrunk, tiny input different mistakes often give
    the same answer."""
    head, sep, hint = message.partition("\nHint: ")
    if sep and hint.split("\n")[0] in refuted:
        return head
    return message


def run_check(check: Check, student, name: str = "") -> Verdict:
    """Raises ForbiddenUsed / WorkerLost / Missing to the caller; a WorkerLost carries the input
    it happened on as ``.case``.

    ``name`` is the exercise's: with it, the replay can be prefetched (see ``prefetch``)."""
    last: dict = {}
    # Calls are counted from the start of shrinking (``None`` until then: a replay's length is
    # the stream's); CPU time from the start of the check.
    spent = {"attempts": None, "cpu": student.seconds}

    def attempt(case, who=student):
        if spent["attempts"] is not None:
            spent["attempts"] += 1
        try:
            check.verify(who, case)
        except WorkerLost as e:
            e.case = case
            raise
        except (Mismatch, StudentRaised) as e:
            last["message"] = _failure_message(case, e)
            last["values_wrong"] = isinstance(e, ValuesWrong)
            last["raised"] = e.info.get("type") if isinstance(e, StudentRaised) else None
            last["refuted"] = getattr(e, "refuted", set())
            cpu = student.seconds + (who.seconds if who is not student else 0.0)
            if (spent["attempts"] or 0) > CHECK_BUDGET_ATTEMPTS or \
                    cpu - spent["cpu"] > CHECK_BUDGET_CPU_S:
                raise _Enough() from None
            raise _Failed() from None

    def lose(message=None) -> Verdict:
        return Verdict(False, last["message"] if message is None else message,
                       last.get("values_wrong", False), last.get("raised"))

    if check.cases is None:
        for case in check.examples:
            try:
                attempt(case)
            except (_Failed, _Enough):
                return lose()
        return Verdict(True)

    # Replay the stream: of the examples the student fails, hypothesis's shrinker starts from the
    # smallest (fewest choices, then earliest): it ends at a smaller input, sooner. Every example
    # is checked (a prefetched one's calls ran in the worker anyway): a hint is shown only if it
    # explains every failing example, not just a tiny one where several mistakes agree.
    failing, message, refuted = None, "", set()
    examples = streams.stream(check)
    pre = prefetch.start(check, name, student) if name else None
    i = 0
    try:
        while i < len(examples):
            ex = examples[i]
            if pre is not None:
                pre.begin(i)
            failed = False
            try:
                attempt(ex.case, pre.student if pre is not None else student)
            except _Failed:
                failed = True
                refuted |= last["refuted"]
            except _Enough:
                return lose()
            except prefetch.Diverged:
                pre = _stop(pre, student)
                continue            # this example again, asked live
            if pre is not None:
                try:
                    pre.end_example()
                except prefetch.Diverged:
                    pre = _stop(pre, student)
            if failed:
                if ex.choices is None:  # one of the book's explicit examples: shown as it is
                    return lose()
                if failing is None or len(ex.choices) < len(failing.choices):
                    failing, message = ex, last["message"]
            i += 1
    finally:
        _stop(pre, student)
    if failing is None:
        return Verdict(True)
    # The shrinker goes on in the worker that ran the replay (a fresh one would cost a fork and
    # a rerun of the notebook's cells, for every failing check): a function that keeps state
    # between calls meets the same sequence of calls on every run, so its grade is still the same.
    spent["attempts"] = 0
    try:
        smallest = streams.shrink(check, failing.choices, attempt, (_Failed,))
    except streams.NotReproduced:
        # The same input passed when asked again: the answer depends on earlier calls. The
        # failure seen is a genuine counterexample and decides the verdict.
        return lose(_confirmed(message, refuted))
    except _Enough:
        return lose(_confirmed(last["message"], refuted)
                    + "\n(not the smallest such input: the search ran out of its budget)")
    # Run the smallest failing input once more: its message is the one the student reads.
    try:
        attempt(streams.case_from(check, smallest))
    except (_Failed, _Enough):
        return lose(_confirmed(last["message"], refuted))
    return lose("different answers for the same input: your function gave a wrong answer once "
                "and a right one when called again with the same input. Does it keep state "
                "between calls (a cache, a global, a counter)?\n" + last.get("message", ""))


def _stop(pre, student) -> None:
    """End a prefetched replay: the worker's unread replies go with it; the student's time stays."""
    if pre is not None:
        pre.close()
        student.seconds += pre.student.seconds
        pre.student.seconds = 0.0
    return None


def run_exercise(exercise: Exercise, student, budget_s: float | None = None) -> ExerciseResult:
    """Run every check of one exercise; never raises for anything the student's code does.

    ``budget_s``: CPU seconds the student's code may have used, all exercises together, before
    the remaining checks are not run (``student.seconds`` counts them)."""
    t0 = time.monotonic()
    res = ExerciseResult(exercise.name, exercise.points)
    # Checked with the book's code in place of the helpers it builds on: one bug costs once.
    student.trust(exercise.name, exercise.trusted())
    student.forbid(exercise.name, exercise.forbidden)
    hung = None
    first_wrong = None      # the first check that found the values wrong
    for i, check in enumerate(exercise.checks):
        if budget_s is not None and student.seconds > budget_s:
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
        student.cpu_s = check.cpu_s     # a check's own CPU budget per call, where it has one
        try:
            v = run_check(check, student, exercise.name)
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
            case = getattr(e, "case", None)
            where = f" for the input\n{_indent(show.case(case))}" if case is not None else ""
            v = Verdict(False, f"your code {e.args[0]}{where}")
            if isinstance(e, WorkerHung):
                hung = str(e.args[0])
        except Exception as e:   # a fault of the grader itself: report it, keep grading
            v = Verdict(False, f"internal grader error in this check ({type(e).__name__}: {e}); "
                               f"please tell your instructor")
        if not v.passed and v.raised == "NotImplementedError" and not any(c.passed for c in res.checks):
            # Nothing works yet and the function says so: one line, not one failure per check.
            res.note = (f"`{exercise.name}` is still the stub: it raises NotImplementedError. Replace "
                        f"`raise NotImplementedError()` with your code.")
            res.checks = [CheckResult(c.name, c.points, 0.0, res.note, c.says) for c in exercise.checks]
            break
        message = v.message
        if not v.passed and v.values_wrong and check.needs_values:
            if first_wrong is not None:
                message = (f"not assessed: the values are wrong, see \u201c{first_wrong}\u201d. This "
                           f"property is checked once they are right.")
            else:
                message = ("not assessed: the values are wrong, so this property could not be "
                           "checked.\n" + message)
        if not v.passed and v.values_wrong and first_wrong is None:
            first_wrong = check.name
        res.checks.append(CheckResult(check.name, check.points, check.points if v.passed else 0.0,
                                      message, check.says))
    student.cpu_s = None
    res.seconds = time.monotonic() - t0
    res.called = sorted(getattr(student, "called", {}).get(exercise.name, ()))
    return res


def tampered(exercise: Exercise, term: str) -> ExerciseResult:
    """An exercise whose code can switch off the guard (see ``tamper``): 0, like a forbidden call."""
    res = ExerciseResult(exercise.name, exercise.points)
    res.forbidden = term
    res.note = (f"`{exercise.name}` uses `{term}`, which can switch off the grader's check for "
                f"forbidden routines; it is not allowed in this course, so this exercise scores 0.")
    res.checks = [CheckResult(c.name, c.points, 0.0, res.note, c.says) for c in exercise.checks]
    return res
