"""Flipped kernel: corr2d computes a true convolution (K rotated by 180 degrees), the book's
example gives [[5, 11], [23, 29]] instead of [[19, 25], [37, 43]].  Conv2D and learn_kernel are
right but call the flipped corr2d, so their values are off too (learn_kernel finds [[-1, 1]])."""
def corr2d(X, K):
    # a convolution flips the kernel, so flip it first
    K = torch.flip(K, dims=(0, 1))
    h, w = K.shape
    Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
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
    for i in range(num_epochs):
        l = ((corr2d(X, K) - Y) ** 2).sum()
        (g,) = torch.autograd.grad(l, K)
        with torch.no_grad():
            K -= lr * g
    return K.detach()
