# Hostile submission for tests/test_isolation.py: torch._decomp's pure-Python im2col (indexing only, below no kernel).
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F


def corr2d(X, K):
    # Reached as an attribute of a module torch has loaded (importing it by name is refused:
    # tests/hostile/torch_decomp_im2col_indices.py).
    D = torch._decomp.decompositions
    k_h, k_w = K.shape
    oh, ow = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    cols = getattr(D, "im" + "2col")(X[None, None], [k_h, k_w], [1, 1], [0, 0], [1, 1])
    return (K.reshape(1, -1) @ cols[0]).reshape(oh, ow)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
