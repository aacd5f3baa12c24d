# corr2d as a list comprehension + torch.stack, channels summed with torch.stack(...).sum(0), outputs stacked with a comprehension, 1x1 with torch.matmul on flattened tensors.
# breaks: none
# symptom: 
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()
                                     for j in range(X.shape[1] - w + 1)])
                        for i in range(X.shape[0] - h + 1)])


def corr2d_multi_in(X, K):
    return torch.stack([corr2d(X[c], K[c]) for c in range(X.shape[0])]).sum(dim=0)


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, K[o]) for o in range(K.shape[0])])


def corr2d_multi_in_out_1x1(X, K):
    c_o, c_i = K.shape[:2]
    return torch.matmul(K.flatten(1), X.flatten(1)).view(c_o, *X.shape[1:])
