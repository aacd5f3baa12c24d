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

from . import prefetch, streams
from ..checks import show
from ..core.declarations import Check, Exercise, Mismatch, ValuesWrong
from ..core.outcomes import ForbiddenUsed, Missing, StudentRaised, WorkerHung, WorkerLost
from ..core.settings import LIMITS
from ..results.model import CheckResult, ExerciseResult

# ---- the parts a value check is split into ----------------------------------------------------

@dataclass(frozen=True)
class Part:
    label: str | None           # None: the check is not split
    points: float
    index: int                  # see ``part_of``; -1: the check is not split


COMBINED = "two or more of these features at once"


def part_of(exercise: Exercise, case) -> int:
    """0 when ``case`` has none of the features of ``exercise.partition``, i + 1 when it has
    exactly the i-th, len + 1 when it has several."""
    has = []
    for i, (_, holds) in enumerate(exercise.partition):
        try:
            if holds(case):
                has.append(i)
        except Exception:       # a predicate that cannot read this case: not this feature
            continue
    if not has:
        return 0
    return has[0] + 1 if len(has) == 1 else len(exercise.partition) + 1


def _examples(check: Check) -> list:
    if check.cases is None:
        return [streams.Example(case, None) for case in check.explicit]
    return streams.stream(check)


_PARTS: dict[tuple, tuple] = {}


def parts(exercise: Exercise | None, check: Check) -> list[Part]:
    """The parts ``check`` is scored in: one (unsplit) unless it is a split value check of an
    exercise with a partition; then each part its examples reach, the points shared equally
    (the last part takes the rounding, so the check's points add up exactly)."""
    if exercise is None or not (check.split and exercise.partition):
        return [Part(None, check.points, -1)]
    # Keyed by the stream as well: the parts are those its examples reach, and a process can
    # meet more than one stream for a check (a bundle installed by ``prepare``, fewer examples).
    examples = _examples(check)
    key = (id(exercise), id(check))
    hit = _PARTS.get(key)
    if hit is not None and hit[0] is check and hit[1] is exercise and hit[2] is examples:
        return hit[3]
    seen = sorted({part_of(exercise, ex.case) for ex in examples})
    labels = [exercise.plain] + [label for label, _ in exercise.partition] + [COMBINED]
    share = round(check.points / len(seen), 4)
    points = [share] * (len(seen) - 1) + [round(check.points - share * (len(seen) - 1), 4)]
    out = [Part(labels[i], pts, i) for i, pts in zip(seen, points)]
    _PARTS[key] = (check, exercise, examples, out)
    return out


def row_name(check: Check, part: Part) -> str:
    return check.name if part.label is None else f"{check.name} \u2014 {part.label}"


def zeroed(exercise: Exercise, message: str) -> list[CheckResult]:
    """Every row of ``exercise`` at 0 with one message (missing, the stub, forbidden)."""
    return [CheckResult(row_name(c, p), p.points, 0.0, message, c.statement, hidden=c.hidden)
            for c in exercise.checks for p in parts(exercise, c)]


class _BudgetSpent(BaseException):
    """Stop hypothesis: the check's budget is spent and a failure is already in hand."""


def _describe_raise(e: StudentRaised) -> str:
    info = e.info
    trace = info.get("trace") or f"{info.get('type')}: {info.get('message')}"
    said = f"your code raised {info.get('type')}: {info.get('message')}\n"
    if info.get("type") == "NotImplementedError":
        # A partial stub (one mode written, the other not yet): say what it is, here only.
        said = (f"your code raised NotImplementedError ({info.get('message') or 'no message'}): "
                f"this case is not written yet; the other checks judge what is.\n")
    hint = getattr(e, "hint", "")
    return said + _indent(trace.rstrip()) + (f"\nHint: {hint}" if hint else "")


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
    any_passed: bool = False       # some example passed (a stub passes none)
    # A property (``needs_values``) tried only on examples whose values were wrong: not judged.
    assessed: bool = True


def _confirmed(message: str, refuted: set) -> str:
    """Keep a hint only where no failing example of the replay refutes its diagnosis (the mistake
    it names gives another answer there): on a shrunk, tiny input different mistakes often give
    the same answer."""
    head, sep, hint = message.partition("\nHint: ")
    if sep and hint.split("\n")[0] in refuted:
        return head
    return message


