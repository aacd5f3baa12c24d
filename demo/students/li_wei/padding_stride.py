"""Rounding instead of flooring: conv_output_shape uses round((n + 2p - k) / s) + 1, one too
many for some strides (3 / 2 rounds to 2, where floor gives 1); corr2d_pad_stride
sizes its result with it, so there it ends in a shape-mismatch RuntimeError.  pad2d is right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(x):
        return (x, x) if isinstance(x, int) else tuple(x)

    n, k, p, s = pair(input_size), pair(kernel_size), pair(padding), pair(stride)
    return tuple(round((n[d] + 2 * p[d] - k[d]) / s[d]) + 1 for d in range(2))


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    Z = X.new_zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w))
    Z[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(X.shape, K.shape, padding, stride)
    Z = pad2d(X, padding)
    Y = X.new_zeros((o_h, o_w))
    for i in range(o_h):
        for j in range(o_w):
            Y[i, j] = (Z[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
