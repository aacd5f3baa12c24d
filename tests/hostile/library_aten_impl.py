# Hostile submission for tests/test_isolation.py: registers its own aten kernel with torch.library to undo the grader's.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    lib = torch.library.Library("aten", "IMPL")
    lib.impl("convolution", lambda *a: torch.zeros(1), "CPU")
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
