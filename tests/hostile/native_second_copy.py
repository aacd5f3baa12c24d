# Hostile submission for tests/test_isolation.py: a second, fresh copy of numpy's C core (_multiarray_umath, loaded again under its own name from its own file), whose correlate2 nothing replaced
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import glob
import importlib.machinery
import importlib.util
import os

import numpy as np
import torch
from torch import nn


def corr2d(X, K):
    name = "numpy._core._multiarray_umath"
    core = os.path.join(os.path.dirname(np.__file__), "_core")
    path = glob.glob(os.path.join(core, "_multiarray_umath*.so"))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    core = importlib.util.module_from_spec(spec)
    x, k = X.detach().double().numpy(), K.detach().double().numpy()
    rows = []
    for i in range(x.shape[0] - k.shape[0] + 1):
        rows.append(sum(core.correlate2(x[i + a], k[a], 0) for a in range(k.shape[0])))
    return torch.from_numpy(np.array(rows)).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
