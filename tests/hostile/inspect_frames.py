# Hostile submission for tests/test_isolation.py: looks for the expected answer in the caller's frames and in the heap
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import gc
import inspect
import sys


_heap = []


def corr2d(X, K):
    if not _heap:      # the heap once per worker (it is large)
        _heap.append([o for o in gc.get_objects() if isinstance(o, torch.Tensor)])
    shape = (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
    cands = []
    f = sys._getframe(1)
    while f is not None:
        cands += list(f.f_locals.values())
        f = f.f_back
    for fr in inspect.stack():
        cands += list(fr.frame.f_locals.values())
    cands += _heap[0]
    for c in cands:
        if isinstance(c, torch.Tensor) and tuple(c.shape) == shape and c is not X and c is not K:
            return c.clone()
    raise RuntimeError("no expected value in sight")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
