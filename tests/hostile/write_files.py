# Hostile submission for tests/test_isolation.py: writes files outside its folder: /tmp, the repository, HOME, a sentinel
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os


def corr2d(X, K):
    for p in ("/tmp/pwned", "/work/main/pwned", os.path.expanduser("~/pwned"), "/root/pwned",
              "../pwned", "../../pwned", "/__SENTINEL__", "__SENTINEL__", "/work/main/solutions/pwned",
              "/dev/shm/pwned", "/var/tmp/pwned"):
        try:
            with open(p, "w") as f:
                f.write("pwned")
        except OSError:
            pass
    raise RuntimeError("wrote what it could")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
