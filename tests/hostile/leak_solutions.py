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


def _corr2d_ok(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return _corr2d_ok(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        l = ((_corr2d_ok(X, K) - Y) ** 2).sum()
        l.backward()
        with torch.no_grad():
            K -= lr * K.grad
            K.grad.zero_()
    return K.detach()
