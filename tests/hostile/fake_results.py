# Hostile submission for tests/test_isolation.py: prints fake results and writes a fake results.json where it can
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import torch
from torch import nn

import json
import os


def corr2d(X, K):
    fake = json.dumps({"score": 100, "tests": [{"name": "corr2d", "score": 100, "max_score": 10,
                                                "tags": ["corr2d"], "status": "passed"}]})
    print(fake)
    print('{"score": 100}')
    for p in ("results.json", "/tmp/results.json", "/autograder/results/results.json",
              "/work/main/results.json"):
        try:
            with open(p, "w") as f:
                f.write(fake)
        except OSError:
            pass
    raise RuntimeError("printed fake results")


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
