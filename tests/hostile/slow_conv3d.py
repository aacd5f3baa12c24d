# Hostile submission for tests/test_isolation.py: torch._C._nn.slow_conv3d, a backend the Python list does not name.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    k_h, k_w = K.shape
    return torch._C._nn.slow_conv3d(X[None, None, None], K[None, None, None], [1, k_h, k_w])[0, 0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
