# im2col over all channels (rows = channel x kernel position) and one matmul with K reshaped to (c_o, c_i*k_h*k_w); 1x1 as (h, w, c_i) @ (c_i, c_o).
# breaks: none
# symptom: 
import torch
from torch import nn


def _im2col(X, k_h, k_w):
    c, n_h, n_w = X.shape
    o_h, o_w = n_h - k_h + 1, n_w - k_w + 1
    rows = [X[ch, a:a + o_h, b:b + o_w].reshape(-1)
            for ch in range(c) for a in range(k_h) for b in range(k_w)]
    return torch.stack(rows, 0), (o_h, o_w)     # (c*k_h*k_w, o_h*o_w)


def corr2d_multi_in_out(X, K):
    c_o = K.shape[0]
    cols, (o_h, o_w) = _im2col(X, K.shape[2], K.shape[3])
    return (K.reshape(c_o, -1) @ cols).reshape(c_o, o_h, o_w)


def corr2d_multi_in(X, K):
    return corr2d_multi_in_out(X, K.unsqueeze(0))[0]


def corr2d_multi_in_out_1x1(X, K):
    Y = X.permute(1, 2, 0) @ K[:, :, 0, 0].T       # (h, w, c_o)
    return Y.permute(2, 0, 1)
