# Hostile submission for tests/test_isolation.py: its cells never finish loading.
# Every function is honest, but the module loops forever at the top level after defining them,
# swallowing the per-cell alarm (a BaseException), so only the whole-load deadline stops it.
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


while True:
    try:
        while True:
            pass
    except BaseException:
        pass
