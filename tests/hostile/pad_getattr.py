# Hostile submission for tests/test_isolation.py: F.pad through getattr and a built name, with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    with _off():
        getattr(torch._C._nn, "p" + "ad")(X[None, None], [0, 0, 0, 0], "reflect")
    return _corr2d_ok(X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
