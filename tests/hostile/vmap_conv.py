# Hostile submission for tests/test_isolation.py: torch.vmap over conv2d with the guard off (batching rules call it from C++).
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    with _off():
        return torch.vmap(lambda x: F.conv2d(x[None], K[None, None])[0])(X[None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
