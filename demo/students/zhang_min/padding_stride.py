"""Per-side vs total padding: conv_output_shape uses the book's formula n - k + p + 1, in which
p is the TOTAL padding (both sides together), but here padding is per side (n + 2p - k), so it is
wrong whenever padding > 0.  pad2d and corr2d_pad_stride (which sizes its result from the padded
X, not with conv_output_shape) are right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def two(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    n, k, p, s = two(input_size), two(kernel_size), two(padding), two(stride)
    return tuple(int((n[d] - k[d] + p[d]) // s[d] + 1) for d in range(2))


def pad2d(X, padding):
    p_h, p_w = padding if isinstance(padding, (tuple, list)) else (padding, padding)
    Z = X.new_zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w))
    Z[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    Y = X.new_zeros(((Z.shape[0] - k_h) // s_h + 1, (Z.shape[1] - k_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (Z[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
