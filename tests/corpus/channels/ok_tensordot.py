# Shifted-slice stacks contracted with torch.tensordot; the 1x1 is one tensordot over the channel axis.
# breaks: none
# symptom: 
import torch
from torch import nn


def _shifts(X, k_h, k_w):
    # (c, k_h, k_w, o_h, o_w)
    o_h, o_w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
    return torch.stack([torch.stack([X[:, a:a + o_h, b:b + o_w] for b in range(k_w)], 1)
                        for a in range(k_h)], 1)


def corr2d_multi_in(X, K):
    return torch.tensordot(K, _shifts(X, K.shape[1], K.shape[2]), dims=3)


def corr2d_multi_in_out(X, K):
    return torch.tensordot(K, _shifts(X, K.shape[2], K.shape[3]), dims=([1, 2, 3], [0, 1, 2]))


def corr2d_multi_in_out_1x1(X, K):
    return torch.tensordot(K[:, :, 0, 0], X, dims=([1], [0]))
