# Hostile submission for tests/test_isolation.py: a fresh copy of numpy's private stride-tricks module, run from its file under another name, whose sliding_window_view nothing replaced
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import importlib.util
import os

import numpy as np
import torch
from torch import nn


def corr2d(X, K):
    path = os.path.join(os.path.dirname(np.__file__), "lib", "_stride_tricks_impl.py")
    spec = importlib.util.spec_from_file_location("windows", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    w = mod.sliding_window_view(X.detach().double().numpy(), tuple(K.shape))
    y = (w * K.detach().double().numpy()).sum(axis=(2, 3))
    return torch.from_numpy(np.ascontiguousarray(y)).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
