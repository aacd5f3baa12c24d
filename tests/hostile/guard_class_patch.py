# Hostile submission for tests/test_isolation.py: patches the guard class found in sys.modules to let every call through.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import sys


def corr2d(X, K):
    for name, mod in list(sys.modules.items()):
        g = getattr(mod, "Gu" + "ard", None)
        if isinstance(g, type) and hasattr(g, "__torch_function__"):
            g.__torch_function__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
            g.flag = lambda self, what: None
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
