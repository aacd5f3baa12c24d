"""The worker's world (``autograder/worker/world.py``) without a worker: which distributions a
worker sees, which module names are private, and the removal of what a worker left behind
(the zygote's last resort where a worker has no mount namespace of its own)."""
from __future__ import annotations

import os
import site
import stat

from autograder.worker import world


def test_only_torch_numpy_and_their_requirements():
    entries = world.site_entries(site.getsitepackages())
    names = world._top_names(entries)
    assert {"torch", "numpy"} <= names
    assert not {"scipy", "PIL", "sklearn", "matplotlib", "hypothesis", "autograder"} & names


def test_private_names():
    for name in ("torch._decomp", "torch._refs.nn.functional", "numpy.lib._arraypad_impl",
                 "numpy._core.multiarray", "torch._C"):
        assert world._private(name), name
    for name in ("torch", "torch.nn.functional", "numpy.linalg", "torch.__config__", "_thread",
                 "collections._x"):
        assert not world._private(name), name


def _deep(top, levels, name="d"):
    os.mkdir(top)
    here = os.getcwd()
    os.chdir(top)
    try:
        for _ in range(levels):
            os.mkdir(name)
            os.chdir(name)
        with open("answer.py", "w") as f:
            f.write("x")
    finally:
        os.chdir(here)


def test_remove_tree_deep_long_unreadable(tmp_path):
    """A tree 1,100 levels deep (a recursive removal stops at Python's recursion limit), names
    of 255 characters, folders and files of mode 000, a link out of the tree: gone, the link's
    target untouched."""
    top = tmp_path / "w1"
    _deep(str(top), 1100)
    long = top / ("L" * 255) / ("M" * 255)
    os.makedirs(long / "vault")
    (long / "vault" / "answer.py").write_text("x")
    os.chmod(long / "vault" / "answer.py", 0)
    os.chmod(long / "vault", 0)
    os.chmod(long, 0)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    os.symlink(outside, top / "link")
    here = os.getcwd()
    assert world.remove_tree(str(top)) is True
    assert not os.path.lexists(top)
    assert (outside / "keep").read_text() == "keep"
    assert os.getcwd() == here


def test_remove_tree_says_when_it_cannot(tmp_path):
    """A folder that cannot be removed is reported, not swallowed: here one whose parent may not
    be written (only where the test does not run as root, which may always write)."""
    assert world.remove_tree(str(tmp_path / "absent")) is True
    if os.geteuid() == 0:
        return
    top = tmp_path / "w1"
    (top / "a").mkdir(parents=True)
    os.chmod(tmp_path, stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert world.remove_tree(str(top)) is False
    finally:
        os.chmod(tmp_path, 0o700)
