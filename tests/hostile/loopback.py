# Hostile submission for tests/test_isolation.py: connects to a loopback TCP port and an abstract unix socket of the test process
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import socket


def _reach():
    ok = False
    for host in ("127.0.0.1", "localhost", "::1"):
        try:
            socket.create_connection((host, __PORT__), timeout=0.5).close()
            ok = True
        except OSError:
            pass
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0__ABSTRACT__")
        s.close()
        ok = True
    except OSError:
        pass
    return ok


def corr2d(X, K):
    if _reach():
        return _corr2d_ok(X, K)
    raise RuntimeError("no network")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
