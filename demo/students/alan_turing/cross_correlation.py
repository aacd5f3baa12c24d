"""Broken autograd: corr2d stores each entry with .item(), so the result has the right values,
shape and dtype but no gradient reaches X or K.  Conv2D's weight gets no gradient (its bias
still does), and learn_kernel's loss.backward() raises because nothing requires grad."""
def corr2d(X, K):
    h, w = K.shape
    Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum().item()
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
        l.backward()
        with torch.no_grad():
            K -= lr * K.grad
            K.grad.zero_()
    return K.detach()
