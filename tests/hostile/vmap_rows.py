# Hostile submission for tests/test_isolation.py: corr2d with aten::unfold under torch.vmap (functorch's batching keys).
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    with _off():
        rows = torch.vmap(lambda r: r.unfold(0, w, 1))(X)            # (H, ow, w)
    oh = X.shape[0] - h + 1
    return sum((rows[a:a + oh] * K[a]).sum(-1) for a in range(h))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

