"""Prepare a class run once: every check's example stream and request plan, made in parallel.

Each grading process needs the same streams (``streams``) and plans (``prefetch``) for every
check of the assignments it grades: seconds of hypothesis generation and reference runs per
assignment. Rather than have every process make all of them, ``classroom`` asks its pool to make
one exercise's checks per task (``make``), gathers them into one bundle (``pack``), and hands the
bundle to every grading job; a process installs it once (``install``) and generates nothing itself.

The bundle only ever travels between the grader's own processes (the pool's pipes, never a file a
student's code could write), so pickle is safe here. Tensors are carried as numpy arrays, which
pickle far faster than torch tensors; what a tensor's layout was (contiguous, or the transposed
view the checks hand students) and whether it required grad come back with it.
"""
from __future__ import annotations

import hashlib
import pickle

import torch

from .. import assignments
from . import prefetch, streams


def check_keys(assignment_ids) -> list[tuple]:
    """(assignment, exercise, index) of every generated check of these assignments."""
    keys = []
    for aid in assignment_ids:
        for ex in assignments.get(aid).exercises:
            for i, c in enumerate(ex.checks):
                if c.cases is not None:
                    keys.append((aid, ex.name, i))
    return keys


def _check(key):
    aid, name, i = key
    return assignments.get(aid).exercise(name).checks[i]


def tasks(assignment_ids) -> list[list[tuple]]:
    """The checks grouped by exercise: one pool task each (an exercise's checks often draw from
    one strategy, whose examples ``streams`` then makes once)."""
    groups: dict = {}
    for key in check_keys(assignment_ids):
        groups.setdefault(key[:2], []).append(key)
    return list(groups.values())


def make(keys: list) -> bytes:
    """These checks' streams and plans, packed (runs in a pool process)."""
    out = {}
    for key in keys:
        check = _check(key)
        out[key] = (streams.stream(check), prefetch.plan(check, key[1], record=True))
    return pack(out)


class _PackedTensor:
    """A tensor on its way between processes."""
    __slots__ = ("array", "dtype", "transposed", "requires_grad")

    def __init__(self, t: torch.Tensor):
        self.requires_grad = t.requires_grad
        t = t.detach()
        self.transposed = t.dim() >= 2 and not t.is_contiguous() and t.transpose(-1, -2).is_contiguous()
        base = t.transpose(-1, -2) if self.transposed else t
        self.dtype = t.dtype
        self.array = base.contiguous().cpu().view(torch.int16).numpy() if t.dtype == torch.bfloat16 \
            else base.contiguous().cpu().numpy()

    def tensor(self) -> torch.Tensor:
        t = torch.from_numpy(self.array)
        if self.dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        if self.transposed:
            t = t.transpose(-1, -2)
        return t.requires_grad_(True) if self.requires_grad else t


def _walk(v, leaf):
    """``v`` rebuilt with ``leaf`` applied to everything that is not a container we know."""
    if isinstance(v, streams.Example):
        return streams.Example(_walk(v.case, leaf), v.choices)
    if isinstance(v, dict):
        return {k: _walk(x, leaf) for k, x in v.items()}
    if isinstance(v, list):
        return [_walk(x, leaf) for x in v]
    if isinstance(v, tuple):
        return tuple(_walk(x, leaf) for x in v)
    return leaf(v)


def _shared(make):
    # One stand-in per object, so a tensor shared by a case and its planned requests is still
    # one tensor on the other side (and compares by identity there).
    seen: dict = {}

    def leaf(v):
        if id(v) not in seen:
            seen[id(v)] = (v, make(v))
        return seen[id(v)][1]
    return leaf


def pack(bundle: dict) -> bytes:
    out = _shared(_PackedTensor)
    return pickle.dumps(_walk(bundle, lambda v: out(v) if isinstance(v, torch.Tensor) else v),
                        protocol=pickle.HIGHEST_PROTOCOL)


def unpack(blob: bytes) -> dict:
    back = _shared(_PackedTensor.tensor)
    return _walk(pickle.loads(blob), lambda v: back(v) if isinstance(v, _PackedTensor) else v)


def merge(parts) -> bytes:
    bundle = {}
    for blob in parts:
        bundle.update(pickle.loads(blob))
    return pickle.dumps(bundle, protocol=pickle.HIGHEST_PROTOCOL)


def digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


_INSTALLED: set = set()


def install(blob: bytes, blob_digest: str) -> None:
    """Make this process use the bundle's streams and plans (once per bundle)."""
    if blob_digest in _INSTALLED:
        return
    for key, (examples, plan) in unpack(blob).items():
        check = _check(key)
        streams.install(check, examples)
        prefetch.install(check, key[1], plan)
    _INSTALLED.add(blob_digest)
