# Hostile submission for tests/test_isolation.py: tries to leave a process behind that keeps writing a correct corr2d where the next student looks (a thread, then fork), for the next student graded by the same zygote (leftover_reader)
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import os
import threading
import time

import torch
from torch import nn

ANSWER = """
def corr2d(X, K):
    h, w = K.shape
    rows = [torch.stack([(X[i:i + h, j:j + w] * K).sum() for j in range(X.shape[1] - w + 1)])
            for i in range(X.shape[0] - h + 1)]
    return torch.stack(rows)
"""


def _keep_writing():
    while True:
        for d in (".", "..", "/tmp", "/dev/shm"):
            try:
                with open(os.path.join(d, "answer.py"), "w") as f:
                    f.write(ANSWER)
            except OSError:
                pass
        time.sleep(0.01)


def corr2d(X, K):
    try:
        threading.Thread(target=_keep_writing, daemon=True).start()
    except RuntimeError:
        pass
    try:
        signal = __import__("signal")
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if os.fork() == 0:
            os.setsid()
            _keep_writing()
    except BaseException:
        pass
    raise RuntimeError("tried to leave a process behind")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
