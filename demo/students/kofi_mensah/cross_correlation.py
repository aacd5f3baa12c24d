"""Endless loop: learn_kernel counts epochs with a while loop and never increments the
counter, so it never returns.  corr2d and Conv2D are right."""
def corr2d(X, K):
    k_h, k_w = K.shape
    rows = []
    for i in range(X.shape[0] - k_h + 1):
        row = [(X[i:i + k_h, j:j + k_w] * K).sum() for j in range(X.shape[1] - k_w + 1)]
        rows.append(torch.stack(row))
    return torch.stack(rows)


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    epoch = 0
    while epoch < num_epochs:
        l = ((corr2d(X, K) - Y) ** 2).sum()
        (g,) = torch.autograd.grad(l, K)
        with torch.no_grad():
            K -= lr * g
    return K.detach()
