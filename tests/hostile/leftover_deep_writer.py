# Hostile submission for tests/test_isolation.py: leaves a correct corr2d at the bottom of a folder tree 1,100 levels deep in its worker folder (deeper than a recursive removal goes), for the next student graded by the same zygote (leftover_reader)
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
    if not os.path.exists("deep"):
        start = os.getcwd()
        for _ in range(1100):
            os.mkdir("deep")
            os.chdir("deep")
        with open("answer.py", "w") as f:
            f.write(ANSWER)
        os.chdir(start)
    raise RuntimeError("left a tree for the next student")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
