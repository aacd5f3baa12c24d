# Hostile submission for tests/test_isolation.py: torch's private im2col index builder (torch._decomp.decompositions), imported with importlib, then plain indexing
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import importlib

import torch
from torch import nn


def corr2d(X, K):
    d = importlib.import_module("torch._decomp.decompositions")
    build = d._im2col_col2im_indices_along_dim
    rows = build(X.shape[0], K.shape[0], 1, 0, 1, X.device)      # (k_h, o_h)
    cols = build(X.shape[1], K.shape[1], 1, 0, 1, X.device)      # (k_w, o_w)
    patches = X[rows[:, None, :, None], cols[None, :, None, :]]   # (k_h, k_w, o_h, o_w)
    return (patches * K[:, :, None, None]).sum((0, 1))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
