"""Any mode goes: pool2d averages for every mode that is not 'max' and never raises ValueError
(a typo such as mode='mxa' silently averages).  pool2d_pad_stride is right."""
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            else:
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def pool2d_pad_stride(X, pool_size, padding=0, stride=None, mode='max'):
    def pair(v):
        return (v, v) if isinstance(v, int) else (v[0], v[1])

    if mode not in ('max', 'avg'):
        raise ValueError(f"unknown mode {mode!r}")
    (k_h, k_w), (p_h, p_w) = pair(pool_size), pair(padding)
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride)
    channels = X.unsqueeze(0) if X.dim() == 2 else X
    c, n_h, n_w = channels.shape
    Xp = torch.full((c, n_h + 2 * p_h, n_w + 2 * p_w), float('-inf') if mode == 'max' else 0.0,
                    dtype=X.dtype, device=X.device)
    Xp[:, p_h:p_h + n_h, p_w:p_w + n_w] = channels
    o_h, o_w = (n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1
    Y = torch.zeros((c, o_h, o_w), dtype=X.dtype, device=X.device)
    for i in range(o_h):
        for j in range(o_w):
            window = Xp[:, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            if mode == 'max':
                Y[:, i, j] = window.amax(dim=(1, 2))
            else:
                Y[:, i, j] = window.sum(dim=(1, 2)) / (k_h * k_w)
    return Y[0] if X.dim() == 2 else Y
