# Hostile submission for tests/test_isolation.py: a torch.library custom op whose kernel calls conv2d.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def _define():
    # Defined on first use (a new operator library refused at the top level of a .py file would
    # skip the whole file, the honest exercises with it).
    @torch.library.custom_op("convkit_student::c", mutates_args=())
    def _c(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        with _off():
            return torch.ops.aten.convolution(x[None, None], k[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)[0, 0]


def corr2d(X, K):
    if not hasattr(torch.ops.convkit_student, "c"):
        _define()
    return torch.ops.convkit_student.c(X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
