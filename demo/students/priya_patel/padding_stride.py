"""Int-only stride: conv_output_shape and pad2d handle ints and pairs, but corr2d_pad_stride
uses stride as an int (range(0, ..., stride)), so a pair stride raises TypeError.  With an int
stride it is right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    def as_pair(v):
        return (v, v) if isinstance(v, int) else (v[0], v[1])

    n, k, p, s = as_pair(input_size), as_pair(kernel_size), as_pair(padding), as_pair(stride)
    return ((n[0] + 2 * p[0] - k[0]) // s[0] + 1, (n[1] + 2 * p[1] - k[1]) // s[1] + 1)


def pad2d(X, padding):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    n_h, n_w = X.shape
    Z = X.new_zeros((n_h + 2 * p_h, n_w + 2 * p_w))
    Z[p_h:p_h + n_h, p_w:p_w + n_w] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    rows = []
    for i in range(0, Z.shape[0] - k_h + 1, stride):
        rows.append(torch.stack([(Z[i:i + k_h, j:j + k_w] * K).sum()
                                 for j in range(0, Z.shape[1] - k_w + 1, stride)]))
    return torch.stack(rows)
