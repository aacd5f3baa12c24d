# Hostile submission for tests/test_isolation.py: leaves a correct corr2d in its worker folder under names of 255 characters, inside a folder of mode 000 and as a file of mode 000, for the next student graded by the same zygote (leftover_reader)
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

LONG = "L" * 255


def corr2d(X, K):
    if not os.path.exists(LONG):
        os.makedirs(os.path.join(LONG, LONG, "vault"))
        for name in (os.path.join(LONG, LONG, "vault", "answer.py"), "answer.py"):
            with open(name, "w") as f:
                f.write(ANSWER)
            os.chmod(name, 0)
        os.chmod(os.path.join(LONG, LONG, "vault"), 0)
        os.chmod(os.path.join(LONG, LONG), 0)
    raise RuntimeError("left unreadable files for the next student")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
