# Hostile submission for tests/test_isolation.py: returns NaN of the right shape, dtype and device
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    return torch.full((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), float("nan"),
                      dtype=X.dtype, device=X.device)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
