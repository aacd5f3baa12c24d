# Hostile submission for tests/test_isolation.py: corr2d from torch._decomp's im2col index builder, its module's F swapped.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


import importlib
import types


def corr2d(X, K):
    D = importlib.import_module("torch._decomp." + "decompositions")
    D.F = types.SimpleNamespace(unfold=lambda *a, **k: None)     # steer it off the refused op
    h, w = K.shape
    rows = D._im2col_col2im_indices_along_dim(X.shape[0], h, 1, 0, 1, X.device)   # (h, oh)
    cols = D._im2col_col2im_indices_along_dim(X.shape[1], w, 1, 0, 1, X.device)   # (w, ow)
    win = X[rows[:, None, :, None], cols[None, :, None, :]]                    # (h, w, oh, ow)
    return torch.einsum("abij,ab->ij", win, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

