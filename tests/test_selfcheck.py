"""``check(name, obj)`` in a notebook: plain float points, feedback on stdout, nothing on stderr,
and forbidden routines caught however they are reached."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import check


def corr2d_ok(X, K):
    h, w = K.shape
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()
                                     for j in range(X.shape[1] - w + 1)])
                        for i in range(X.shape[0] - h + 1)])


def corr2d_flipped(X, K):
    return corr2d_ok(X, K.flip(0, 1))


def test_correct_function_earns_full_points_as_a_plain_float(capsys):
    pts = check("corr2d", corr2d_ok)
    out = capsys.readouterr()
    # A float whose text form is the plain float's (what nbgrader parses), shown as a table in
    # JupyterLab (tests/test_student_kit.py: nbgrader's own reading of it).
    assert isinstance(pts, float) and pts == 10.0 and repr(pts) == "10.0"
    assert "corr2d: 10 / 10" in out.out and out.err == ""


def test_flipped_kernel_is_named_with_the_smallest_input(capsys):
    pts = check("corr2d", corr2d_flipped)
    out = capsys.readouterr().out
    # a flipped kernel is right where K is symmetric (a 1x1 kernel): only the value checks' parts
    # where it shows are lost, and the properties judged where the values are right hold
    assert 0 < pts < 10.0
    assert "flipped" in out
    assert "[FAIL] values (small integers)" in out
    assert "expected" in out and "got" in out


def test_stub_scores_zero_and_writes_nothing_to_stderr(capsys):
    def corr2d(X, K):
        raise NotImplementedError()
    assert check("corr2d", corr2d) == 0.0
    out = capsys.readouterr()
    assert out.err == "" and "NotImplementedError" in out.out


def _alias_conv(X, K):
    from torch.nn.functional import conv2d as helper
    return helper(X[None, None], K[None, None])[0, 0]


def _getattr_conv(X, K):
    return getattr(torch.nn.functional, "con" + "v2d")(X[None, None], K[None, None])[0, 0]


def _ops_conv(X, K):
    return torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1],
                                      False, [0, 0], 1)[0, 0]


def _c_conv(X, K):
    return torch._C._VariableFunctions.conv2d(X[None, None], K[None, None])[0, 0]


def _unfold(X, K):
    h, w = K.shape
    win = X.unfold(0, h, 1).unfold(1, w, 1)
    return (win * K).sum((-1, -2))


def _numpy(X, K):
    rows = [np.correlate(X[i].numpy(), K[0].numpy(), "valid") for i in range(X.shape[0])]
    return torch.tensor(np.array(rows), dtype=X.dtype)


def _swallowed(X, K):
    try:
        return F.conv2d(X[None, None], K[None, None])[0, 0]
    except BaseException:
        return corr2d_ok(X, K)


@pytest.mark.parametrize("fn, name", [
    (_alias_conv, "conv2d"), (_getattr_conv, "conv2d"), (_ops_conv, "convolution"),
    (_c_conv, "conv2d"), (_unfold, "unfold"), (_numpy, "numpy.correlate"), (_swallowed, "conv2d"),
])
def test_forbidden_routines_zero_the_exercise_and_are_named(fn, name, capsys):
    assert check("corr2d", fn) == 0.0
    out = capsys.readouterr().out
    assert "forbidden" in out and name in out


def test_fft_is_allowed_even_though_it_pads_inside():
    def corr2d(X, K):
        h, w = K.shape
        s = (X.shape[0], X.shape[1])
        Xf = torch.fft.rfft2(X.double(), s=s)
        Kf = torch.fft.rfft2(K.double().flip(0, 1), s=s)
        full = torch.fft.irfft2(Xf * Kf, s=s)
        return full[h - 1:, w - 1:].to(X.dtype)
    # Values may differ in the last bits for float64 near zero; what matters here: not forbidden.
    import io, contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        check("corr2d", corr2d)
    assert "forbidden" not in buf.getvalue()


RECORDER = r'''
import hashlib, sys, torch
sys.path.insert(0, sys.argv[1])
if len(sys.argv) > 2:
    sys.path.insert(0, sys.argv[2])
    import local_constants   # a "local" module full of constants, as a student's helper file is
from autograder import check
seen = hashlib.sha256()
def corr2d(X, K):
    seen.update(repr((X.dtype, X.tolist(), K.tolist())).encode())
    h, w = K.shape
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()
                                     for j in range(X.shape[1] - w + 1)])
                        for i in range(X.shape[0] - h + 1)])
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    pts = check("corr2d", corr2d)
print(pts, seen.hexdigest())
'''


def test_same_examples_whatever_local_modules_are_loaded(tmp_path):
    """Hypothesis mixes constants of loaded local modules into its draws; the kit pins that pool,
    so a student's extra files cannot change (or steer) the examples they are graded on."""
    import subprocess
    import sys
    from support import ROOT
    mod = tmp_path / "mods"
    mod.mkdir()
    (mod / "local_constants.py").write_text(
        "A = [123457, 987654321, 31337, 271828, 1618033, 0.123456789, 77.25, -2.875]\n")
    (tmp_path / "rec.py").write_text(RECORDER)
    runs = [subprocess.run([sys.executable, str(tmp_path / "rec.py"), str(ROOT), *extra],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600)
            for extra in ([], [str(mod)])]
    outs = [r.stdout.strip().splitlines()[-1] for r in runs]
    assert outs[0].startswith("10.0 ")
    assert outs[0] == outs[1]
