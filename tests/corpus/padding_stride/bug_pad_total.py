# pad2d treats padding as the total number of rows/columns added (p // 2 on each side).
# breaks: pad2d
# symptom: shape|values
import torch
from torch import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = _pair(input_size)
    k_h, k_w = _pair(kernel_size)
    p_h, p_w = _pair(padding)
    s_h, s_w = _pair(stride)
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


def pad2d(X, padding):
    p_h, p_w = _pair(padding)
    n_h, n_w = X.shape
    Y = torch.zeros((n_h + p_h // 2 * 2, n_w + p_w // 2 * 2), dtype=X.dtype, device=X.device)
    Y[p_h // 2:p_h // 2 + n_h, p_w // 2:p_w // 2 + n_w] = X
    return Y


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    Xp = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(Xp.shape, K.shape, 0, stride)
    Y = torch.zeros((o_h, o_w), dtype=X.dtype, device=X.device)
    for i in range(o_h):
        for j in range(o_w):
            Y[i, j] = (Xp[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
