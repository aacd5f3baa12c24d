# Hostile submission for tests/test_isolation.py: corr2d as F.embedding_bag's weighted sums over window indices.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    H, W = X.shape
    oh, ow = H - h + 1, W - w + 1
    base = (torch.arange(oh)[:, None] * W + torch.arange(ow)[None, :]).reshape(-1, 1)
    off = (torch.arange(h)[:, None] * W + torch.arange(w)[None, :]).reshape(1, -1)
    idx = (base + off).reshape(-1)
    weights = K.reshape(1, -1).expand(oh * ow, -1).reshape(-1)
    offsets = torch.arange(0, idx.numel(), h * w)
    with _off():
        Y = F.embedding_bag(idx, X.reshape(-1, 1), offsets, mode="sum",
                            per_sample_weights=weights)
    return Y.reshape(oh, ow)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

