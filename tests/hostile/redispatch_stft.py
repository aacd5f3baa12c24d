# Hostile submission for tests/test_isolation.py: corr2d windows from aten::stft's own decomposition (OpOverload.decompose), then redispatch.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    op = torch.ops.aten.unfold.default
    try:
        win = torch.ops.aten.stft.default.decompose(X[0], w, 1, w, None, False, False, False)
    except Exception:
        pass
    keys = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)
    win = op.redispatch(keys, op.redispatch(keys, X, 0, h, 1), 1, w, 1)
    return (win * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

