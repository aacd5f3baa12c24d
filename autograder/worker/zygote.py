"""The zygote: imports torch once, then forks one hardened worker per submission.

Started by the grader (``autograder.sandbox.isolation``), inside bubblewrap for ``--isolation sandbox`` or
as a plain child process for ``--isolation process``. It is run from this package alone (mounted or
loaded under the name ``convkit_worker``), so it never sees the checks, the oracle or the
solutions, and it imports nothing outside this package besides the standard library, torch and
numpy.

Control protocol (a ``SOCK_SEQPACKET`` unix socket, one JSON object per packet, one order at a
time; the grader always waits for the answer):

- zygote -> grader, once started: ``{"ready": true, "pid", "uid"}``
- ``{"op": "spawn", "device"}`` with one socket fd attached (SCM_RIGHTS): fork a worker that serves
  requests on that socket; answer ``{"pid": n}``.
- ``{"op": "kill", "pid", "grace"}``: wait up to ``grace`` s for the worker to end by itself, then
  SIGKILL its whole process group, reap it and remove its folder; answer ``{"pid", "status"}``
  (``status`` as ``os.waitstatus_to_exitcode``: negative for a signal).
- end of file on the control socket: kill and reap every worker, remove their folders, exit.

Before the first fork the zygote installs the dispatcher kernels that refuse forbidden routines
(``enforce.prepare``, about 0.5 s once); each ``spawn`` order names the exercise's forbidden
categories, and each worker gets a report pipe (write end at ``enforce.REPORT_FD``, read end kept
here) on which a refusal names the routine before the worker exits with
``enforce.VIOLATION_EXIT``; ``kill`` answers with what was written there (``"report"``).

The worker (the forked child), before any student code runs: its own session and process group,
its own IPC, network and UTS namespaces (as root in the sandbox: the zygote keeps CAP_SYS_ADMIN
for this, and the worker loses it with the uid change), no fd but its channel and report pipe (stdin/stdout/stderr on /dev/null, so prints go nowhere), resource limits
(CPU time, address space on CPU, no new processes or threads, small files, few fds, no core
dumps), a private empty folder as cwd holding only the submission's source, the ``nobody`` user
with no groups and ``PR_SET_NO_NEW_PRIVS`` when the zygote runs as root, a parent-death signal, and
an empty ``os.environ``, then ``enforce.activate`` (the exercise's extra categories and the audit
hook). Then it runs the cells (``execute.load_source``), sends
``{"ready": true, "problems": [...]}`` and answers requests until the grader hangs up
(``serve.serve``).

When not root (a student's laptop, an instructor without root), the worker keeps the caller's
uid: under bubblewrap it is still confined by the user, pid, network and mount namespaces, but it
can signal the zygote (the grader notices and starts a new one); in ``process`` mode it can read
whatever that user can read and signal that user's processes: ``process`` isolation protects the
grade against accidents (hangs, crashes, floods, memory), not against a hostile student.

GPU workers: ``RLIMIT_AS`` breaks CUDA (it reserves huge virtual ranges), so it is not set for a
CUDA worker; the worker initialises CUDA itself after the fork (never the zygote) and before the
limits on processes are set (the driver starts threads). The memory of a GPU worker should be
bounded by a cgroup v2 memory limit instead: with a delegated cgroup, write the worker's pid into
a child cgroup whose ``memory.max`` is set (``systemd-run --scope -p MemoryMax=4G`` around the
grader does the same for the whole grader). This module does not do that; see the report in
``autograder/sandbox/isolation.py``.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import sys
import time

NOBODY = 65534
CPU_SECONDS = 60
MEMORY_HEADROOM = 3 << 30         # address space a CPU worker may add to what the zygote holds
FILE_SIZE = 1 << 20
OPEN_FILES = 64

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWUSER = 0x10000000

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg: int) -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                   ctypes.c_ulong(0)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")


def _unshare(flags: int) -> bool:
    return _libc.unshare(ctypes.c_int(flags)) == 0


def _vmsize() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


# ---------------------------------------------------------------------------------------------
# the worker (forked child)


def _harden(chan: int, folder: str, opts: dict, order: dict, report: int) -> None:
    """Everything between fork and the first line of student code. Raises on any failure."""
    from . import world
    from .enforce import REPORT_FD
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # too-large writes fail with EFBIG instead
    # Only the channel survives; 0, 1 and 2 point at /dev/null.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    # The write end of the report pipe (see ``enforce``) at a fixed number, above the fd limit.
    if chan == REPORT_FD:
        raise OSError("the channel took the report fd's number")
    if report != REPORT_FD:
        os.dup2(report, REPORT_FD)
        os.close(report)
    keep = {0, 1, 2, chan, REPORT_FD}
    if null not in keep:
        os.close(null)
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    if not os.path.isdir("/proc/self/fd"):
        os.closerange(3, chan)
        os.closerange(chan + 1, REPORT_FD)
        os.closerange(REPORT_FD + 1, 1 << 16)

    root = os.geteuid() == 0
    private_ns = False

    cuda = str(order.get("device", "cpu")).startswith("cuda")
    if cuda:
        import torch
        torch.cuda.init()       # before the limits: the driver opens files and starts threads

    # A private folder holding only the submission's source, as cwd: in a fresh tmpfs of this
    # worker's own mount namespace, where everything else it could write is read-only
    # (``world``); else a plain folder, which the zygote removes and checks after the worker.
    if not world.private_workspace(os.path.dirname(folder), folder, NOBODY if root else None):
        os.mkdir(folder, 0o700)
        if root:
            os.chown(folder, NOBODY, NOBODY)
        os.chdir(folder)
    elif not root:
        private_ns = True
    os.umask(0o077)
    if opts.get("unshare") and not opts.get("sandboxed") and not private_ns:
        # process mode: no network (and no shared IPC / hostname) where the kernel lets us cheaply
        # (an unprivileged worker with a workspace of its own has them already)
        _unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) if root else \
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)

    limits = [(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5)),
              (resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE)),
              (resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES)),
              (resource.RLIMIT_CORE, (0, 0))]
    if not cuda:
        headroom = int(opts.get("memory_headroom", MEMORY_HEADROOM))
        limits.append((resource.RLIMIT_AS, (_vmsize() + headroom,) * 2))
    for which, value in limits:
        soft, hard = resource.getrlimit(which)
        new = tuple(v if hard == resource.RLIM_INFINITY else min(v, hard) for v in value)
        resource.setrlimit(which, new)

    if root and opts.get("sandboxed"):
        # Each worker its own IPC and network namespaces (the zygote holds CAP_SYS_ADMIN for
        # this alone; the uid change below clears it): no System V or POSIX IPC object, no
        # abstract unix socket outlives this worker or is shared with the next student's.
        if not _unshare(CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS):
            raise OSError("could not give the worker its own IPC and network namespaces")
    if root:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise OSError("could not drop root")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    # After the uid change (which clears it): die with the zygote.
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != opts["zygote_pid"]:
        os._exit(70)
    # No new processes or threads: set last, as the uid change above counts against it.
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    os.environ.clear()


def _worker(chan: int, folder: str, opts: dict, order: dict, report: int) -> None:
    from . import enforce, execute, serve, wire, world
    try:
        _harden(chan, folder, opts, order, report)
    except BaseException:
        os._exit(71)
    sock = socket.socket(fileno=chan)
    try:
        first, _ = wire.recv(sock)
        text = lambda src: bytes(src.numpy()).decode("utf-8", "replace") if hasattr(src, "numpy") \
            else str(src)
        cells = [(str(name), text(src)) for name, src in first["cells"]]
        book = first.get("book")
        book = ([str(n) for n in book[0]], text(book[1])) if book else None
        call_cpu = float(first.get("call_cpu") or 0)
    except BaseException:
        os._exit(72)
    try:
        # The submission's own files, for a student who opens them; failures do not matter.
        with open("submission.py", "w", encoding="utf-8") as f:
            f.write("\n\n".join(src for _, src in cells)[:FILE_SIZE // 2])
    except BaseException:
        pass
    try:
        # What student code may import (``world``: an audit hook, so before ``enforce``'s,
        # which refuses any later one).
        world.activate(opts["world"])
    except BaseException:
        os._exit(74)
    try:
        # Last before the submission's first line: the exercise's own forbidden set and the
        # audit hook (whose refusals would also refuse the set-up above).
        # An empty list is an exercise that forbids nothing (composing nn layers), not the default.
        forbidden = order.get("forbidden")
        forbidden = tuple(enforce.DEFAULT if forbidden is None else forbidden)
        enforce.activate(forbidden)
    except BaseException:
        os._exit(73)
    serve.run(sock, cells, book, call_cpu, forbidden)


# ---------------------------------------------------------------------------------------------
# the zygote


class Zygote:
    def __init__(self, ctrl: socket.socket, opts: dict):
        self.ctrl = ctrl
        self.opts = opts
        self.children: dict[int, str] = {}
        self.reports: dict[int, int] = {}      # pid -> read end of its report pipe
        self.base = self._make_base()
        self.count = 0
        self.retire = False            # a worker's folder could not be removed: stop after this

    def _make_base(self) -> str:
        import tempfile
        base = tempfile.mkdtemp(prefix="convkit-")
        os.chmod(base, 0o711)          # workers may enter their own folder, not list the others
        return base

    def send(self, obj: dict) -> None:
        self.ctrl.send(json.dumps(obj).encode())

    def spawn(self, order: dict, fds: list[int]) -> dict:
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return {"error": "spawn needs exactly one fd"}
        chan = fds[0]
        self.count += 1
        # Never a path an earlier worker used; the worker makes it (see ``_harden``).
        folder = os.path.join(self.base, f"w{self.count}")
        if os.path.lexists(folder):
            return {"error": f"{folder} exists already"}
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                self.ctrl.close()
                os.close(report_r)
                _worker(chan, folder, self.opts, order, report_w)
            finally:
                os._exit(0)
        os.close(chan)
        os.close(report_w)
        self.children[pid] = folder
        self.reports[pid] = report_r
        return {"pid": pid}

    def kill(self, pid: int, grace: float = 0.0) -> dict:
        if pid not in self.children:
            return {"pid": pid, "status": None, "error": "no such worker"}
        status = None
        end = time.monotonic() + max(0.0, min(float(grace), 5.0))
        while True:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                break
            if time.monotonic() >= end:
                break
            time.sleep(0.005)
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        if status is None:
            _, st = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(st)
        # The worker's own tmpfs ended with it; a plain folder (no mount namespace to be had)
        # is removed here, whatever it holds, and must be gone: else this zygote retires, and
        # the grader starts a new one (a new /tmp under bubblewrap, a new folder otherwise).
        from . import world
        try:
            gone = world.remove_tree(self.children.pop(pid))
        except Exception:
            gone = False
        if not gone:
            self.retire = True
        return {"pid": pid, "status": status, "report": self._report(pid)}

    def _report(self, pid: int) -> str:
        """What the dead worker wrote on its report pipe (a forbidden routine's name), if any."""
        fd = self.reports.pop(pid, None)
        if fd is None:
            return ""
        try:
            os.set_blocking(fd, False)
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        finally:
            os.close(fd)
        return data.decode("utf-8", "replace").strip().splitlines()[-1][:200] if data.strip() else ""

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                self.kill(pid)
            except OSError:
                pass
        from . import world
        world.remove_tree(self.base)

    def serve(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.ctrl, 1 << 16, 4)
            except InterruptedError:
                continue
            except OSError:
                break
            if not data:
                for fd in fds:
                    os.close(fd)
                break
            try:
                order = json.loads(data)
                if order.get("op") == "spawn":
                    reply = self.spawn(order, fds)
                elif order.get("op") == "kill":
                    for fd in fds:
                        os.close(fd)
                    reply = self.kill(int(order["pid"]), order.get("grace", 0.0))
                else:
                    for fd in fds:
                        os.close(fd)
                    reply = {"error": f"unknown order {order.get('op')!r}"}
            except Exception as e:  # a fault of ours: say so, keep serving
                reply = {"error": f"{type(e).__name__}: {e}"}
            try:
                self.send(reply)
            except OSError:
                break
            if self.retire:
                break
        self.shutdown()


def _warm_up() -> None:
    """Run what honest submissions commonly reach, so torch's lazy imports (torch.optim pulls in
    torch._dynamo, sympy, cProfile: about 800 modules, 1 s) happen once here instead of in every
    worker; and so a worker that cannot read the Python installation (``process`` mode as root with
    Python under a private folder such as /root) still finds them imported."""
    try:
        import encodings.idna  # noqa: F401
        import torch
        from torch import nn
        K = nn.Parameter(torch.zeros(2, 2, dtype=torch.float64))
        opt = torch.optim.SGD([K], lr=0.1)
        X = torch.rand(5, 5, dtype=torch.float64, requires_grad=True)
        Y = X.as_strided((4, 4, 2, 2), (5, 1, 5, 1))
        loss = torch.einsum("ijkl,kl->ij", Y, K).sum() + torch.fft.rfft2(X).abs().sum()
        loss = loss + torch.stack([X, X]).sum() + (X @ X.T).trace()
        loss.backward()
        opt.step()
        opt.zero_grad()
        torch.autograd.grad((X * 2).sum(), X)
        torch.optim.Adam([K], lr=0.1).step()
    except Exception:
        pass


def main(ctrl_fd: int, opts: dict) -> None:
    # The zygote outlives no grader: when the grader's process ends, the kernel closes its end of
    # the control socket and ``serve`` kills every worker and returns. (No parent-death signal:
    # it would follow the grader *thread* that started us, not the process.)
    ctrl = socket.socket(fileno=ctrl_fd)
    os.environ.clear()
    import numpy  # noqa: F401  (imported once here, shared by every worker)
    import torch
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    from . import enforce, execute, guard, serve, wire, world  # noqa: F401
    _warm_up()
    # What every worker may import (read from the environment's metadata once, here).
    sites = [p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages",
                                                                        "dist-packages")]
    opts = dict(opts, world=world.prepare(sites, os.path.dirname(os.path.abspath(__file__))))
    # The dispatcher's refusing kernels, once for every worker to inherit (see ``enforce``).
    # ``floor``: the categories every worker of this zygote refuses (the grader starts another
    # zygote, with a smaller floor, for an exercise that allows some of the default ones).
    floor = opts.get("floor")
    enforce.prepare(tuple(enforce.DEFAULT if floor is None else floor))
    opts = dict(opts, zygote_pid=os.getpid())
    zygote = Zygote(ctrl, opts)
    # Everything made so far (torch, the refusing kernels) moves out of the collector's reach:
    # each worker's collections would otherwise walk it all again, and write to the inherited
    # pages they touch (the usual pre-fork step; it saves a few ms per worker).
    import gc
    gc.collect()
    gc.freeze()
    zygote.send({"ready": True, "pid": os.getpid(), "uid": os.geteuid()})
    zygote.serve()
    sys.exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
