# Hostile submission for tests/test_isolation.py: runs aten.convolution under _AutoDispatchBelowAutograd with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    with _off(), torch._C._AutoDispatchBelowAutograd():
        return torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
