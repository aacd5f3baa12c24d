# Hostile submission for tests/test_isolation.py: pops the TorchFunctionMode stack through torch._C helpers, calls conv2d, pushes it back.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    pop = getattr(torch._C, "_pop_" + "torch_function_stack")
    push = getattr(torch._C, "_push_on_" + "torch_function_stack")
    modes = []
    while getattr(torch._C, "_len_" + "torch_function_stack")() > 0:
        modes.append(pop())
    try:
        return torch.conv2d(X[None, None], K[None, None])[0, 0]
    finally:
        for m in reversed(modes):
            push(m)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
