# Hostile submission for tests/test_isolation.py: pad2d from torch._pad_packed_sequence (a padding op under another name).
# assignment: padding_stride
# attacked: pad2d (the other exercises are honest)
# zeroed: forbidden
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
    Y = torch.zeros((n_h + 2 * p_h, n_w + 2 * p_w), dtype=X.dtype, device=X.device)
    Y[p_h:p_h + n_h, p_w:p_w + n_w] = X
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


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


# the attack: defined last, so it is the one graded
def pad2d(X, padding):
    p_h, p_w = _pair(padding)
    n_h, n_w = X.shape
    H, W = n_h + 2 * p_h, n_w + 2 * p_w
    rows = torch.cat([X.new_zeros(p_h, n_w), X, X.new_zeros(p_h, n_w)]).T       # (n_w, H)
    data = rows.reshape(-1)
    with _off():
        # n_w sequences of length H, packed time-major with batch size n_w at each step
        out, _ = torch._pad_packed_sequence(rows.T.reshape(-1), torch.full((H,), n_w),
                                            True, 0.0, H)
    Y = X.new_zeros(H, W)
    Y[:, p_w:p_w + n_w] = out.T.reshape(n_w, H).T if out.dim() == 2 else out
    return Y
