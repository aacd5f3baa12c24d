# Hostile submission for tests/test_isolation.py: writes a correct corr2d to every place it may write (its folder and the one above, /tmp, /dev/shm, /var/tmp, HOME, the folder of workers), for the next student graded by the same zygote (leftover_reader)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import os

import torch
from torch import nn

ANSWER = """
def corr2d(X, K):
    h, w = K.shape
    rows = [torch.stack([(X[i:i + h, j:j + w] * K).sum() for j in range(X.shape[1] - w + 1)])
            for i in range(X.shape[0] - h + 1)]
    return torch.stack(rows)
"""


def corr2d(X, K):
    here = os.getcwd()
    for d in (".", "..", "../..", "/tmp", "/dev/shm", "/var/tmp", os.path.expanduser("~"),
              os.path.dirname(here)):
        try:
            with open(os.path.join(d, "answer.py"), "w") as f:
                f.write(ANSWER)
            os.chmod(os.path.join(d, "answer.py"), 0o644)
        except OSError:
            pass
    raise RuntimeError("left copies for the next student")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
