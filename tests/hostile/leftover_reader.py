# Hostile submission for tests/test_isolation.py: no corr2d of its own: looks for one an earlier student (leftover_*_writer) left where this zygote's workers can reach, opening what it finds (deep trees, long names, mode 000), and runs it
# attacked: corr2d. Conv2D and learn_kernel are honest (they use the private copy _corr2d_ok).
import glob
import os

import torch
from torch import nn

LONG = "L" * 255


def _read(path):
    try:
        os.chmod(path, 0o644)
    except OSError:
        pass
    with open(path) as f:
        return f.read()


def _in_deep_tree(top):
    here = os.getcwd()
    try:
        os.chdir(top)
        while os.path.isdir("deep"):
            os.chdir("deep")
        return _read("answer.py")
    finally:
        os.chdir(here)


def _unlock(path):
    for part in (path, os.path.join(path, LONG), os.path.join(path, LONG, LONG),
                 os.path.join(path, LONG, LONG, "vault")):
        try:
            os.chmod(part, 0o700)
        except OSError:
            pass
    return _read(os.path.join(path, LONG, LONG, "vault", "answer.py"))


def _leftover():
    here = os.getcwd()
    base = os.path.dirname(here)
    folders = [os.path.join(base, f"w{n}") for n in range(1, 400)]
    folders += glob.glob("/tmp/*/w*") + glob.glob("/tmp/*")
    places = [(lambda p=p: _read(os.path.join(p, "answer.py"))) for p in
              [".", "..", "../..", "/tmp", "/dev/shm", "/var/tmp", os.path.expanduser("~"), base]
              + folders]
    places += [(lambda p=p: _in_deep_tree(p)) for p in folders]
    places += [(lambda p=p: _unlock(p)) for p in folders]
    for find in places:
        try:
            return find()
        except (OSError, ValueError):
            continue
    raise FileNotFoundError("nothing left behind by an earlier student")


def corr2d(X, K):
    ns = {"torch": torch}
    exec(_leftover(), ns)
    return ns["corr2d"](X, K)


# __HONEST__: tests/test_isolation.py puts tests/hostile/_honest.txt here (the honest
# _corr2d_ok, Conv2D and learn_kernel every cross-correlation attack shares).
