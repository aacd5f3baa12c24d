# Hostile submission for tests/test_isolation.py: forks 50 times (children spin forever)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os


def corr2d(X, K):
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            while True:
                pass
    raise RuntimeError("forked")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
