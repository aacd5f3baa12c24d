# Loops over kernel positions only; each step weights the shifted channels by K[..., a, b] with broadcasting and sums over channels. 1x1 via flatten/unflatten + @.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d_multi_in(X, K):
    c_i, k_h, k_w = K.shape
    o_h, o_w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
    Y = X.new_zeros((o_h, o_w))
    for a in range(k_h):
        for b in range(k_w):
            Y = Y + (K[:, a, b, None, None] * X[:, a:a + o_h, b:b + o_w]).sum(0)
    return Y


def corr2d_multi_in_out(X, K):
    c_o, c_i, k_h, k_w = K.shape
    o_h, o_w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
    Y = X.new_zeros((c_o, o_h, o_w))
    for a in range(k_h):
        for b in range(k_w):
            Y = Y + (K[:, :, a, b, None, None] * X[None, :, a:a + o_h, b:b + o_w]).sum(1)
    return Y


def corr2d_multi_in_out_1x1(X, K):
    h, w = X.shape[1:]
    return (K.flatten(1) @ X.flatten(1)).unflatten(1, (h, w))
