# Hostile submission for tests/test_isolation.py: replaces every pipe it holds (the report pipe), then conv2d with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()

import os


def corr2d(X, K):
    # Every pipe the process holds (the grader's report pipe among them) closed or replaced.
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                r, w = os.pipe()
                os.dup2(w, int(name))
        except OSError:
            pass
    with _off():
        return F.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
