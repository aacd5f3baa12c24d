# Hostile submission for tests/test_isolation.py: returns an object whose unpickling would run code in the grader
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import os


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned_by_pickle",))


def corr2d(X, K):
    return Payload()


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
