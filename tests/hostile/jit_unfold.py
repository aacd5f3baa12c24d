# Hostile submission for tests/test_isolation.py: corr2d whose windows come from aten::unfold called by TorchScript.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


_SRC = "def win(x, h: int, w: int):\n    return x.un" + "fold(0, h, 1).un" + "fold(1, w, 1)\n"


def corr2d(X, K):
    h, w = K.shape
    cu = torch.jit.CompilationUnit(_SRC)
    return (cu.win(X, h, w) * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

