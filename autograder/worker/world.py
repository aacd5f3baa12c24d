"""The worker's world: what student code can see and import, and what it can leave behind.

Owns, for every worker (issue 20, items 2 and 4):

- **Which installed libraries exist for student code.** ``ALLOWED`` (torch with what it requires,
  numpy) and the standard library, nothing else: ``site_entries`` names the site-packages entries
  of those distributions, the only ones the sandbox mounts (``autograder.sandbox.isolation``); scipy,
  Pillow, scikit-learn and the rest of the environment are not there. The kit loads its own data
  (LeNet's digits, the notebooks' photo) in the grader or in the notebook, never in a worker.
- **The import policy** (``activate``, after the fork and before the submission's first line; it
  holds in ``process`` isolation too, where the whole environment is on disk):
  a module outside those libraries and the standard library is not imported; a native extension
  module is loaded only from the file it was installed as, under its own dotted name, and once
  (scipy's ``_nd_image`` or numpy's ``_multiarray_umath`` under an alias, or a second copy, is
  refused); a private module of torch or numpy (a dotted name with a ``_name`` part:
  ``torch._decomp``, ``torch._refs``, ``numpy.lib._arraypad_impl``) is imported only by torch's and
  numpy's own code, never on behalf of the student's (import statements, ``__import__``,
  ``importlib.import_module``, ``from torch import _C``). Refusals are ``ImportError``s.
- **A private workspace per worker** (``private_workspace``): its own mount namespace in which
  every writable mount the worker could reach is read-only and a fresh, size-bounded tmpfs,
  mounted over the zygote's folder of workers (hiding every other worker's folder), holds the
  worker's own folder. The namespace, and everything written in it (a tree 1,100 levels deep,
  long names, unreadable folders), ends with the worker's last process; nothing of it exists in
  the zygote's view. Where no mount namespace can be had, ``remove_tree`` removes the folder
  whatever it holds and says whether it is gone, and the zygote retires if it is not.

What this does not do: an already imported private module stays reachable through attributes
(``numpy.lib._arraypad_impl``, ``sys.modules``, a function's ``__globals__``); Python cannot
seal that off. What a helper found that way computes is still met by the rules on what the
student's code calls (``enforce``, ``guard``).
"""
from __future__ import annotations

import ctypes
import os
import re
import sys

ALLOWED = ("torch", "numpy")          # distributions student code may use (with their requirements)
PRIVATE_OF = frozenset({"torch", "numpy", "functorch", "torchgen"})
WORKSPACE_BYTES = 64 << 20            # one worker's tmpfs
WORKSPACE_INODES = 4096               # its files and folders (a tree 1,100 deep fits)

# mount(2) flags, unshare(2) flags
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = 0x40000000, 0x08000000, 0x04000000
# File systems left as they are: kernel views (never a channel: not writable by a worker) and
# what a read-only remount would break (device nodes bound from the host's devtmpfs: a GPU's).
_KEEP_FS = {"proc", "sysfs", "devtmpfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs",
            "securityfs", "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "binfmt_misc",
            "autofs", "nsfs"}

_libc = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------------------------------------
# which libraries: computed where the environment is visible (the grader, the zygote)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distributions(site_dirs):
    from importlib import metadata
    found = {}
    for dist in metadata.distributions(path=list(site_dirs)):
        name = _norm(dist.metadata["Name"] or "")
        if name and name not in found:
            found[name] = dist
    wanted, todo = [], [_norm(n) for n in ALLOWED]
    while todo:
        name = todo.pop()
        if name in wanted or name not in found:
            continue
        wanted.append(name)
        for req in found[name].requires or []:
            if "extra ==" in req.replace('"', "'").replace(" ", " "):
                continue
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if m:
                todo.append(_norm(m.group(1)))
    return [found[n] for n in wanted]


