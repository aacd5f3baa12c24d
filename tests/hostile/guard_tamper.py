# Hostile submission for tests/test_isolation.py: empties the worker's forbidden-routine list, then uses F.conv2d
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import sys

import torch.nn.functional as F

for _name, _mod in list(sys.modules.items()):
    if _name.endswith(".guard") and hasattr(_mod, "TORCH_FORBIDDEN"):
        _mod.TORCH_FORBIDDEN.clear()


def corr2d(X, K):
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
