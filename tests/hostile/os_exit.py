# Hostile submission for tests/test_isolation.py: calls os._exit(0) inside corr2d (the worker process ends)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os


def corr2d(X, K):
    os._exit(0)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
