# Hostile submission for tests/test_isolation.py: corr2d with aten::unfold called at the CPU key through OpOverload._op_dk.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    op = getattr(torch.ops.aten, "un" + "fold").default
    cpu = torch._C.DispatchKey.CPU
    win = op._op_dk(cpu, op._op_dk(cpu, X, 0, h, 1), 1, w, 1)
    return (win * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

