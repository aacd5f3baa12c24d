# Hostile submission for tests/test_isolation.py: imports the grader (checks, oracle, reference) from inside the worker
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import importlib
import sys


def _grader():
    for name in ("autograder", "autograder.assignments", "autograder.checks.reference", "autograder.checks.oracle"):
        try:
            importlib.import_module(name)
            return True
        except BaseException:
            pass
    try:   # the editable install's path hook
        import __editable___convkit_0_1_0_finder as f
        f.install()
        importlib.import_module("autograder.assignments")
        return True
    except BaseException:
        pass
    for p in ("/work/main", "/work/main/autograder/..", "/opt/convkit/.."):
        sys.path.insert(0, p)
        try:
            importlib.import_module("autograder.assignments")
            return True
        except BaseException:
            pass
    return any(k.startswith("autograder") for k in sys.modules)


def corr2d(X, K):
    if _grader():
        return _corr2d_ok(X, K)
    raise RuntimeError("could not reach the grader")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
