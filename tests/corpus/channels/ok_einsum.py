# All windows of every channel via as_strided, contracted with einsum over channels and kernel positions; the 1x1 is one einsum 'oi,ihw->ohw'.
# breaks: none
# symptom: 
import torch
from torch import nn


def _windows(X, k_h, k_w):
    X = X.contiguous()
    c, n_h, n_w = X.shape
    sc, sh, sw = X.stride()
    return X.as_strided((c, n_h - k_h + 1, n_w - k_w + 1, k_h, k_w), (sc, sh, sw, sh, sw))


def corr2d_multi_in(X, K):
    return torch.einsum('cijab,cab->ij', _windows(X, K.shape[1], K.shape[2]), K)


def corr2d_multi_in_out(X, K):
    return torch.einsum('cijab,ocab->oij', _windows(X, K.shape[2], K.shape[3]), K)


def corr2d_multi_in_out_1x1(X, K):
    return torch.einsum('oi,ihw->ohw', K[:, :, 0, 0], X)
