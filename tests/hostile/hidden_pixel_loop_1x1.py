# Hostile submission for tests/test_isolation.py: a loop over pixels run with the Python guard off
# (a name built at run time), so that the operation count the worker reports stays constant.
# assignment: channels
# attacked: corr2d_multi_in_out_1x1 (its "one matrix product" check). The rest is honest.
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


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Km = K.reshape(c_o, c_i)
    with getattr(torch._C, "Disable" + "TorchFunction")():
        cols = [Km @ X[:, i, j] for i in range(h) for j in range(w)]
        return torch.stack(cols, 1).reshape(c_o, h, w)
