# Hostile submission for tests/test_isolation.py: computes the correlation as a convolution's weight gradient.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    oh, ow = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    f = getattr(torch.ops.aten, "convolution_" + "backward")
    out = f(K[None, None], X[None, None], torch.zeros(1, 1, oh, ow, dtype=X.dtype), None,
            [1, 1], [0, 0], [1, 1], False, [0, 0], 1, [False, True, False])
    return out[1][0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
