# Hostile submission for tests/test_isolation.py: uses F.conv2d through an alias
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

from torch.nn.functional import conv2d as helper


def corr2d(X, K):
    return helper(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
