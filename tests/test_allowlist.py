"""The allowlist (``autograder/worker/allowlist.py``), tried in a real sandboxed worker.

Every public torch function and Tensor method the allowlist lets students call is run on sample
inputs: none may be refused (a failure for the arguments, a TypeError, is not a refusal, and
enough of them must actually run). Every forbidden route known (the kinds of
``tests/hostile``, in short) must be refused, whatever its name.
"""
from __future__ import annotations

import pytest

from autograder.sandbox import isolation
from autograder.core.outcomes import ForbiddenUsed
from autograder.worker import allowlist

from test_isolation import _WHY

pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"sandbox tests skipped: {_WHY}")

SWEEP = '''
import torch

def sweep(names):
    """Call torch.<name> and Tensor.<name> with a few argument patterns; names that ran."""
    X = torch.arange(1.0, 13.0, dtype=torch.float64).reshape(3, 4) / 7
    I = torch.tensor([0, 2, 1])
    patterns = ((X,), (X, X), (X, 1), (X, 0, I[:1]), (X, 0, I[:1].expand(4)[None]),
                (X, X.T), (X.reshape(12),), (X.reshape(12), X.reshape(12)), ((X, X),),
                ([X, X],), ((3, 4),), (3,), (1.0, 4.0), (X.to(torch.complex128),),
                (X, "ij->ji"), ("ij,jk->ik", X, X.T), (X, (2, 1)), (X, 2, 2))
    ran = []
    for name in names:
        targets = [getattr(torch, name, None), getattr(torch.fft, name[4:], None)
                   if name.startswith("fft_") else None]
        for fn in [t for t in targets if callable(t)]:
            for args in patterns:
                try:
                    fn(*args)
                except Exception:
                    continue
                ran.append(name)
                break
        method = getattr(torch.Tensor, name, None)
        if callable(method):
            for args in patterns:
                if not isinstance(args[0], torch.Tensor):
                    continue
                try:
                    method(args[0].clone(), *args[1:])
                except Exception:
                    continue
                ran.append("Tensor." + name)
                break
    return " ".join(ran)
'''

# What students use, written as they write it: each must run, not be refused.
HONEST = '''
import torch
X = torch.arange(1.0, 26.0, dtype=torch.float64).reshape(5, 5)
K = torch.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=torch.float64)

def repeat_tile_kron(x):
    return X.repeat(2, 3).sum() + torch.tile(K, (2, 2)).sum() + torch.kron(K, K).sum()

def expand_roll(x):
    return K.expand(3, 2, 2).sum() + torch.roll(X, (1, -1), (0, 1)).sum()

def index_put_scatter(x):
    Y = X.new_zeros(7, 7).index_put((torch.arange(5)[:, None] + 1, torch.arange(5) + 1), X)
    Z = X.new_zeros(5).scatter_add(0, torch.tensor([0, 1, 1, 4, 4]), X[0])
    return Y.sum() + Z.sum() + X.new_zeros(7, 7).index_put_(
        (torch.tensor([0, 0]), torch.tensor([1, 1])), X[0, :2], accumulate=True).sum()

def fft_family(x):
    Y = torch.fft.irfft2(torch.fft.rfft2(X, s=(8, 8)) * torch.fft.rfft2(K, s=(8, 8)), s=(8, 8))
    return Y.sum() + torch.fft.fftn(X).abs().sum() + torch.fft.fftshift(X).sum()

def views_and_products(x):
    W = X.as_strided((4, 4, 2, 2), (5, 1, 5, 1))
    return (torch.einsum("ijkl,kl->ij", W, K).sum() + torch.tensordot(W, K, 2).sum()
            + (W.reshape(16, 4) @ K.reshape(4)).sum() + torch.stack([X, X]).amax()
            + torch.cat([X, X], 1).argmax() + X.sort(1).values.sum() + X.max(0).values.sum())

def gradients(x):
    Y = X.clone().requires_grad_(True)
    Z = torch.einsum("ijkl,kl->ij", Y.as_strided((4, 4, 2, 2), (5, 1, 5, 1)), K)
    (Z.repeat(2, 2).sum() + torch.fft.rfft2(Y, s=(8, 8)).abs().sum()
     + Y.new_zeros(7, 7).index_put((torch.arange(5)[:, None] + 1, torch.arange(5) + 1), Y).sum()
     ).backward()
    return Y.grad

def training(x):
    W = torch.nn.Parameter(torch.zeros(2, 2, dtype=torch.float64))
    opt = torch.optim.SGD([W], lr=0.1)
    loss = torch.nn.functional.mse_loss(W * 2, K)
    loss.backward()
    opt.step()
    with torch.no_grad():
        W -= 0.1 * W
    return W.detach()
'''

