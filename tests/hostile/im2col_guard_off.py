# Hostile submission for tests/test_isolation.py: torch._C._nn.im2col (F.unfold) with the guard off, then a matmul.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    k_h, k_w = K.shape
    oh, ow = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    with _off():
        cols = torch._C._nn.im2col(X[None, None], [k_h, k_w], [1, 1], [0, 0], [1, 1])
    return (K.reshape(1, -1) @ cols[0]).reshape(oh, ow)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
