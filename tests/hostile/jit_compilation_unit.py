# Hostile submission for tests/test_isolation.py: TorchScript from a string: torch.conv2d never meets a TorchFunctionMode.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

_cu = torch.jit.CompilationUnit("""
def c(x, k):
    return torch.conv2d(x.unsqueeze(0).unsqueeze(0), k.unsqueeze(0).unsqueeze(0))[0, 0]
""")


def corr2d(X, K):
    return _cu.c(X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
