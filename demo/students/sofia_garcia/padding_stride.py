"""Broken autograd: pad2d builds the padded matrix as nested Python lists and turns it back into
a tensor with torch.tensor(...), so no gradient flows back to X (values, dtype and device are
right).  corr2d_pad_stride pads with that pad2d, so gradients reach K but not X."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def pair(v):
        return (v, v) if isinstance(v, int) else (v[0], v[1])

    (n_h, n_w), (k_h, k_w) = pair(input_size), pair(kernel_size)
    (p_h, p_w), (s_h, s_w) = pair(padding), pair(stride)
    return ((n_h - k_h + 2 * p_h) // s_h + 1, (n_w - k_w + 2 * p_w) // s_w + 1)


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    width = X.shape[1] + 2 * p_w
    rows = [[0.0] * width for _ in range(p_h)]
    for row in X.tolist():
        rows.append([0.0] * p_w + row + [0.0] * p_w)
    rows += [[0.0] * width for _ in range(p_h)]
    return torch.tensor(rows, dtype=X.dtype, device=X.device)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    Y = X.new_zeros(((Z.shape[0] - k_h) // s_h + 1, (Z.shape[1] - k_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (Z[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w] * K).sum()
    return Y
