# Hostile submission for tests/test_isolation.py: corr2d in a custom operator of the student's own, whose kernel (below the autograd keys) calls unfold.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


_made = []


def corr2d(X, K):
    if not _made:      # defined on first use: the top level stays importable
        @torch.library.custom_op("mine::windows", mutates_args=())
        def _windows(X: torch.Tensor, h: int, w: int) -> torch.Tensor:
            return X.unfold(0, h, 1).unfold(1, w, 1).clone()
        _made.append(_windows)
    h, w = K.shape
    return (_made[0](X, h, w) * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

