# pad2d writes X into zeros with index_put at broadcast (expanded) row and column indices; corr2d_pad_stride gathers every window with advanced indexing and multiplies by the expanded kernel.
# breaks: none
# symptom: 
import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = _pair(input_size)
    k_h, k_w = _pair(kernel_size)
    p_h, p_w = _pair(padding)
    s_h, s_w = _pair(stride)
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)


def pad2d(X, padding):
    p_h, p_w = _pair(padding)
    n_h, n_w = X.shape
    Y = X.new_zeros((n_h + 2 * p_h, n_w + 2 * p_w))
    rows = (torch.arange(n_h, device=X.device) + p_h)[:, None].expand(n_h, n_w)
    cols = (torch.arange(n_w, device=X.device) + p_w)[None, :].expand(n_h, n_w)
    return Y.index_put((rows, cols), X)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    s_h, s_w = _pair(stride)
    Xp = pad2d(X, padding)
    k_h, k_w = K.shape
    o_h, o_w = conv_output_shape(Xp.shape, K.shape, 0, stride)
    r = (torch.arange(o_h, device=X.device) * s_h)[:, None] + torch.arange(k_h, device=X.device)
    c = (torch.arange(o_w, device=X.device) * s_w)[:, None] + torch.arange(k_w, device=X.device)
    windows = Xp[r[:, None, :, None], c[None, :, None, :]]          # (o_h, o_w, k_h, k_w)
    return (windows * K.expand(o_h, o_w, k_h, k_w)).sum((-1, -2))
