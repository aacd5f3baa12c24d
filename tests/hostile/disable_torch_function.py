# Hostile submission for tests/test_isolation.py: hides F.conv2d from the guard with torch._C.DisableTorchFunction
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import torch.nn.functional as F


def corr2d(X, K):
    with torch._C.DisableTorchFunction():
        return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
