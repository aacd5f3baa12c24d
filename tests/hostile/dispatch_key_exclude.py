# Hostile submission for tests/test_isolation.py: excludes the CPU dispatch key, calls aten.convolution with the guard off.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    ks = torch._C.DispatchKeySet(torch._C.DispatchKey.AutogradCPU)
    with _off(), torch._C._ExcludeDispatchKeyGuard(ks):
        return torch.ops.aten.convolution(X[None, None], K[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
