"""Fair verdicts (SPEC section 2): correct FFT answers pass the error bound, one bug costs once,
and a grade does not depend on how busy the grading machine is."""
from __future__ import annotations

import dataclasses

import subprocess
import sys
import time

import pytest
import torch

from autograder.checks import oracle
from autograder.engine import runner
from autograder.cli import selfcheck
from autograder.checks import properties as P
from autograder.assignments import get
from autograder.core.declarations import Mismatch
from autograder.engine.grade import grade
from support import CORPUS, by_exercise, home

# The assignments holding the exercises these tests are about.
A_CC, A_PS, A_CH = home("corr2d"), home("corr2d_pad_stride"), home("corr2d_multi_in")

CC = CORPUS / A_CC
PS = CORPUS / A_PS


# ---- the error bound -------------------------------------------------------------------------

def _fft_corr2d(X, K):
    n_h, n_w = X.shape
    k_h, k_w = K.shape
    full = torch.fft.irfft2(torch.fft.rfft2(X) * torch.fft.rfft2(K.flip(0, 1), s=(n_h, n_w)),
                            s=(n_h, n_w))
    return full[k_h - 1:, k_w - 1:]


def test_an_fft_answer_passes_where_the_per_element_bound_alone_fails():
    # An image that is zero on its right half: there S is 0, but an FFT's rounding is spread
    # over the whole output.
    X = torch.zeros(12, 16, dtype=torch.float64)
    X[:, :6] = (10 * torch.arange(72, dtype=torch.float64).reshape(12, 6)) % 7 - 3
    K = torch.arange(9, dtype=torch.float64).reshape(3, 3) - 4
    got, want = _fft_corr2d(X, K), oracle.conv(X, K)
    S = oracle.conv(X, K, absolute=True)
    err = (got - want).abs()
    # The FFT's error on the exact zeros is real and above the old per-element bound ...
    assert bool((err > 8 * oracle.eps(torch.float64) * S + oracle.eps(torch.float64)).any())
    # ... and within SPEC's, which adds M = max conv(|X|, |K|).
    P.require_close(got, want, S, torch.float64, "ctx")


def test_float32_arithmetic_on_float64_inputs_is_still_caught_and_explained():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(7, 9, dtype=torch.float64, generator=g) * 20 - 10
    K = torch.rand(3, 3, dtype=torch.float64, generator=g) * 20 - 10
    got = oracle.conv(X.float(), K.float()).float().double()     # float32 arithmetic
    with pytest.raises(Mismatch) as e:
        P.require_close(got, oracle.conv(X, K), oracle.conv(X, K, absolute=True), torch.float64,
                        "ctx")
    msg = str(e.value)
    assert "computed in float32" in msg
    # enough digits to see the difference, and the difference itself with the allowed error
    assert "they differ by" in msg and "the allowed error is" in msg
    first = msg.split("expected ")[1].split(", got ")
    assert first[0] != first[1].split(";")[0]


def test_a_strided_output_allows_the_error_of_the_stride_one_output_it_is_cut_from():
    X = torch.tensor([[2.0]], dtype=torch.float64)
    K = torch.tensor([[4.0]], dtype=torch.float64)
    S, M = oracle.scale(X, K, padding=(0, 1), stride=(1, 2))
    assert float(S.max()) == 0 and float(M) == 8      # the kept windows cover only padding
    tol = P.tolerance((S, M), torch.float64)
    assert float(tol.min()) == pytest.approx(8 * oracle.eps(torch.float64) * 8
                                             + oracle.eps(torch.float64))


# ---- one bug costs once ----------------------------------------------------------------------

@pytest.mark.parametrize("isolation", ["none", "sandbox"])
def test_a_flipped_corr2d_costs_points_only_under_corr2d(isolation):
    if isolation == "sandbox":
        from autograder.sandbox import isolation as iso
        if iso.bwrap_path() is None:
            pytest.skip("bubblewrap is not installed: apt-get install bubblewrap")
    res = grade(CC / "bug_flipped_kernel.py", A_CC, isolation=isolation)
    ex = by_exercise(res)
    assert ex["corr2d"]["score"] < ex["corr2d"]["max"]
    assert ex["Conv2D"]["score"] == ex["Conv2D"]["max"]
    assert ex["learn_kernel"]["score"] == ex["learn_kernel"]["max"]
    assert "Your `Conv2D` is right" in res["output"]
    assert "costs points only under `corr2d`" in res["output"]


def test_a_per_side_padding_bug_costs_points_only_under_pad2d():
    res = grade(PS / "bug_pad_total.py", A_PS, isolation="none")
    ex = by_exercise(res)
    # right only without padding: that part and the properties judged there keep their points
    assert 0 < ex["pad2d"]["score"] < ex["pad2d"]["max"]
    assert all(c.startswith("values \u2014 ") for c, _ in ex["pad2d"]["failed"])
    assert ex["corr2d_pad_stride"]["score"] == ex["corr2d_pad_stride"]["max"] == 12
    assert "Your `corr2d_pad_stride` is right" in res["output"]


