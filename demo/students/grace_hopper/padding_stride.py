"""Forbidden routine: pad2d calls torch.nn.functional.pad, which zeroes pad2d, and
corr2d_pad_stride pads through that pad2d, so it calls F.pad too and is zeroed as well.
conv_output_shape is right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = (input_size, input_size) if isinstance(input_size, int) else input_size
    k_h, k_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


import torch.nn.functional as F


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    return F.pad(X, (p_w, p_w, p_h, p_h))


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    Y = X.new_zeros(((Z.shape[0] - k_h) // s_h + 1, (Z.shape[1] - k_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (Z[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
