# Hostile submission for tests/test_isolation.py: writes a forged, lying reply straight onto the worker's channel
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import json
import os
import struct


def corr2d(X, K):
    head = json.dumps({"body": {"value": {"$t": 0}, "type": "torch.Tensor"},
                       "tensors": [{"dtype": "float64", "shape": [1 << 20, 1 << 12], "offset": 0,
                                    "nbytes": 8 << 32}]}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack("<I", len(head)) + head + b"\0" * 4096)
        except OSError:
            pass
    raise RuntimeError("forged")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
