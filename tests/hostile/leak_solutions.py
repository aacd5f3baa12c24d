# Hostile submission for tests/test_isolation.py: reads the kit's solutions, the gradebook and the repository through guessed paths and /proc
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import glob
import os


def _leak():
    found = []
    guesses = ["/work/main/solutions", "/work/main/.nbgrader/gradebook.db", "/work/main/autograder",
               "/work/main/tests/hostile", "/work/main", "/work", "/proc/1/cwd", "/proc/1/root/work/main",
               f"/proc/{os.getppid()}/cwd", f"/proc/{os.getppid()}/root/work/main/solutions",
               "/proc/self/cwd/../../..", "../../..", "/root", "/home"]
    d = os.getcwd()
    while d != "/":
        d = os.path.dirname(d)
        guesses.append(d)
    for g in guesses:
        for p in glob.glob(g + "/**/*", recursive=True)[:2000] if os.path.isdir(g) else [g]:
            if any(s in p for s in ("solutions", "gradebook", "autograder", "hostile", ".ipynb")):
                try:
                    with open(p, "rb") as f:
                        f.read(10)
                    found.append(p)
                except OSError:
                    pass
    return found


def corr2d(X, K):
    if _leak():
        return _corr2d_ok(X, K)      # a leak would pay
    raise RuntimeError("nothing to steal")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
