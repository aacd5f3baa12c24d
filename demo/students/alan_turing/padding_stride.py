"""Endless loop: corr2d_pad_stride counts output columns with a while loop copied from the row
loop and advances i instead of j, so it never returns.  conv_output_shape and pad2d are right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (n_h, n_w), (k_h, k_w) = pair(input_size), pair(kernel_size)
    (p_h, p_w), (s_h, s_w) = pair(padding), pair(stride)
    return (n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    Z_rows = X.new_zeros((p_h, X.shape[1]))
    Z = torch.cat([Z_rows, X, Z_rows], dim=0)
    Z_cols = X.new_zeros((Z.shape[0], p_w))
    return torch.cat([Z_cols, Z, Z_cols], dim=1)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h, i = 0, 0
    while i + k_h <= Z.shape[0]:
        o_h += 1
        i += s_h
    o_w, j = 0, 0
    while j + k_w <= Z.shape[1]:
        o_w += 1
        i += s_w
    Y = X.new_zeros((o_h, o_w))
    for a in range(o_h):
        for b in range(o_w):
            Y[a, b] = (Z[a * s_h:a * s_h + k_h, b * s_w:b * s_w + k_w] * K).sum()
    return Y