def test_a_wrong_layer_on_a_right_corr2d_loses_its_own_points():
    res = grade(CC / "bug_conv2d_forward_ignores_bias.py", A_CC, isolation="none")
    ex = by_exercise(res)
    assert ex["corr2d"]["score"] == ex["corr2d"]["max"]
    assert ex["Conv2D"]["score"] < ex["Conv2D"]["max"]
    assert "book's `corr2d`" not in (res.get("output") or "")   # nothing to inherit


def test_a_layer_that_undoes_a_flipped_corr2d_loses_its_own_points():
    res = grade(CC / "bug_conv2d_compensates_flip.py", A_CC, isolation="none")
    ex = by_exercise(res)
    assert ex["corr2d"]["score"] < ex["corr2d"]["max"]
    assert ex["Conv2D"]["score"] < ex["Conv2D"]["max"]
    assert ex["learn_kernel"]["score"] == ex["learn_kernel"]["max"]
    text = "\n".join(o for _, o in ex["Conv2D"]["failed"])
    assert "what fails here is `Conv2D`'s own" in text
    assert "weight flipped" in text                   # the hint names what the layer does


def test_the_notebook_check_uses_the_book_helper_and_gives_the_students_back(capsys):
    ns: dict = {"__name__": "__main__"}
    exec(compile((CC / "bug_flipped_kernel.py").read_text(), "<notebook>", "exec"), ns)
    mine = ns["corr2d"]
    points = selfcheck.check("Conv2D", ns["Conv2D"])
    assert points == get(A_CC).exercise("Conv2D").points
    assert ns["corr2d"] is mine                       # the student's own is back
    assert "checked with the book's corr2d in place of yours" in capsys.readouterr().out
    assert selfcheck.check("corr2d", ns["corr2d"]) < get(A_CC).exercise("corr2d").points


# ---- verdicts independent of machine load ----------------------------------------------------

def _strip_timings(results: dict) -> dict:
    """results.json less the fields that measure the machine rather than the submission."""
    out = dict(results)
    out.pop("execution_time", None)
    out.pop("extra_data", None)
    return out


def test_the_shrink_budget_is_counted_in_calls_not_seconds(monkeypatch):
    monkeypatch.setattr(runner, "LIMITS", dataclasses.replace(runner.LIMITS, check_attempts=1))
    a = grade(CC / "bug_flipped_kernel.py", A_CC, isolation="none")
    b = grade(CC / "bug_flipped_kernel.py", A_CC, isolation="none")
    assert _strip_timings(a) == _strip_timings(b)
    assert any("the search ran out of its budget" in t["output"] for t in a["tests"])


LOADED = [(CC / "bug_flipped_kernel.py", A_CC),
          (CC / "ok_fft.py", A_CC),
          (PS / "bug_cps_stride_one_axis.py", A_PS)]


# Runs two busy loops beside the grader: only in `make test`, not in the edit-run loop.
@pytest.mark.slow
def test_a_loaded_machine_gives_identical_results():
    """The same submissions graded with the machine idle and with two busy loops beside the
    grader (as many as CI's cores): identical results.json, timings aside."""
    from autograder.sandbox import isolation as iso
    mode = "sandbox" if iso.bwrap_path() else "process"
    idle = [_strip_timings(grade(p, a, isolation=mode)) for p, a in LOADED]
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)
        assert all(h.poll() is None for h in hogs)
        busy = [_strip_timings(grade(p, a, isolation=mode)) for p, a in LOADED]
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    for (p, _), x, y in zip(LOADED, idle, busy):
        assert x == y, f"{p.name} graded differently on a loaded machine"
    assert idle[0]["score"] < idle[0]["max_score"] and idle[1]["score"] == idle[1]["max_score"]


def test_the_contract_lists_what_builds_on_what_and_the_points_as_declared():
    import re
    from autograder.assignments import all_assignments
    text = (CC.parents[2] / "docs" / "CONTRACT.md").read_text()
    declared = {e.name: {d.name for d in e.builds_on}
                for a in all_assignments().values() for e in a.exercises if e.builds_on}
    listed = {}
    for row in re.findall(r"^\| `(\w+)`\s*\| (.+?) \|$", text, re.M):
        listed[row[0]] = set(re.findall(r"`(\w+)`", row[1]))
    assert listed == declared
    points = {(a, e): float(p) for a, e, p in
              re.findall(r"^\| (\w+)\s*\| (\w+)\s*\| (\d+)\s*\|$", text, re.M)}
    assert points == {(a.id, e.name): e.points for a in all_assignments().values()
                      for e in a.exercises}


# ---- credit in proportion to what a bug breaks ---------------------------------------------------

A_POOL = home("pool2d_pad_stride")


