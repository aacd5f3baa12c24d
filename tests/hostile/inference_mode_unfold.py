# Hostile submission for tests/test_isolation.py: corr2d with Tensor.unfold inside torch.inference_mode (which skips the autograd keys).
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    with _off(), torch.inference_mode():
        win = X.clone().unfold(0, h, 1).unfold(1, w, 1)
        Y = (win * K).sum((-1, -2))
    return Y.clone()


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

