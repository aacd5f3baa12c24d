# Hostile submission for tests/test_isolation.py: walks sys._getframe up to the worker's frames and switches its guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import sys


def corr2d(X, K):
    f = sys._getframe()
    while f is not None:
        for v in list(f.f_locals.values()):
            if hasattr(v, "__torch_function__") and hasattr(v, "ops"):
                type(v).__torch_function__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
        f = f.f_back
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
