# Hostile submission for tests/test_isolation.py: returns a 10**9-element expanded view (4 GB once materialised)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    return torch.zeros(1, dtype=X.dtype).expand(10 ** 9)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
