# Hostile submission for tests/test_isolation.py: gc.get_objects to find and destroy the grader's dispatcher libraries.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import gc


def corr2d(X, K):
    for o in gc.get_objects():
        if type(o).__name__ in ("Library", "_DispatchModule"):
            getattr(o, "_destroy", lambda: None)()
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