def site_entries(site_dirs) -> dict[str, list[str]]:
    """``{site dir: [top-level entries]}``: the files and folders of the allowed distributions
    (their packages, modules, ``.libs`` and ``.dist-info`` folders) in each site dir."""
    out: dict[str, set] = {}
    dirs = [os.path.realpath(d) for d in site_dirs if os.path.isdir(d)]
    for dist in _distributions(dirs):
        base = os.path.realpath(str(dist.locate_file("")))
        for f in dist.files or []:
            first = str(f).split("/", 1)[0]
            if first in ("..", "", ".", "__pycache__") or first.endswith(".pth"):
                continue
            if os.path.lexists(os.path.join(base, first)):
                out.setdefault(base, set()).add(first)
    return {d: sorted(v) for d, v in out.items()}


def _top_names(entries: dict) -> set[str]:
    names = set()
    for items in entries.values():
        for e in items:
            if e.endswith((".dist-info", ".egg-info", ".libs", ".data", ".pth")):
                continue
            names.add(e.split(".", 1)[0])
    return names


# ---------------------------------------------------------------------------------------------
# the import policy (in the worker)


def _private(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in PRIVATE_OF and any(
        p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts[1:])


def prepare(site_dirs, own_dir: str):
    """In the zygote, once (reading the environment's metadata takes about a second): the
    import policy every worker installs with ``activate(policy)``. ``site_dirs``: the
    site-packages folders on the path; ``own_dir``: the worker package's folder."""
    import importlib.machinery as machinery
    import sysconfig

    entries = site_entries(site_dirs)
    allowed = _top_names(entries) | set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    allowed |= {m.split(".", 1)[0] for m in list(sys.modules)}   # what the zygote itself loaded
    # Where a library's own code lives: its imports of its private modules are its business.
    # (under the site dir's name as given and as resolved: code objects carry either)
    homes = {os.path.realpath(d): {d, os.path.realpath(d)} for d in site_dirs}
    library = tuple(os.path.join(h, e) + ("/" if os.path.isdir(os.path.join(d, e)) else "")
                    for d, items in entries.items() for h in homes.get(d, {d}) for e in items
                    if e.split(".", 1)[0] in PRIVATE_OF)
    library += (os.path.realpath(own_dir) + "/", own_dir.rstrip("/") + "/")
    # Every file a worker may run Python code from: the allowed distributions, the standard
    # library, the worker package.
    code_roots = tuple(os.path.join(h, e) + ("/" if os.path.isdir(os.path.join(d, e)) else "")
                       for d, items in entries.items() for h in homes.get(d, {d}) for e in items)
    code_roots += library[-2:]
    # The roots native extension modules may be loaded from: the allowed entries, the standard
    # library's own folders.
    std = {os.path.realpath(p) for k in ("stdlib", "platstdlib")
           for p in [sysconfig.get_paths().get(k)] if p}
    std |= {os.path.join(p, "lib-dynload") for p in list(std)}
    roots = [(d, frozenset(items)) for d, items in entries.items()] + \
            [(d, None) for d in sorted(std) if os.path.isdir(d)]
    suffixes = tuple(sorted(machinery.EXTENSION_SUFFIXES, key=len, reverse=True))
    code_roots += tuple(d + "/" for d in sorted(std))
    # The base installation's own packages live inside the standard library's folder: not it.
    not_std = tuple(f"{d}/{sub}/" for d in sorted(std) for sub in ("site-packages",
                                                                 "dist-packages"))
    return {"allowed": frozenset(allowed), "library": library, "roots": roots,
            "suffixes": suffixes, "code_roots": code_roots, "not_std": not_std}


def activate(policy) -> None:
    """Install the import policy (from ``prepare``) in this worker: see the module's docstring."""
    import builtins
    import importlib

    allowed, library, roots, suffixes = (policy["allowed"], policy["library"], policy["roots"],
                                         policy["suffixes"])
    code_roots, not_std = policy["code_roots"], policy["not_std"]
    importlib_dir = os.path.dirname(importlib.__file__) + "/"
    machinery_files = (importlib_dir, os.path.realpath(__file__))
    modules, getframe, realpath = sys.modules, sys._getframe, os.path.realpath

    def requester_is_library(frame) -> bool:
        """Whether the code asking for an import (past the import machinery) is torch's,
        numpy's or the worker's own."""
        while frame is not None:
            fn = frame.f_code.co_filename
            if fn.startswith("<frozen") or fn.startswith(machinery_files):
                frame = frame.f_back
                continue
            return fn.startswith(library)
        return True

    def extension_ok(name: str, filename: str) -> bool:
        if name in modules:
            return False        # a second copy: without the first one's replaced routines
        real = realpath(filename)
        if real.startswith(not_std):
            return False
        for root, items in roots:
            if not real.startswith(root + "/"):
                continue
            rel = real[len(root) + 1:]
            if items is not None and rel.split("/", 1)[0] not in items:
                return False
            for suffix in suffixes:
                if rel.endswith(suffix):
                    return rel[:-len(suffix)].replace("/", ".") == name
            return False
        return False

    def module_name(filename: str) -> str:
        for root, _ in roots:
            if filename.startswith(root + "/"):
                return filename[len(root) + 1:].rsplit(".", 1)[0].replace("/", ".")
        return ""

    def hook(event, args):
        if event == "exec" and args:
            # A module's code run by hand (a loader of the student's, ``exec_module`` on a spec
            # of their own): the import events above are not raised for it.
            code = args[0]
            filename = getattr(code, "co_filename", None)
            if getattr(code, "co_name", None) != "<module>" or not isinstance(filename, str) \
                    or not filename.startswith("/"):
                return
            if not filename.startswith(code_roots) or realpath(filename).startswith(not_std):
                raise ImportError(f"running {filename:.200} is not allowed in graded code (only "
                                  f"torch, numpy and the standard library are available)")
            name = module_name(realpath(filename))
            if _private(name) and not permitted and not requester_is_library(getframe(1)):
                raise ImportError(_private_text(name))
            return
        if event != "import" or not args:
            return
        name, filename = args[0], args[1] if len(args) > 1 else None
        if not isinstance(name, str):
            return
        if filename is not None:
            if not (isinstance(filename, str) and extension_ok(name, filename)):
                raise ImportError(f"loading the native module {filename!s:.200} as {name!r} is "
                                  f"not allowed in graded code: native modules load only from "
                                  f"where they were installed, under their own names")
            return
        if name.split(".", 1)[0] not in allowed:
            raise ImportError(f"importing {name} is not allowed in graded code (only torch, "
                              f"numpy and the standard library are available)")

    sys.addaudithook(hook)

    # Every import statement, and every import C code makes (``PyImport_Import``), comes here:
    # private names are checked where student code asks for them (loaded modules pass no audit
    # event). C code's imports (TorchScript's ``torch._jit_internal``, numpy's extension modules
    # importing its core) come with ``fromlist=[]``, a list (Python's import statements pass
    # None or a tuple), and run on behalf of the library, whatever Python frame is on top: they
    # pass. (A student who calls ``__import__`` so gets a module that ``sys.modules`` holds
    # anyway: see the module's docstring.)
    original_import, original_import_module = builtins.__import__, importlib.import_module
    permitted = 0           # > 0 while an import this gate let through runs (its module's code)

    def gate(name, globals=None, locals=None, fromlist=(), level=0):
        nonlocal permitted
        if level == 0 and isinstance(name, str) and name.split(".", 1)[0] in PRIVATE_OF and \
                not (type(fromlist) is list and not fromlist):
            asked = [name] + [f"{name}.{x}" for x in (fromlist or ()) if isinstance(x, str)]
            for full in asked:
                if _private(full) and not requester_is_library(getframe(1)):
                    raise ImportError(_private_text(full))
        permitted += 1
        try:
            return original_import(name, globals, locals, fromlist, level)
        finally:
            permitted -= 1

    def import_module(name, package=None):
        if isinstance(name, str) and not name.startswith(".") and \
                name.split(".", 1)[0] not in allowed:
            raise ImportError(f"importing {name} is not allowed in graded code (only torch, "
                              f"numpy and the standard library are available)")
        if isinstance(name, str) and _private(name) and not requester_is_library(getframe(1)):
            raise ImportError(_private_text(name))
        return original_import_module(name, package)

    builtins.__import__ = gate
    importlib.import_module = import_module


def _private_text(name: str) -> str:
    return (f"importing {name} is not allowed in graded code: it is a private module of "
            f"{name.split('.', 1)[0]} (use the public functions)")


# ---------------------------------------------------------------------------------------------
# the workspace


def _mount(source, target, fstype, flags, data) -> None:
    enc = lambda s: None if s is None else s.encode()
    if _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                   enc(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {target}: {os.strerror(e)}")


def _mounts() -> list[tuple[str, str, set]]:
    """(mount point, file system type, per-mount options) of this mount namespace."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            out.append((point, right.split()[0], set(fields[5].split(","))))
    return out


_FLAG_OF = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
            "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}


def _read_only_everywhere(keep: str) -> None:
    """Every writable mount of this (private) namespace read-only, but ``keep``'s."""
    for point, fstype, opts in _mounts():
        if "rw" not in opts or fstype in _KEEP_FS or point == keep or point.startswith("/proc"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for opt, flag in _FLAG_OF.items():
            if opt in opts:
                flags |= flag
        try:
            _mount(None, point, None, flags, None)
        except OSError:
            pass        # a mount the kernel will not change (checked below by what is writable)


def _map_ids(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _drop_capabilities() -> None:
    """No capability left in the worker's user namespace (it could remount what we made
    read-only)."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    for cap in range(64):
        _libc.prctl(24, ctypes.c_ulong(cap), 0, 0, 0)        # PR_CAPBSET_DROP
    data = (Data * 2)()
    if _libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capset: {os.strerror(e)}")


def private_workspace(base: str, folder: str, owner: int | None) -> bool:
    """Give this worker (forked, before student code) its own mount namespace: every writable
    mount read-only, a fresh tmpfs over ``base`` (the zygote's folder of workers) owned by
    ``owner`` (a uid, or None for this process's own), and ``folder`` (inside ``base``) made in
    it as the cwd. Returns False, changing nothing, where no mount namespace can be had (no
    privilege and no user namespaces): the caller then uses a plain folder."""
    uid, gid = os.getuid(), os.getgid()
    root = os.geteuid() == 0
    if root:
        if _libc.unshare(ctypes.c_int(CLONE_NEWNS)) != 0:
            return False
    else:
        # A user namespace of its own (the same uid mapped to itself): what lets an
        # unprivileged worker mount; its network, IPC and hostname go with it.
        flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
        if _libc.unshare(ctypes.c_int(flags)) != 0:
            return False
        _map_ids(uid, gid)
    # The tmpfs first: if the kernel refuses it, nothing else has changed yet and the caller's
    # plain folder still works.
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
        _mount("convkit-workspace", base, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={WORKSPACE_BYTES},nr_inodes={WORKSPACE_INODES},mode=0711,"
               f"uid={0 if root else uid},gid={0 if root else gid}")
    except OSError:
        return False
    _read_only_everywhere(keep=base)
    who = uid if owner is None else owner
    os.mkdir(folder, 0o700)
    os.chown(folder, who, who if owner is not None else gid)
    os.chdir(folder)
    if not root:
        _drop_capabilities()
    return True


def remove_tree(path: str) -> bool:
    """Remove ``path`` and everything under it, however deep (no recursion, no path longer
    than one name: it walks with ``chdir``), however named, whatever the modes (a folder with
    mode 000 is opened up first); True when it is gone."""
    if not os.path.lexists(path):
        return True
    here = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return not os.path.lexists(path)
        parent, name = os.path.split(os.path.abspath(path))
        os.chdir(parent)
        # Invariant: the cwd is the folder that holds ``stack[-1]``.
        stack = [name]
        while stack:
            top = stack[-1]
            try:
                os.chmod(top, 0o700)      # a folder, never a link (see below)
            except OSError:
                pass
            os.chdir(top)
            sub = None
            with os.scandir(".") as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        sub = entry.name
                    else:
                        os.unlink(entry.name)
            if sub is not None:
                stack.append(sub)
                continue
            os.chdir("..")
            os.rmdir(top)
            stack.pop()
            if stack:
                os.chdir("..")
        return not os.path.lexists(os.path.join(parent, name))
    except OSError:
        return False
    finally:
        os.fchdir(here)
        os.close(here)
