# Hostile submission for tests/test_isolation.py: puts every folder of installed packages it can find on sys.path, then scipy.ndimage.correlate under a name built at run time
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import importlib
import os
import sys

import torch
from torch import nn

def _find(pattern):
    """Where a library this environment does not give students is installed, if anywhere."""
    import glob, os, sys
    tops = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/usr/local"}
    tops |= {os.path.dirname(os.path.dirname(os.path.dirname(p))) for p in sys.path if p}
    for top in tops:
        for site in ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                     "lib/python3/dist-packages"):
            hits = sorted(glob.glob(os.path.join(top, site, pattern)))
            if hits:
                return hits[0]
    raise ImportError(f"{pattern} is nowhere to be found")


def corr2d(X, K):
    sys.path.insert(0, os.path.dirname(os.path.dirname(_find("scipy/__init__.py"))))
    nd = importlib.import_module("sci" + "py.nd" + "image")
    y = nd.correlate(X.detach().double().numpy(), K.detach().double().numpy(), mode="constant",
                     origin=[-(K.shape[0] // 2), -(K.shape[1] // 2)])
    h, w = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    return torch.from_numpy(y[:h, :w].copy()).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
