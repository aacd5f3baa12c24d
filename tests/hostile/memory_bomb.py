# Hostile submission for tests/test_isolation.py: allocates 50 GiB, then grows a list without bound
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    try:
        b = bytearray(50 << 30)
    except MemoryError:
        pass
    hog = []
    while True:
        hog.append(bytearray(64 << 20))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
