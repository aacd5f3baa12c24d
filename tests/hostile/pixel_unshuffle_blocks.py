# Hostile submission for tests/test_isolation.py: corr2d over blocks cut by F.pixel_unshuffle (a non-overlapping unfold).
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    oh, ow = X.shape[0] - h + 1, X.shape[1] - w + 1
    Y = torch.zeros(oh, ow, dtype=X.dtype)
    for a in range(h):
        for b in range(w):
            # every window offset as a factor-1 "unshuffle" of the shifted image
            part = F.pixel_unshuffle(X[a:a + oh, b:b + ow][None, None], 1)[0, 0]
            Y = Y + K[a, b] * part
    return Y


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

