"""Broken autograd: corr2d_multi_in collects the per-channel results with .tolist() and builds a
new tensor with torch.tensor(...), so values, dtype and device are right but no gradient flows;
corr2d_multi_in_out stacks it and inherits the problem.  The 1x1 matrix product is right."""
def corr2d_multi_in(X, K):
    per_channel = [corr2d(x, k).tolist() for x, k in zip(X, K)]
    return torch.tensor(per_channel, dtype=X.dtype, device=X.device).sum(dim=0)


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    return (K.reshape((c_o, c_i)) @ X.reshape((c_i, h * w))).reshape((c_o, h, w))
