# Hostile submission for tests/test_isolation.py: uses torch.ops.aten.convolution
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    return torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1],
                                      False, [0, 0], 1)[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
