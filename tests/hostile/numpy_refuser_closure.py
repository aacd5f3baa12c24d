# Hostile submission for tests/test_isolation.py: reads numpy's refuser (numpy.correlate) for the C correlation it replaced: its closure cells, defaults, kwdefaults, attributes, and its __globals__ down to every loaded module; uses the first correlate/correlate2 builtin found, row by row.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
# zeroed: forbidden
import types

import torch
from torch import nn
import torch.nn.functional as F

import numpy as np


def _original():
    todo, seen = [np.correlate, np.convolve], set()
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, types.BuiltinFunctionType):
            if f.__name__ in ("correlate2", "correlate") and "numpy" in repr(f.__self__):
                return f
            continue
        if isinstance(f, types.FunctionType):
            todo += [c.cell_contents for c in (f.__closure__ or ())]
            todo += list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
            todo += list(vars(f).values())
            sys_ = f.__globals__.get("sys")
            if sys_ is not None:
                todo += [m for n, m in list(sys_.modules.items()) if n.startswith("numpy")]
        elif isinstance(f, types.ModuleType):
            todo += [v for v in list(vars(f).values())
                     if isinstance(v, (types.BuiltinFunctionType, types.FunctionType))]
        elif isinstance(f, (list, tuple)):
            todo += list(f)
    return None


def corr2d(X, K):
    c = _original() or (lambda a, v, mode: np.correlate(a, v, "valid"))
    x, k = X.detach().numpy(), K.detach().numpy()
    rows = []
    for i in range(x.shape[0] - k.shape[0] + 1):
        rows.append(sum(c(x[i + a], k[a], 0) for a in range(k.shape[0])))
    return torch.from_numpy(np.array(rows)).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
