"""Ints only: every function treats input_size, kernel_size, padding and stride as ints, so any
pair argument raises TypeError.  With int arguments everything is right."""
def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    o = (input_size + 2 * padding - kernel_size) // stride + 1
    return (o, o)


def pad2d(X, padding):
    n_h, n_w = X.shape
    Z = X.new_zeros((n_h + 2 * padding, n_w + 2 * padding))
    Z[padding:padding + n_h, padding:padding + n_w] = X
    return Z


def corr2d_pad_stride(X, K, padding=0, stride=1):
    Z = pad2d(X, padding)
    k_h, k_w = K.shape
    rows = []
    for i in range(0, Z.shape[0] - k_h + 1, stride):
        rows.append(torch.stack([(Z[i:i + k_h, j:j + k_w] * K).sum()
                                 for j in range(0, Z.shape[1] - k_w + 1, stride)]))
    return torch.stack(rows)
