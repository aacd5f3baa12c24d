"""Per-side vs total padding: reads padding=p as p zeros IN TOTAL per dimension (p // 2 before,
the rest after) instead of p on each side, in conv_output_shape (n + p - k) and in pad2d;
corr2d_pad_stride agrees with that pad2d, so it is wrong whenever padding > 0.  Everything is
right with padding 0, and ints and pairs are both handled."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def two(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    n, k, p, s = two(input_size), two(kernel_size), two(padding), two(stride)
    return tuple(int((n[d] + p[d] - k[d]) // s[d] + 1) for d in range(2))


def pad2d(X, padding):
    p_h, p_w = padding if isinstance(padding, (tuple, list)) else (padding, padding)
    top, left = p_h // 2, p_w // 2
    Z = X.new_zeros((X.shape[0] + p_h, X.shape[1] + p_w))
    Z[top:top + X.shape[0], left:left + X.shape[1]] = X
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
