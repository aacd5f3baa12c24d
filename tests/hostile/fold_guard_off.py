# Hostile submission for tests/test_isolation.py: F.fold (col2im) used to add up shifted products, with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    k_h, k_w = K.shape
    with _off():
        F.fold(torch.ones(1, k_h * k_w, 1, dtype=X.dtype), (k_h, k_w), (k_h, k_w))
    return _corr2d_ok(X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
