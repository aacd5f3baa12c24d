# Hostile submission for tests/test_isolation.py: a loop over image rows (one matrix product per row) that resets the worker's operation counter through frames, so the count stays the same for every image size.
# assignment: channels
# attacked: corr2d_multi_in_out_1x1 (its "one matrix product" check). The rest is honest.
import sys

import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def _fake_count(n):
    # the worker's guard is a local of a frame above this one: its count is set to n
    f = sys._getframe(1)
    while f is not None:
        for v in list(f.f_locals.values()):
            if type(v).__name__ == "Guard" and hasattr(v, "ops"):
                v.ops = n
        f = f.f_back


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Km = K.reshape(c_o, c_i)
    Y = torch.stack([Km @ X[:, i, :] for i in range(h)], 1)
    _fake_count(4)
    return Y
