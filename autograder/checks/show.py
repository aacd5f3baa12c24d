"""How inputs and results are written in a student's feedback: short, exact, readable."""
from __future__ import annotations

import torch

MAX_SHOWN = 64


def tensor(t) -> str:
    if not isinstance(t, torch.Tensor):
        return repr(t)
    t = t.detach().cpu()
    meta = f"{tuple(t.shape)}, {str(t.dtype).replace('torch.', '')}"
    if t.numel() > MAX_SHOWN:
        flat = t.reshape(-1)[:6].tolist()
        return f"<{meta}> starting " + ", ".join(_num(x) for x in flat) + ", ..."
    if t.is_floating_point() and bool(torch.isfinite(t).all()) and bool((t == t.round()).all()):
        body = str(t.to(torch.int64).tolist())
    else:
        body = str(_round(t.tolist()))
    return f"{body}  <{meta}>"


def _round(v):
    if isinstance(v, list):
        return [_round(x) for x in v]
    return float(f"{v:.6g}") if isinstance(v, float) else v


def _num(x):
    return str(int(x)) if isinstance(x, float) and x == int(x) else f"{x:.6g}"


def case(c: dict) -> str:
    lines = []
    for k, v in c.items():
        if k.startswith("_"):
            continue
        if isinstance(v, torch.Tensor):
            contiguous = "" if v.is_contiguous() else "  (a non-contiguous view)"
            lines.append(f"{k} = {tensor(v)}{contiguous}")
        else:
            lines.append(f"{k} = {v!r}")
    return "\n".join(lines)


def indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line for line in str(text).splitlines())


class Lazy:
    """A message built only if it is shown: rendering inputs for every passing example would cost
    more than comparing them."""

    def __init__(self, build):
        self.build = build

    def __str__(self) -> str:
        return self.build()

    def __format__(self, spec) -> str:
        return format(str(self), spec)

    def __add__(self, other) -> "Lazy":
        return Lazy(lambda: str(self) + str(other))
