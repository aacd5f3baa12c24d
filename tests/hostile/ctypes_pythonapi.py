# Hostile submission for tests/test_isolation.py: ctypes.pythonapi, to reach below Python.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

import ctypes


def corr2d(X, K):
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(X))
    return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
