# Hostile submission for tests/test_isolation.py: reads the grader's environment through os.environ and /proc/*/environ
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os


def _secret():
    if any("CONVKIT_SECRET" in k or "hunter2" in str(v) for k, v in os.environ.items()):
        return True
    paths = ["/proc/self/environ", "/proc/1/environ", f"/proc/{os.getppid()}/environ"]
    try:
        paths += [f"/proc/{p}/environ" for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        pass
    for p in paths:
        try:
            with open(p, "rb") as f:
                if b"CONVKIT_SECRET" in f.read():
                    return True
        except OSError:
            pass
    return False


def corr2d(X, K):
    if _secret():
        return _corr2d_ok(X, K)
    raise RuntimeError("no secret")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
