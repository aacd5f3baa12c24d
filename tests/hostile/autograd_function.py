# Hostile submission for tests/test_isolation.py: a custom autograd.Function whose forward, called from C++, runs conv2d.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


class _C(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        with _off():
            return torch.ops.aten.convolution(x[None, None], k[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0]

    @staticmethod
    def backward(ctx, g):
        return None, None


def corr2d(X, K):
    return _C.apply(X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
