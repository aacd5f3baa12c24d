# Hostile submission for tests/test_isolation.py: prints 100 MB to stdout and stderr, then fails
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os
import sys

_flooded = []


def corr2d(X, K):
    n = 100_000_000 if not _flooded else 1_000_000
    _flooded.append(1)
    sys.stdout.write("x" * n)
    sys.stderr.write("y" * n)
    sys.stdout.flush()
    for fd in (1, 2):
        try:
            os.write(fd, b"z" * 1_000_000)
        except OSError:
            pass
    raise RuntimeError("flooded")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
