# Hostile submission for tests/test_isolation.py: a TorchDispatchMode that runs conv2d below the Python guard.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()

def corr2d(X, K):
    # Reached as an attribute of a module torch has loaded (importing the private module by
    # name is refused: tests/hostile/torch_decomp_fromlist.py).
    class _M(torch.utils._python_dispatch.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    with _off(), _M():
        return torch.ops.aten.conv2d(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
