# Hostile submission for tests/test_isolation.py: empties the guard's frozen forbidden set through __defaults__.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import sys


def corr2d(X, K):
    for name, mod in list(sys.modules.items()):
        if not name.endswith(".gu" + "ard"):
            continue
        g = getattr(mod, "Gu" + "ard", None)
        fn = getattr(g, "__torch_function__", None)
        if getattr(fn, "__defaults__", None):
            fn.__defaults__ = tuple(frozenset() if isinstance(d, frozenset) else d for d in fn.__defaults__)
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
