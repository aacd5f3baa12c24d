"""Raises on non-square channel counts: corr2d_multi_in_out_1x1 reshapes K to (c_i, c_o)
instead of (c_o, c_i), so the matrix product fails with a RuntimeError unless c_i == c_o (where
it happens to be right).  The other two exercises are right."""
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_i, c_o))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