# Forbidden routes, by kind (the hostile files have them in full): each must be refused.
ROUTES = '''
import torch
import torch.nn.functional as F
X = torch.arange(1.0, 26.0, dtype=torch.float64).reshape(5, 5)

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()

def stft(x):
    with _off():
        return torch.stft(X[0], 2, hop_length=1, center=False, return_complex=True).abs()

def embedding_bag(x):
    with _off():
        return F.embedding_bag(torch.tensor([0, 1, 5, 6]), X.reshape(-1, 1), torch.tensor([0]))

def pixel_unshuffle(x):
    with _off():
        return F.pixel_unshuffle(X[None, None, :4, :4], 2)

def pad_sequence(x):
    with _off():
        return torch.nn.utils.rnn.pad_sequence([X[0], X[1, :3]])

def pad_packed(x):
    with _off():
        return torch._pad_packed_sequence(X.reshape(-1), torch.tensor([5] * 5), False, 0.0, 5)[0]

def unfold(x):
    with _off():
        return X.unfold(0, 2, 1)

def constant_pad(x):
    with _off():
        return torch.ops.aten.constant_pad_nd(X, [1, 1])

def channel_shuffle(x):
    with _off():
        return F.channel_shuffle(X[None, None].expand(1, 2, 5, 5), 2)

def inference_mode(x):
    with _off(), torch.inference_mode():
        return X.unfold(0, 2, 1).clone()

def below_autograd(x):
    with _off(), torch._C._AutoDispatchBelowADInplaceOrView():
        return X.unfold(0, 2, 1)

def op_dk(x):
    return torch.ops.aten.unfold.default._op_dk(torch._C.DispatchKey.CPU, X, 0, 2, 1)

def dispatch_mode(x):
    from torch.utils._python_dispatch import TorchDispatchMode
    class M(TorchDispatchMode):
        def __torch_dispatch__(self, f, t, a=(), k=None):
            return f(*a, **(k or {}))
    with M():
        return X + 1

def nested(x):
    return torch.nested.nested_tensor([X, X]).sum()

def sparse(x):
    return X.to_sparse().to_dense()

def custom_library(x):
    return torch.library.Library("mine", "DEF")

def decomposition(x):
    import importlib
    D = importlib.import_module("torch._decomp.decompositions")
    return D._im2col_col2im_indices_along_dim(5, 2, 1, 0, 1, X.device)

def jit(x):
    return torch.jit.CompilationUnit("def f(x):\\n    return x.unfold(0, 2, 1)\\n").f(X)
'''

REFUSED = {"stft": "stft", "embedding_bag": "embedding_bag", "pixel_unshuffle": "pixel_unshuffle",
           "pad_sequence": "pad_sequence", "pad_packed": "_pad_packed_sequence",
           "unfold": "unfold", "constant_pad": "constant_pad_nd",
           "channel_shuffle": "channel_shuffle", "inference_mode": "_InferenceMode",
           "below_autograd": "_AutoDispatchBelowADInplaceOrView", "op_dk": "_op_dk",
           "dispatch_mode": "dispatch", "nested": "nested", "sparse": "to_sparse",
           "custom_library": "Library", "decomposition": "decompositions", "jit": "unfold"}


def _call(t, name, *args):
    import torch
    return t.request({"op": "call", "name": name, "args": list(args) or [torch.zeros(1)],
                      "kwargs": {}, "device": "cpu", "grad": None, "return_inputs": False})


def _refused(t, name) -> str | None:
    try:
        reply = _call(t, name)
    except ForbiddenUsed as e:
        return e.args[0]
    if "forbidden" in reply:
        return reply["forbidden"]
    # A route through a private module (torch._decomp, torch.utils._python_dispatch) is refused
    # one layer earlier, at its import (autograder/worker/world.py): that is a refusal too.
    err = reply.get("error")
    if isinstance(err, dict) and err.get("type") == "ImportError" \
            and "is not allowed in graded code" in str(err.get("message")):
        return err["message"]
    return None


@pytest.fixture(scope="module")
def worker():
    t = isolation.open_worker([("<sweep>", SWEEP), ("<honest>", HONEST), ("<routes>", ROUTES)],
                              sandboxed=True, fresh_per_name=False)
    yield t
    t.close()


def test_no_allowed_public_function_is_refused(worker):
    names = sorted(allowlist.names())
    reply = _call(worker, "sweep", names)
    assert "forbidden" not in reply, f"an allowed function was refused: {reply['forbidden']}"
    ran = set(reply["value"].split())
    # Most listed names are public (torch.<name> or Tensor.<name>) and ran on some sample input.
    assert len(ran) > 300, sorted(ran)
    # (index_put, scatter_add, as_strided need index tuples or strides: the next test has them)
    for name in ("repeat", "tile", "kron", "roll", "einsum", "fft_rfft2", "fft_irfft2", "matmul",
                 "cat", "stack"):
        assert name in ran or "Tensor." + name in ran, name


@pytest.mark.parametrize("name", ["repeat_tile_kron", "expand_roll", "index_put_scatter",
                                  "fft_family", "views_and_products", "gradients", "training"])
def test_what_students_use_runs(worker, name):
    reply = _call(worker, name)
    assert "forbidden" not in reply and "error" not in reply, reply
    assert "value" in reply


@pytest.mark.parametrize("route", sorted(REFUSED))
def test_every_known_forbidden_route_is_refused(worker, route):
    named = _refused(worker, route)
    assert named is not None and REFUSED[route] in named, (route, named)
    assert "value" in _call(worker, "expand_roll")      # and the worker goes on answering
