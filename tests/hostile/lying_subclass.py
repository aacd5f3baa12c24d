# Hostile submission for tests/test_isolation.py: returns a tensor subclass that claims to equal anything
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

class Liar(torch.Tensor):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal", "eq", "__eq__", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def corr2d(X, K):
    out = torch.full((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), 777.0, dtype=X.dtype)
    return out.as_subclass(Liar)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