@dataclass
class _PartState:
    failing: object = None         # the smallest failing generated example so far
    message: str = ""
    explicit: bool = False         # a failing explicit example decides: no shrinking
    refuted: set = field(default_factory=set)
    values_wrong: bool = False
    raised: str | None = None
    passed: int = 0                # examples that passed (a property: that were judged and held)
    failed: bool = False


def run_check(check: Check, student, name: str = "", exercise: Exercise | None = None) \
        -> list[Verdict]:
    """One verdict per part of ``check`` (``parts``): a split value check replays its stream
    once, each part's failures are shrunk within that part. A property (``needs_values``) is
    judged on the examples whose values are right; where none is, it is not assessed.

    Raises ForbiddenUsed / WorkerLost / Missing to the caller; a WorkerLost carries the input
    it happened on as ``.case``. ``name`` is the exercise's: with it, the replay can be
    prefetched (see ``prefetch``)."""
    ps = parts(exercise, check)
    slot = {p.index: k for k, p in enumerate(ps)}
    where = (lambda case: part_of(exercise, case)) if ps[0].index >= 0 else (lambda case: -1)
    last: dict = {}
    # Calls are counted from the start of shrinking (``None`` until then: a replay's length is
    # the stream's); CPU time from the start of the check (or of a part's shrinking).
    spent = {"attempts": None, "cpu": student.seconds, "max_attempts": LIMITS.check_attempts,
             "max_cpu": LIMITS.check_cpu_s}

    def attempt(case, who=student) -> bool:
        """True when the example counts (passed); False when it was not judged (a property on
        wrong values); raises _Failed / _BudgetSpent when the student fails it."""
        if spent["attempts"] is not None:
            spent["attempts"] += 1
        try:
            check.verify(who, case)
        except WorkerLost as e:
            e.case = case
            raise
        except (Mismatch, StudentRaised) as e:
            wrong = isinstance(e, ValuesWrong) or isinstance(e, StudentRaised)
            if check.needs_values and wrong:
                last["skipped"] = _failure_message(case, e)
                return False
            last["message"] = _failure_message(case, e)
            last["values_wrong"] = isinstance(e, ValuesWrong)
            last["raised"] = e.info.get("type") if isinstance(e, StudentRaised) else None
            last["refuted"] = getattr(e, "refuted", set())
            cpu = student.seconds + (who.seconds if who is not student else 0.0)
            if (spent["attempts"] or 0) > spent["max_attempts"] or \
                    cpu - spent["cpu"] > spent["max_cpu"]:
                raise _BudgetSpent() from None
            raise _Failed() from None
        return True

    states = [_PartState() for _ in ps]

    def verdicts() -> list[Verdict]:
        out = []
        for st in states:
            if st.failed:
                out.append(Verdict(False, st.message, st.values_wrong, st.raised,
                                   st.passed > 0))
            elif check.needs_values and st.passed == 0:
                out.append(Verdict(False, last.get("skipped", ""), True, None, False,
                                   assessed=False))
            elif st.passed == 0 and len(states) > 1:
                # A part none of whose inputs was tried (the replay stopped early, or met none
                # of them) earns nothing: a pass is earned on inputs, never by default.
                why = last.get("message", "")
                out.append(Verdict(False, "not run: none of this part's inputs was tried"
                                   + (f"; the check stopped at\n{why}" if why else "")))
            else:
                out.append(Verdict(True, any_passed=True))
        return out

    def fail(st: _PartState, ex, message: str) -> None:
        st.failed = True
        st.values_wrong, st.raised = last.get("values_wrong", False), last.get("raised")
        st.refuted |= last.get("refuted", set())
        if ex.choices is None:
            if not st.explicit:
                st.failing, st.message, st.explicit = ex, message, True
        elif not st.explicit and (st.failing is None or
                                  len(ex.choices) < len(st.failing.choices)):
            st.failing, st.message = ex, message

    # Replay the stream: of the examples the student fails, hypothesis's shrinker starts from the
    # smallest (fewest choices, then earliest): it ends at a smaller input, sooner. Every example
    # is checked (a prefetched one's calls ran in the worker anyway): a hint is shown only if it
    # explains every failing example, not just a tiny one where several mistakes agree.
    examples = _examples(check)
    pre = prefetch.start(check, name, student) if name and check.cases is not None else None
    i = 0
    try:
        while i < len(examples):
            ex = examples[i]
            st = states[slot.get(where(ex.case), 0)]
            if pre is not None:
                pre.begin(i)
            failed = False
            try:
                if attempt(ex.case, pre.student if pre is not None else student):
                    st.passed += 1
            except _Failed:
                failed = True
            except _BudgetSpent:
                fail(st, ex, last["message"])
                # The replay stops here, so a part whose inputs were not all tried cannot be
                # credited: otherwise code that burns the budget on one part (or crashes the
                # worker on every call) would earn the parts it never met.
                for k in {slot.get(where(later.case), 0) for later in examples[i + 1:]}:
                    if not states[k].failed:
                        states[k].failed, states[k].explicit = True, True
                        states[k].message = ("not run: the check's budget was spent on the "
                                             "failures above before these inputs were tried\n"
                                             + last["message"])
                return verdicts()
            except prefetch.Diverged:
                pre = _stop(pre, student)
                continue            # this example again, asked live
            if pre is not None:
                try:
                    pre.end_example()
                except prefetch.Diverged:
                    pre = _stop(pre, student)
            if failed:
                fail(st, ex, last["message"])
                if ex.choices is None and len(ps) == 1:
                    return verdicts()   # one of the book's explicit examples: shown as it is
            i += 1
    finally:
        _stop(pre, student)
    shrinking = [(p, st) for p, st in zip(ps, states) if st.failed and not st.explicit]
    for p, st in shrinking:
        # The shrinker goes on in the worker that ran the replay (a fresh one would cost a fork
        # and a rerun of the notebook's cells, for every failing check): a function that keeps
        # state between calls meets the same sequence of calls on every run, so its grade is
        # still the same. The parts share the check's budget.
        spent.update(attempts=0, cpu=student.seconds,
                     max_attempts=LIMITS.check_attempts // len(shrinking),
                     max_cpu=LIMITS.check_cpu_s / len(shrinking))
        st.message = _shrunk(check, st, p, where, attempt, last)
    return verdicts()


