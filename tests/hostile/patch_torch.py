# Hostile submission for tests/test_isolation.py: monkeypatches torch's comparisons and testing functions, then returns wrong values
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import torch.testing


def corr2d(X, K):
    torch.allclose = lambda *a, **k: True
    torch.equal = lambda *a, **k: True
    torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
    torch.Tensor.__eq__ = lambda self, other: True
    torch.Tensor.__ne__ = lambda self, other: False
    torch.testing.assert_close = lambda *a, **k: None
    torch.Tensor.allclose = lambda *a, **k: True
    return torch.full((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), 1234.5, dtype=X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
