"""A check's example stream: generated once, replayed for every student, shrunk only on failure.

Hypothesis runs derandomised with fixed settings, and no check calls ``assume`` or
``target``: so the examples a check meets, for as long as the student passes them, depend on the
strategy alone, never on the student. ``stream(check)`` makes them once per process (or takes
them from ``prepare``, which makes them once per class run): hypothesis's generate phase, driven
directly with a fixed seed and a test body that only records, keeps each case with the choice
sequence it was drawn from. Grading a student is then a plain loop over the cases (no hypothesis
overhead per example); a student who fails gets a failing case's choices handed to hypothesis's
shrinker (``shrink``), which searches for the smallest failing input from there: what hypothesis
itself would do, without first regenerating the examples before it.

Engine and shrinker are hypothesis's own ``ConjectureRunner`` (hypothesis's version is pinned, so
these internals are stable for us); the failing input a student reads is the smallest it found.
The same process-independent stream is what the tests pin (tests/test_streams.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from random import Random

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis._settings import local_settings
from hypothesis.internal.conjecture.data import ConjectureData, Status
from hypothesis.internal.conjecture.engine import ConjectureRunner, RunIsComplete
from hypothesis.internal.conjecture.shrinker import sort_key
from hypothesis.internal.escalation import InterestingOrigin

from ..core.declarations import Check


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


@dataclass(frozen=True)
class Example:
    case: object
    choices: tuple | None        # None for the book's explicit examples (never shrunk)


# (id(check), max_examples) -> (check, examples); the check is kept so its id stays its own.
_STREAMS: dict[tuple, tuple] = {}
# (id(strategy), max_examples) -> (strategy, generated examples): checks that draw from one
# strategy object meet the same generated examples, so they are made once.
_GENERATED: dict[tuple, tuple] = {}


def stream(check: Check) -> list[Example]:
    """The check's examples, in hypothesis's order: the explicit ones, then the generated ones."""
    hs = hypothesis_settings(check.max_examples)
    key = (id(check), hs.max_examples)
    hit = _STREAMS.get(key)
    if hit is not None and hit[0] is check:
        return hit[1]
    gkey = (id(check.cases), hs.max_examples)
    made = _GENERATED.get(gkey)
    if made is None or made[0] is not check.cases:
        made = _GENERATED[gkey] = (check.cases, _generate(check.cases, hs))
    examples = [Example(case, None) for case in check.explicit] + made[1]
    _STREAMS[key] = (check, examples)
    return examples


def install(check: Check, examples: list[Example]) -> None:
    """Use ``examples`` (made by another process of this grader, see ``prepare``) for ``check``."""
    _STREAMS[(id(check), hypothesis_settings(check.max_examples).max_examples)] = (check, examples)


def _generate(strategy, hs: settings) -> list[Example]:
    # Hypothesis's generate phase, driven directly (the test body records and passes: the run is
    # the same whatever the student, and skips @given's per-example machinery); fixed seed:
    # derandomised. ``stream`` puts the book's explicit examples first, as @example would.
    out: list[Example] = []

    def record(data: ConjectureData) -> None:
        case = data.draw(strategy)
        out.append(Example(case, tuple(data.choices)))

    ConjectureRunner(record, settings=hs, random=Random(0)).run()
    return out


# No strategy of the kit draws from Python's ``random``, so unlike ``@given`` the functions below
# need not seed it; they draw through hypothesis's data alone.
_ORIGIN = InterestingOrigin.from_exception(AssertionError("the check fails"))


class NotReproduced(Exception):
    """The failing choices passed when run again (the student's code gives different answers)."""


def shrink(check: Check, choices: tuple, attempt, failures: tuple) -> tuple:
    """Shrink a failing example with hypothesis's shrinker; returns the smallest failing choices.

    ``attempt(case)`` raises one of ``failures`` when the student fails ``case``; anything else it
    raises (a lost worker, a forbidden call, the check's time budget) stops the search and
    propagates. Raises ``NotReproduced`` when ``choices`` do not fail again.
    """
    def test(data: ConjectureData) -> None:
        case = data.draw(check.cases)
        try:
            attempt(case)
        except failures:
            data.mark_interesting(_ORIGIN)

    hs = hypothesis_settings(check.max_examples)
    runner = ConjectureRunner(test, settings=hs, random=Random(0))
    # Shrinking interprets choices with hypothesis's own provider, as its run() does.
    runner._switch_to_hypothesis_provider = True
    with local_settings(hs):
        first = runner.new_conjecture_data(choices)
        try:
            runner.test_function(first)
        except RunIsComplete:
            pass
        if first.status != Status.INTERESTING:
            raise NotReproduced()
        try:
            runner.shrink_interesting_test_cases()
        except RunIsComplete:
            pass
    best = min(runner.interesting_test_cases.values(), key=lambda d: sort_key(d.nodes))
    return tuple(best.choices)


def case_from(check: Check, choices: tuple):
    """The case hypothesis draws from ``choices`` (the same draw ``shrink`` makes)."""
    return ConjectureData.for_choices(choices).draw(check.cases)

