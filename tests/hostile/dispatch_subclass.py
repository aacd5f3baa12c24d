# Hostile submission for tests/test_isolation.py: corr2d through a __torch_dispatch__ tensor subclass whose handler runs aten::im2col.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


class _W(torch.Tensor):
    @staticmethod
    def __new__(cls, x):
        return torch.Tensor._make_wrapper_subclass(cls, x.shape, dtype=x.dtype)

    def __init__(self, x):
        self.x = x

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        x, k = args[0].x, args[1]
        h, w = k.shape
        cols = torch.ops.aten.im2col(x[None, None], [h, w], [1, 1], [0, 0], [1, 1])[0]
        return (k.reshape(1, -1) @ cols).reshape(x.shape[0] - h + 1, x.shape[1] - w + 1)


def corr2d(X, K):
    return torch.mul(_W(X), K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

