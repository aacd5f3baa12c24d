"""Example streams and prefetched replays: the fast path grades exactly as the slow one would.

- every generated check meets at least 50 generated examples, the same for every student;
- the choices kept with each example redraw that very example (so shrinking starts from it);
- a failure is shrunk by hypothesis to the small input a student can read;
- grading with the prefetched, pipelined replay gives the same results.json as example by example,
  for correct, buggy, stateful and hanging submissions;
- the pipeline itself: replies in order, a hang raises at its own request, leaving early ends the
  worker and the next request gets a fresh one.
"""
from __future__ import annotations

import json

import pytest
import torch

from autograder.sandbox import isolation
from autograder.engine import prefetch, prepare, runner, streams
from autograder.assignments import all_assignments, get
from autograder.core.declarations import Mismatch
from autograder.engine.grade import grade
from autograder.core.outcomes import StudentRaised, WorkerHung
from autograder.sandbox.student import InProcess, Student
from autograder.worker import wire
from autograder.worker.execute import load_source
from support import CORPUS, home

# The assignments holding the exercises these tests are about.
A_CC, A_PS, A_CH = home("corr2d"), home("corr2d_pad_stride"), home("corr2d_multi_in")

@pytest.fixture(autouse=True)
def plans_on(monkeypatch):
    """Plans are made in class runs (``classroom`` turns them on); these tests make them too,
    in a cache of their own, so no plan recorded here reaches a later test's grading."""
    monkeypatch.setattr(prefetch, "RECORD_PLANS", True)
    monkeypatch.setattr(prefetch, "_PLANS", {})


GENERATED = [(a.id, e.name, c) for a in map(get, all_assignments()) for e in a.exercises for c in e.checks
             if c.cases is not None]


def _same_case(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.stride() == b.stride() and bool(torch.equal(a, b)))
    if isinstance(a, dict):     # "_" keys are oracle answers cached on the case (properties.memo)
        pa, pb = ({k: v for k, v in d.items() if not str(k).startswith("_")} for d in (a, b))
        return isinstance(b, dict) and pa.keys() == pb.keys() and all(_same_case(pa[k], pb[k]) for k in pa)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_case, a, b))
    return a == b


@pytest.mark.parametrize("aid,name,check", GENERATED, ids=lambda v: v if isinstance(v, str) else v.name)
def test_stream_has_fifty_generated_examples_that_redraw_from_their_choices(aid, name, check):
    assert check.max_examples >= 50
    examples = streams.stream(check)
    generated = [e for e in examples if e.choices is not None]
    assert [e.choices is None for e in examples] == \
        [True] * len(check.explicit) + [False] * len(generated)
    assert len(generated) >= 50, f"{aid}/{name}/{check.name}: {len(generated)} examples"
    for e in generated:
        assert _same_case(streams.case_from(check, e.choices), e.case)
    assert streams.stream(check) is examples        # generated once per process


def test_stream_does_not_depend_on_what_is_loaded():
    """Another process, with other modules imported, generates the same examples."""
    import subprocess
    import sys
    code = ("import json, sys\nimport numpy, email, decimal\n"
            "from autograder.engine import streams\nfrom autograder.assignments import get\n"
            f"c = get('{A_CC}').exercise('corr2d').checks[2]\n"
            "print(json.dumps([list(e.choices) for e in streams.stream(c) if e.choices]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    check = get(A_CC).exercise("corr2d").checks[2]
    assert json.loads(out.stdout) == [list(e.choices) for e in streams.stream(check) if e.choices]


def test_a_failure_shrinks_to_the_smallest_input():
    src = (CORPUS / A_CC / "bug_flipped_kernel.py").read_text()
    student = Student(InProcess(load_source([("flipped.py", src)])))
    check = next(c for c in get(A_CC).exercise("corr2d").checks
                 if c.name == "values (small integers)")

    def attempt(case):
        check.verify(student, case)
    [v] = runner.run_check(check, student, "corr2d")
    ok, message = v.passed, v.message
    assert not ok
    assert "X = [[0, 1]]" in message and "K = [[0, 1]]" in message, message
    passing = next(e for e in streams.stream(check) if e.choices and not _fails(attempt, e.case))
    with pytest.raises(streams.NotReproduced):
        streams.shrink(check, passing.choices, attempt, (Mismatch, StudentRaised))


def _fails(attempt, case) -> bool:
    try:
        attempt(case)
    except (Mismatch, StudentRaised):
        return True
    return False


SAMPLES = [(A_CC, "ok_double_loop"), (A_CC, "bug_flipped_kernel"),
           (A_CC, "bug_memo_by_shape"), (A_CC, "bug_conv2d_cached_weight"),
           (A_CC, "bug_learn_not_detached"), (A_PS, "bug_cos_returns_list"),
           (A_PS, "bug_pad_mutates_input"), (A_CH, "bug_mio_memo"),
           (A_CH, "bug_1x1_pixel_loop")]


@pytest.mark.parametrize("aid,stem", SAMPLES, ids=[s for _, s in SAMPLES])
def test_prefetched_replay_grades_exactly_as_the_live_one(aid, stem, monkeypatch):
    path = CORPUS / aid / f"{stem}.py"
    fast = grade(path, aid, isolation="process")
    with monkeypatch.context() as m:
        m.setattr(prefetch, "start", lambda *a, **k: None)
        slow = grade(path, aid, isolation="process")
    # What the code called (the instructor's "Unusual operations") includes what it called in
    # the prefetched replies, those the replay read past included.
    assert fast["extra_data"]["called"] == slow["extra_data"]["called"]
    for r in (fast, slow):
        r.pop("execution_time")
        r.pop("extra_data")
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)


