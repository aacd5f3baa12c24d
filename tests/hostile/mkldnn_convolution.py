# Hostile submission for tests/test_isolation.py: the oneDNN backend entry point, on float32 copies, with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    with _off():
        return torch.mkldnn_convolution(X[None, None], K[None, None], None, [0, 0], [1, 1], [1, 1], 1)[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
