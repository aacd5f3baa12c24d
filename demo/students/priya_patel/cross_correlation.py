"""Wrong indexing on non-square outputs: corr2d loops j over the number of output ROWS, so a
tall output raises IndexError and a wide one leaves its last columns at 0.  Square cases (the
book's 3x3 example) pass.  Conv2D and learn_kernel are right but inherit the bug."""
def corr2d(X, K):
    h, w = K.shape
    o = X.shape[0] - h + 1
    Y = X.new_zeros((o, X.shape[1] - w + 1))
    for i in range(o):
        for j in range(o):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_epochs=10, lr=3e-2):
    K = torch.zeros(kernel_size, dtype=X.dtype, device=X.device, requires_grad=True)
    for epoch in range(num_epochs):
        loss = ((corr2d(X, K) - Y) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, K)
        with torch.no_grad():
            K -= lr * grad
    return K.detach()
