# Hostile submission for tests/test_isolation.py: _imp.create_dynamic on a spec of its own, loading scipy's _nd_image as a module of another package
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import types

import numpy as np
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
    import _imp
    path = _find("scipy/ndimage/_nd_image.*.so")
    nd = _imp.create_dynamic(types.SimpleNamespace(name="mine._nd_image", origin=path))
    x = X.detach().double().numpy()
    k = K.detach().double().numpy()
    out = np.zeros_like(x)
    origins = np.array([-(k.shape[0] // 2), -(k.shape[1] // 2)], dtype=np.intp)
    nd.correlate(x, k, out, 4, 0.0, origins)
    h, w = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    return torch.from_numpy(out[:h, :w].copy()).to(X.dtype)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