@pytest.mark.parametrize("name", ["bug_exclude_pad.py", "bug_zero_padding_max.py",
                                  "bug_stride_swapped.py"])
def test_a_bug_that_shows_with_one_feature_costs_only_that_part(name):
    """Wrong only for avg with padding, max with padding, or a stride pair: the parts without
    that feature pass, and the properties are judged where the values are right (a zero-padded
    max can still route a gradient into the padding where its value is right: that fails)."""
    res = grade(CORPUS / A_POOL / name, A_POOL, isolation="none")
    ex = by_exercise(res)["pool2d_pad_stride"]
    assert 0.4 * ex["max"] <= ex["score"] < ex["max"]
    failed = {check for check, _ in ex["failed"]}
    assert not failed & {"dtype and device", "inputs untouched"}
    assert any(check.startswith("values (small integers) \u2014 ") for check in failed)
    passed = [t["tags"][1] for t in res["tests"]
              if t["tags"][0] == "pool2d_pad_stride" and t["status"] == "passed"]
    assert any(check.startswith("values (small integers) \u2014 ") for check in passed)


def test_every_split_check_keeps_its_points_and_each_exercise_its_total():
    from autograder.assignments import all_assignments
    for a in all_assignments().values():
        for e in a.exercises:
            rows = [p for c in e.checks for p in runner.parts(e, c)]
            assert round(sum(p.points for p in rows), 4) == e.points, e.name
            for c in e.checks:
                parts = runner.parts(e, c)
                assert round(sum(p.points for p in parts), 4) == c.points, (e.name, c.name)
                if c.split and e.partition:
                    # one stream, each example in exactly one part
                    labels = [p.label for p in parts]
                    assert len(set(labels)) == len(labels) and None not in labels


def test_parts_follow_the_stream_a_check_is_graded_on(monkeypatch):
    """A process can meet a check with more than one stream (a bundle from ``prepare``; a shorter
    one): the parts are those of the stream being graded, so an honest answer graded on a shorter
    stream, after the full one was scored in the same process, earns every point (it once lost
    the parts only the full stream reached: "none of this part's inputs was tried")."""
    from autograder.engine import streams
    path = CORPUS / A_POOL / "ok_book.py"
    e = get(A_POOL).exercise("pool2d_pad_stride")
    split = next(c for c in e.checks if c.split and c.cases is not None)
    full = runner.parts(e, split)
    original = streams.hypothesis_settings
    monkeypatch.setattr(streams, "hypothesis_settings", lambda n: original(min(n, 4)))
    short = runner.parts(e, split)
    reached = {runner.part_of(e, x.case) for x in streams.stream(split)}
    assert [p.index for p in short] == sorted(reached) and len(short) < len(full)
    ex = by_exercise(grade(path, A_POOL, isolation="none"))["pool2d_pad_stride"]
    assert ex["score"] == ex["max"], ex["failed"]


def test_parts_are_features_one_at_a_time_or_combined():
    from autograder.core.declarations import Exercise
    e = Exercise("f", "t", (), partition=(("a", lambda c: c["a"]), ("b", lambda c: c["b"])))
    assert [runner.part_of(e, {"a": a, "b": b}) for a, b in
            ((0, 0), (1, 0), (0, 1), (1, 1))] == [0, 1, 2, 3]


def _training_check(source: str):
    from autograder.sandbox.student import InProcess, Student
    from autograder.worker.execute import load_source
    a = get(home("train_lenet"))
    check = next(c for c in a.exercise("train_lenet").checks
                 if c.name == "minibatch SGD on cross-entropy")
    student = Student(InProcess(load_source([("s.py", source)])))
    ex = a.exercise("train_lenet")
    student.lend_book(ex.name, ex.trusted())            # as ``runner.run_exercise`` sets it up
    student.forbid(ex.name, ex.forbidden)
    student.cpu_s = check.cpu_s
    return check, student


def test_per_batch_averaged_losses_lose_the_training_check():
    src = (CORPUS / home("train_lenet") / "bug_loss_batch_mean.py").read_text()
    check, student = _training_check(src)
    case = check.explicit[1]
    assert len({len(y) for _, y in case["_train"]}) > 1          # unequal batches
    with pytest.raises(Mismatch) as e:
        check.verify(student, case)
    assert "averaged over the examples of the epoch, not over the batches" in str(e.value)


@pytest.mark.parametrize("call", ["net.eval()", "net.train()", "pass"])
def test_the_net_s_mode_is_not_graded(call):
    """CONTRACT: evaluate_accuracy may leave the net in eval mode (the book's does) and
    train_lenet need not call net.train() (the kit's LeNet has no layer whose values depend on
    the mode): a run in either mode is the same run."""
    src = (CORPUS / home("train_lenet") / "ok_book.py").read_text()
    assert "        net.train()\n" in src
    check, student = _training_check(src.replace("        net.train()\n", f"        {call}\n"))
    for case in check.explicit:
        check.verify(student, case)
