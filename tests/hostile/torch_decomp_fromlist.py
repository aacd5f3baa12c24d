# Hostile submission for tests/test_isolation.py: the same private index builder reached as "from torch import _decomp" (a module torch imported already: no import event)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    from torch import _decomp
    build = _decomp.decompositions._im2col_col2im_indices_along_dim
    rows = build(X.shape[0], K.shape[0], 1, 0, 1, X.device)
    cols = build(X.shape[1], K.shape[1], 1, 0, 1, X.device)
    patches = X[rows[:, None, :, None], cols[None, :, None, :]]
    return (patches * K[:, :, None, None]).sum((0, 1))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