def _shrunk(check: Check, st: _PartState, part: Part, where, attempt, last) -> str:
    """The message for the smallest failing input of ``part`` the shrinker finds from its
    smallest failing example (inputs of other parts count as passing)."""
    def within(case):
        if where(case) != part.index:
            return True
        return attempt(case)
    try:
        smallest = streams.shrink(check, st.failing.choices, within, (_Failed,))
    except streams.NotReproduced:
        # The same input passed when asked again: the answer depends on earlier calls. The
        # failure seen is a genuine counterexample and decides the verdict.
        return _confirmed(st.message, st.refuted)
    except _BudgetSpent:
        return (_confirmed(last["message"], st.refuted)
                + "\n(not the smallest such input: the search ran out of its budget)")
    # Run the smallest failing input once more: its message is the one the student reads.
    try:
        within(streams.case_from(check, smallest))
    except (_Failed, _BudgetSpent):
        return _confirmed(last["message"], st.refuted)
    return ("different answers for the same input: your function gave a wrong answer once "
            "and a right one when called again with the same input. Does it keep state "
            "between calls (a cache, a global, a counter)?\n" + last.get("message", ""))


def _stop(pre, student) -> None:
    """End a prefetched replay: the worker's unread replies go with it; the student's time and
    the torch functions the replies named stay."""
    if pre is not None:
        pre.close()
        student.seconds += pre.student.seconds
        pre.student.seconds = 0.0
        for who, names in pre.student.called.items():
            student.called.setdefault(who, set()).update(names)
        pre.student.called.clear()
    return None


