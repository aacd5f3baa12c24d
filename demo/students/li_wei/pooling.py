"""Wrong mode name: pool2d checks for mode == 'mean' (NumPy's word) instead of the book's 'avg', so
every average pooling raises ValueError.  pool2d_pad_stride pads by hand and calls pool2d, keeping
every s-th window; it is checked with the book's pool2d and is right."""
def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'mean'):
        raise ValueError(f"unknown mode {mode!r}")
    p_h, p_w = pool_size
    Y = X.new_zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            else:
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else tuple(stride))
    out = []
    for ch in (X[None] if X.dim() == 2 else X):
        Z = ch.new_full((ch.shape[0] + 2 * p[0], ch.shape[1] + 2 * p[1]),
                        float('-inf') if mode == 'max' else 0.0)
        Z[p[0]:p[0] + ch.shape[0], p[1]:p[1] + ch.shape[1]] = ch
        out.append(pool2d(Z, k, mode)[::s[0], ::s[1]])
    Y = torch.stack(out)
    return Y[0] if X.dim() == 2 else Y
