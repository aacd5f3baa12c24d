# Hostile submission for tests/test_isolation.py: Tensor.unfold reached through getattr on a view.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    u = getattr(X.view(X.shape), "un" + "fold")
    p = getattr(u(0, K.shape[0], 1), "un" + "fold")(1, K.shape[1], 1)
    return (p * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
