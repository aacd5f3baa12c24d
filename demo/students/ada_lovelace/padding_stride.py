"""Perfect: every exercise right, ints and pairs alike."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))

    (n_h, n_w), (k_h, k_w) = pair(input_size), pair(kernel_size)
    (p_h, p_w), (s_h, s_w) = pair(padding), pair(stride)
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    n_h, n_w = X.shape
    Z = X.new_zeros((n_h + 2 * p_h, n_w + 2 * p_w))
    Z[p_h:p_h + n_h, p_w:p_w + n_w] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h = (Z.shape[0] - k_h) // s_h + 1
    o_w = (Z.shape[1] - k_w) // s_w + 1
    Y = X.new_zeros((o_h, o_w))
    for i in range(o_h):
        for j in range(o_w):
            Y[i, j] = (Z[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
