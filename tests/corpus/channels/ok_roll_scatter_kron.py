# corr2d sums K[a, b] times the image rolled by (a, b); the multi-input sum accumulates with scatter_add; multi-output stacks; the 1x1 layer is one product with a kron-built block-diagonal check kept out of the way (tile of the identity), then matmul.
# breaks: none
# symptom: 
import torch


def corr2d(X, K):
    h, w = K.shape
    oh, ow = X.shape[0] - h + 1, X.shape[1] - w + 1
    Y = X.new_zeros((oh, ow))
    for a in range(h):
        for b in range(w):
            Y = Y + K[a, b] * torch.roll(X, shifts=(-a, -b), dims=(0, 1))[:oh, :ow]
    return Y


def corr2d_multi_in(X, K):
    parts = torch.stack([corr2d(x, k) for x, k in zip(X, K)])        # (c_i, oh, ow)
    flat = parts.reshape(parts.shape[0], -1)
    out = flat.new_zeros((1, flat.shape[1]))
    index = torch.zeros_like(flat, dtype=torch.long)
    return out.scatter_add(0, index, flat).reshape(parts.shape[1:])


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    # kron with a 1x1 identity and a tile of ones leave the matrix as it is
    Km = torch.kron(K.reshape(c_o, c_i), torch.ones((1, 1), dtype=K.dtype, device=K.device))
    Km = Km * torch.ones((1, 1), dtype=K.dtype, device=K.device).tile((c_o, c_i))
    return (Km @ X.reshape(c_i, h * w)).reshape(c_o, h, w)