def run_exercise(exercise: Exercise, student, budget_s: float | None = None) -> ExerciseResult:
    """Run every check of one exercise; never raises for anything the student's code does.

    ``budget_s``: CPU seconds the student's code may have used, all exercises together, before
    the remaining checks are not run (``student.seconds`` counts them)."""
    t0 = time.monotonic()
    res = ExerciseResult(exercise.name, exercise.points)
    # Checked with the book's code in place of the helpers it builds on: one bug costs once.
    student.lend_book(exercise.name, exercise.trusted())
    student.forbid(exercise.name, exercise.forbidden)
    hung = None
    first_wrong = None      # the first row that found the values wrong
    # Whether the value checks so far got any answer back (right or wrong): where every call
    # raised or crashed the worker, a property (judged only where the values are right) is not
    # assessed without calling the student's code again, so a function that only fails (or burns
    # its CPU time on every call: a memory bomb) does not spend the submission's budget that the
    # other exercises need. A function that returns wrong values still has its properties tried.
    values_checked = values_returned = False
    value_failure = ""      # what the last failing value check said: the reason shown instead
    for i, check in enumerate(exercise.checks):
        ps = parts(exercise, check)
        if budget_s is not None and student.seconds > budget_s:
            res.checks += [CheckResult(row_name(check, p), p.points, 0.0,
                                       "not run: the submission used up its grading time",
                                       check.statement, hidden=check.hidden) for p in ps]
            continue
        if hung:
            # A function that hung once would most likely hang again: waiting out the limit for
            # every remaining check only delays everyone's grades.
            res.checks += [CheckResult(row_name(check, p), p.points, 0.0,
                                       f"not run: {exercise.name} {hung} in an earlier check",
                                       check.statement, hidden=check.hidden) for p in ps]
            continue
        if check.needs_values and values_checked and not values_returned:
            vs = [Verdict(False, value_failure, True, None, False, assessed=False)] * len(ps)
        else:
            vs = None
        student.cpu_s = check.cpu_s     # a check's own CPU budget per call, where it has one
        try:
            if vs is None:
                vs = run_check(check, student, exercise.name, exercise)
        except Missing:
            res.note = f"`{exercise.name}` is not defined in your submission."
            res.checks = zeroed(exercise, res.note)
            break
        except ForbiddenUsed as e:
            res.forbidden = str(e.args[0])
            res.note = (f"`{exercise.name}` calls the forbidden routine `{res.forbidden}`: ready-made "
                        f"convolution, correlation, unfold, padding and pooling routines may not be used "
                        f"inside your function, so this exercise scores 0.")
            res.checks = zeroed(exercise, res.note)
            break
        except WorkerLost as e:
            case = getattr(e, "case", None)
            where = f" for the input\n{_indent(show.case(case))}" if case is not None else ""
            vs = [Verdict(False, f"your code {e.args[0]}{where}")] * len(ps)
            if isinstance(e, WorkerHung):
                hung = str(e.args[0])
        except Exception as e:   # a fault of the grader itself: report it, keep grading
            vs = [Verdict(False, f"internal grader error in this check ({type(e).__name__}: {e}); "
                                 f"please tell your instructor")] * len(ps)
        if all(not v.passed and v.raised == "NotImplementedError" and not v.any_passed
               for v in vs) and not any(c.passed for c in res.checks):
            # Nothing works yet and the function says so: one line, not one failure per check.
            # (A partial stub, one case written, is reported check by check: ``_describe_raise``.)
            res.note = (f"`{exercise.name}` is still the stub: it raises NotImplementedError. Replace "
                        f"`raise NotImplementedError()` with your code.")
            res.checks = zeroed(exercise, res.note)
            break
        if not check.needs_values:
            values_checked = True
            values_returned = values_returned or any(v.any_passed or v.values_wrong for v in vs)
            value_failure = next((v.message for v in vs if not v.passed and v.message),
                                 value_failure)
        for p, v in zip(ps, vs):
            name = row_name(check, p)
            message = v.message
            if not v.assessed:
                see = f", see \u201c{first_wrong}\u201d" if first_wrong else ""
                message = (f"not assessed: this property is judged on the inputs where the values "
                           f"are right, and on every input tried so far they are wrong{see}. "
                           f"Worth {p.points:g} points, neither won nor lost yet: they count once "
                           f"the values are right and the property holds there.")
                if first_wrong is None and v.message:
                    message += "\n" + v.message
            elif not v.passed and v.values_wrong and first_wrong is None:
                first_wrong = name
            res.checks.append(CheckResult(name, p.points, p.points if v.passed else 0.0,
                                          message, check.statement, v.assessed, check.hidden))
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
    res.checks = zeroed(exercise, res.note)
    return res


def not_graded(assignment, reason: str) -> list[ExerciseResult]:
    """Every exercise present with zero points, when the submission cannot even be loaded."""
    results = []
    for ex in assignment.exercises:
        r = ExerciseResult(ex.name, ex.points, note=reason)
        r.checks = zeroed(ex, reason)
        results.append(r)
    return results
