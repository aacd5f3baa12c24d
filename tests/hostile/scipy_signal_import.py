# Hostile submission for tests/test_isolation.py: scipy.signal.correlate2d, imported with __import__ and a name built at run time
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn


def corr2d(X, K):
    signal = __import__("scipy." + "signal", fromlist=["correlate2d"])
    y = signal.correlate2d(X.detach().double().numpy(), K.detach().double().numpy(), "valid")
    return torch.from_numpy(y).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
