# Hostile submission for tests/test_isolation.py: torch.nn.grad.conv2d_weight (a weight gradient is a correlation).
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    oh, ow = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    return torch.nn.grad.conv2d_weight(X[None, None], (1, 1, oh, ow), K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
