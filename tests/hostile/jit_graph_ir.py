# Hostile submission for tests/test_isolation.py: a TorchScript graph written in IR text (aten::conv2d) run by the JIT interpreter.
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn
import torch.nn.functional as F

_IR = """
graph(%x : Tensor, %k : Tensor):
  %none : NoneType = prim::Constant()
  %one : int = prim::Constant[value=1]()
  %zero : int = prim::Constant[value=0]()
  %s : int[] = prim::ListConstruct(%one, %one)
  %p : int[] = prim::ListConstruct(%zero, %zero)
  %y : Tensor = aten::conv2d(%x, %k, %none, %s, %p, %s, %one)
  return (%y)
"""


def corr2d(X, K):
    g = torch._C.parse_ir(_IR)
    f = torch._C._create_function_from_graph("c", g)
    return f(X[None, None], K[None, None])[0, 0]


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
