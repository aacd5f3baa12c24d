# corr2d_multi_in builds the windows with Tensor.unfold (forbidden); corr2d_multi_in_out calls it.
# breaks: corr2d_multi_in
# symptom: forbidden.*unfold|unfold.*forbidden
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
    k_h, k_w = K.shape[1:]
    windows = X.unfold(1, k_h, 1).unfold(2, k_w, 1)       # (c, o_h, o_w, k_h, k_w)
    return (windows * K[:, None, None]).sum(dim=(0, 3, 4))


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
