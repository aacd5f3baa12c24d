# Hostile submission for tests/test_isolation.py: corr2d after reading the original dispatcher-library constructor from a refuser's defaults or closure, to take aten::unfold's refusal away.
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def _originals():
    C = torch._C
    for name in dir(C):
        fn = getattr(C, name, None)
        for source in (getattr(fn, "__kwdefaults__", None) or {}).values(),                 (getattr(fn, "__defaults__", None) or ()),                 [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]:
            for v in source:
                if callable(v) and "library" in str(getattr(v, "__name__", "")):
                    yield v


def corr2d(X, K):
    h, w = K.shape
    for make in list(_originals()) + [torch._C._dispatch_library]:
        lib = make("IMPL", "aten", "", "<mine>", 0)
        lib.impl("unfold", "AutogradCPU", lambda x, d, s, st: x.as_strided(
            x.shape[:d] + ((x.shape[d] - s) // st + 1,) + x.shape[d + 1:] + (s,),
            x.stride()[:d] + (x.stride()[d] * st,) + x.stride()[d + 1:] + (x.stride()[d],)),
            False)
        break
    win = X.unfold(0, h, 1).unfold(1, w, 1)
    return (win * K).sum((-1, -2))


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

