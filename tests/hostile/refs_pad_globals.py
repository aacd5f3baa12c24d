# Hostile submission for tests/test_isolation.py: corr2d whose windows come from torch._refs' padding, through another module's globals.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


import sys


def corr2d(X, K):
    refs = [m for n, m in list(sys.modules.items()) if n.startswith("torch._refs")]
    pad = None
    for m in refs:
        for name, v in vars(m).items():
            if callable(v) and "pad" in name and "constant" in name:
                pad = v
    h, w = K.shape
    Xp = pad(X, [0, 0, 0, 0])          # "padding" through the reference implementation
    oh, ow = X.shape[0] - h + 1, X.shape[1] - w + 1
    return sum(K[a, b] * Xp[a:a + oh, b:b + ow] for a in range(h) for b in range(w))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

