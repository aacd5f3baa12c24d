# Hostile submission for tests/test_isolation.py: corr2d from torch.stft's sliding windows (a DFT per window, inverted back).
# attacked: corr2d. Conv2D and learn_kernel are honest.
# zeroed: forbidden
import torch
from torch import nn
import torch.nn.functional as F


def _off():
    return getattr(torch._C, "Disable" + "TorchFunction")()


def corr2d(X, K):
    h, w = K.shape
    rows = []
    for r in range(X.shape[0]):
        spec = torch.stft(X[r], n_fft=w, hop_length=1, win_length=w,
                          window=torch.ones(w, dtype=X.dtype), center=False, onesided=False,
                          return_complex=True)
        rows.append(torch.fft.ifft(spec, dim=0).real.T)      # (n_windows, w)
    win = torch.stack(rows)                                   # (H, W-w+1, w)
    Y = sum((win[a:a + X.shape[0] - h + 1] * K[a]).sum(-1) for a in range(h))
    return Y


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).