def test_every_check_has_a_plan_from_the_reference():
    for aid, name, check in GENERATED:
        p = prefetch.plan(check, name)
        assert p is not None and len(p) == len(streams.stream(check)), f"{aid}/{check.name}"
        assert all(r["name"] == name for reqs in p for r, _ in reqs)


def test_a_diverging_request_is_refused():
    check = get(A_CC).exercise("corr2d").checks[2]
    p = prefetch.plan(check, "corr2d")
    # A planned request whose X is a proper matrix (so a transposed layout is a different one).
    planned = next(r for reqs in p for r, _ in reqs if min(r["args"][0].shape) > 1)
    X, K = planned["args"][0], planned["args"][1]
    copy = dict(planned, args=[X.clone(), K.clone()])
    assert prefetch.same(copy, planned)                      # equal values, not the same objects
    assert not prefetch.same(dict(planned, args=[X.clone(), K + 1]), planned)
    assert not prefetch.same(dict(planned, args=[X.t().contiguous().t(), K.clone()]), planned)
    assert not prefetch.same(dict(planned, args=[X.float(), K.clone()]), planned)
    assert not prefetch.same(dict(planned, name="corr2d_multi_in"), planned)


PIPE_CELLS = [("p.py", "import time\ndef f(x):\n    if x.item() == 3:\n        while True:\n"
                       "            time.sleep(0.05)\n    return x * 2\n")]


def _msgs(values):
    return [wire.encode({"op": "call", "name": "f", "args": [torch.tensor(float(v))], "kwargs": {},
                         "device": "cpu", "grad": None, "return_inputs": False}) for v in values]


def test_pipeline_answers_in_order_and_a_hang_raises_at_its_own_request():
    t = isolation.open_worker(PIPE_CELLS, sandboxed=False, call_timeout=1.0)
    try:
        got = [r["value"].item() for r in t.pipeline(_msgs(range(3)), "f")]
        assert got == [0.0, 2.0, 4.0]
        feed = t.pipeline(_msgs([1, 2, 3, 4]), "f")
        assert [next(feed)["value"].item() for _ in range(2)] == [2.0, 4.0]
        with pytest.raises(WorkerHung):
            next(feed)
        # The hung worker is gone; the next request gets a fresh one.
        reply = t.request({"op": "call", "name": "f", "args": [torch.tensor(5.0)], "kwargs": {},
                           "device": "cpu", "grad": None, "return_inputs": False})
        assert reply["value"].item() == 10.0
        # Leaving a pipeline early ends its worker: no stale reply answers the next request.
        started = t.workers_started
        feed = t.pipeline(_msgs(range(200)), "f")
        next(feed)
        feed.close()
        reply = t.request({"op": "call", "name": "f", "args": [torch.tensor(7.0)], "kwargs": {},
                           "device": "cpu", "grad": None, "return_inputs": False})
        assert reply["value"].item() == 14.0 and t.workers_started == started + 1
    finally:
        t.close()


def test_a_prepared_bundle_crosses_processes_intact():
    """What ``prepare`` packs in one process comes back equal, layouts and flags included."""
    key = prepare.check_keys([A_CC])[2]
    check = prepare._check(key)
    X = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).t().contiguous().t()
    G = torch.ones(2, dtype=torch.float32, requires_grad=True)
    blob = prepare.pack({key: ([streams.Example({"X": X, "d": torch.float32, "t": (1, (2, 3))}, (1, 2))],
                               [[({"args": [G]}, b"raw")]])})
    [(k, (examples, plan))] = prepare.unpack(blob).items()
    case = examples[0].case
    assert k == key and examples[0].choices == (1, 2) and case["d"] is torch.float32
    assert case["t"] == (1, (2, 3)) and torch.equal(case["X"], X) and case["X"].stride() == X.stride()
    assert plan[0][0][1] == b"raw" and plan[0][0][0]["args"][0].requires_grad
    # Installing a bundle replaces what this process would generate.
    made = prepare.make([key])
    prepare.install(prepare.merge([made]), "test-digest")
    assert len(streams.stream(check)) == len(prepare.unpack(made)[key][0])


def test_pipeline_with_large_replies_does_not_stall():
    """A worker blocked writing a large reply is never waiting on a grader blocked writing: many
    small requests in flight behind one large reply must all be answered."""
    cells = [("big.py", "import torch\ndef f(x):\n    return torch.zeros(1 << 22) if x.item() == 0 "
                        "else x * 2\n")]
    t = isolation.open_worker(cells, sandboxed=False, call_timeout=3.0)
    try:
        # A stall would end in WorkerHung, blaming the student's code.
        replies = list(t.pipeline(_msgs(range(500)), "f"))
        assert replies[0]["value"].shape == (1 << 22,)
        assert [r["value"].item() for r in replies[1:]] == [2.0 * i for i in range(1, 500)]
    finally:
        t.close()
