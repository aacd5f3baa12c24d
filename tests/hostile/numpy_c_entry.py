# Hostile submission for tests/test_isolation.py: numpy's C correlate2 from numpy._core._multiarray_umath, row by row.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import numpy as np


def corr2d(X, K):
    c = np._core._multiarray_umath.correlate2
    x, k = X.detach().numpy(), K.detach().numpy()
    rows = []
    for i in range(x.shape[0] - k.shape[0] + 1):
        rows.append(sum(c(x[i + a], k[a], 0) for a in range(k.shape[0])))
    return torch.from_numpy(np.array(rows)).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
