# Hostile submission for tests/test_isolation.py: corr2d where a TorchDispatchMode (below the autograd keys) runs aten::unfold on plain tensors.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    # The mode is made inside the attacked function: TorchDispatchMode reached as an attribute of
    # a module torch has loaded, and, failing that, imported by name (refused, as a private
    # module, by autograder/worker/world.py; a top-level import would stop the whole file).
    try:
        base = torch.utils._python_dispatch.TorchDispatchMode
    except AttributeError:
        from torch.utils._python_dispatch import TorchDispatchMode as base

    class _Windows(base):
        def __init__(self, h, w):
            super().__init__()
            self.h, self.w, self.win = h, w, None

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if self.win is None and func is torch.ops.aten.clone.default:
                self.win = torch.ops.aten.unfold(torch.ops.aten.unfold(args[0], 0, self.h, 1), 1,
                                                 self.w, 1)
            return out

    h, w = K.shape
    m = _Windows(h, w)
    with m:
        X.clone()
    return (m.win * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

