"""Run a submission in an isolated worker process: the grader's side of the boundary.

``open_worker(cells, sandboxed, device)`` returns a transport (``.request(req) -> reply``,
``.pipeline(messages, name)`` for many requests in flight at once, ``.problems``,
``.close()``) whose requests are answered by ``worker.execute`` in a separate,
hardened process forked from a *zygote* (``worker/zygote.py``). The zygote imports torch once and
is started lazily, once per grader process (a parallel job is a process, so each gets its own) and
reused for every submission that process grades; forking a worker costs milliseconds.

- ``sandboxed=True`` (``--isolation sandbox``): the zygote runs under bubblewrap. Workers see only
  the Python installation and the virtual environment (read-only), the worker package alone
  (mounted as ``/opt/convkit/convkit_worker``), an empty ``/tmp``, their own ``/proc`` and a
  minimal ``/dev``; no network, no view of the grader's processes, IPC or environment. The
  repository (checks, solutions, gradebook, other submissions) is not mounted. As root, the
  zygote keeps only the capabilities it needs to drop each worker to ``nobody`` and to kill and
  clean up after it; without root, bubblewrap also creates a user namespace, and workers keep the
  caller's uid inside it (they can then signal the zygote: the next request starts a new one).
- ``sandboxed=False`` (``--isolation process``): the same zygote and the same hardened workers
  (own session, resource limits, ``nobody`` when root, no network when the kernel allows it),
  without a filesystem sandbox: for a student's ``make check`` on their own machine.

Everything a worker sends is read by ``wire.recv`` (validated JSON header plus raw tensor bytes,
never pickle) under a deadline. On a timeout, a crash, a malformed or over-large reply, the
request raises ``WorkerLost`` (its message follows "your code " in the student's report), the
worker's whole process group is killed and reaped, and the next request starts a fresh worker
that runs the submission's cells again. Each new name asked for (each exercise) also gets a fresh
worker, so a function that tampers with its own process (monkeypatches torch, changes globals)
cannot change the grade of the submission's other exercises. A submission whose cells hang or
crash while loading is not retried: every request then raises the same ``WorkerLost``.

Forbidden routines: each worker starts with the categories its exercise forbids below Python
(``forbidden={exercise: categories}``; a new set means a fresh worker). A worker that ends with
``enforce.VIOLATION_EXIT`` was stopped by the dispatcher's kernel or the audit hook: the request
raises ``ForbiddenUsed`` with the routine's name read from the worker's report pipe (by the
zygote, which alone holds its read end), during loading the submission is lost with that name.
A request with ``measure_cpu`` gets ``cpu_seconds``, the worker's CPU time for it read here from
``/proc`` (never a number the worker reports); in a pipeline such a request runs alone.

GPU memory: ``RLIMIT_AS`` cannot bound a CUDA worker (the driver reserves huge address ranges), so
a CUDA worker has no address-space limit here. Bound it with a cgroup v2 memory limit around the
grader (``systemd-run --scope -p MemoryMax=8G python -m autograder ...``) or per worker with a
delegated cgroup; neither is done by this module.
"""
from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..core.outcomes import ForbiddenUsed, WorkerHung, WorkerLost
from ..core.settings import LIMITS
from . import waiting
from ..worker.serve import call_budget
from ..worker import wire, world
from ..worker.enforce import DEFAULT as DEFAULT_FORBIDDEN
from ..worker.enforce import VIOLATION_EXIT


WORKER_DIR = Path(__file__).resolve().parents[1] / "worker"
SANDBOX_ROOT = "/opt/convkit"
SANDBOX_PACKAGE = "convkit_worker"

# Run the zygote from the worker package alone, loaded under the name ``convkit_worker``, with -S
# so no .pth file (an editable install's path hook back into the repository, say) is processed.
_BOOT = (
    "import sys, json, importlib.util as u\n"
    "pkg, fd, opts, paths = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])\n"
    "sys.path.extend(p for p in paths if p not in sys.path)\n"
    "spec = u.spec_from_file_location('convkit_worker', pkg + '/__init__.py', submodule_search_locations=[pkg])\n"
    "m = u.module_from_spec(spec); sys.modules['convkit_worker'] = m; spec.loader.exec_module(m)\n"
    "import convkit_worker.zygote as z\n"
    "z.main(fd, opts)\n"
)


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or (os.path.exists("/usr/bin/bwrap") and "/usr/bin/bwrap") or None


def _site_dirs() -> list[str]:
    """The import path entries the worker needs: the standard library and site-packages."""
    import site
    dirs = []
    for p in sys.path:
        if p and os.path.isdir(p) and (p.startswith((sys.prefix, sys.base_prefix, sys.exec_prefix))):
            dirs.append(p)
    for p in site.getsitepackages():
        if p not in dirs and os.path.isdir(p):
            dirs.append(p)
    return dirs


def _package_dirs() -> list[str]:
    """Every folder of installed packages this Python could import from (its own
    site-packages, the base installation's, the system's dist-packages), resolved."""
    import glob
    found = []
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr",
                                 "/usr/local")):
        for pattern in ("lib*/python3*/site-packages", "lib*/python3*/dist-packages",
                        "lib/python3/dist-packages"):
            for d in glob.glob(os.path.join(prefix, pattern)):
                rd = os.path.realpath(d)
                if os.path.isdir(rd) and rd not in found:
                    found.append(rd)
    return found


@functools.lru_cache(maxsize=1)
def _allowed_entries() -> dict:
    """``{site dir: [entries]}`` of the distributions a worker may see (``world.ALLOWED``)."""
    return world.site_entries(_site_dirs())


def _minimal_env() -> dict:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0"}


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def sandbox_argv(root: bool | None = None, cuda: bool = False) -> list[str]:
    """The bubblewrap command line (up to, not including, the program) for the zygote."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError(
            "--isolation sandbox needs bubblewrap, which is not installed: install it "
            "(`apt-get install bubblewrap`) or pass `--isolation process` knowingly (student code "
            "then runs without a filesystem sandbox and can read what this user can read).")
    root = os.geteuid() == 0 if root is None else root
    # No --die-with-parent: its parent-death signal follows the *thread* that started bubblewrap
    # (a short-lived thread that starts the zygote early would kill it). The zygote exits instead
    # when its control socket reaches end of file, which the kernel ensures when this process dies.
    argv = [bwrap, "--new-session", "--unshare-net", "--unshare-pid",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--clearenv"]
    for k, v in _minimal_env().items():
        argv += ["--setenv", k, v]
    if root:
        # No user namespace: the zygote must keep the power to drop each worker to nobody.
        argv += ["--cap-drop", "ALL"]
        # CAP_SYS_ADMIN: to give each worker its own IPC and network namespaces (it is gone in
        # the worker once it drops to nobody).
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
                    "CAP_FOWNER", "CAP_SYS_ADMIN"):
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user"]

    binds: list[tuple[str, str]] = []       # (source on the host, target in the sandbox)
    links: list[tuple[str, str]] = []       # (link text, path)
    for top in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin"):
        if os.path.islink(top):
            links.append((os.readlink(top), top))
        elif os.path.isdir(top):
            binds.append((top, top))
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
              "/etc/nsswitch.conf", "/etc/alternatives"):
        if os.path.exists(f):
            binds.append((os.path.realpath(f) if f == "/etc/localtime" else f, f))
    # The Python installation the venv's python resolves to, and the venv itself.
    for p in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))):
        for q in {p, os.path.realpath(p)}:
            if os.path.isdir(q) and not _under(q, [t for _, t in binds]):
                binds.append((q, q))
    for p in _site_dirs():
        rp = os.path.realpath(p)
        if not _under(rp, [t for _, t in binds]):
            binds.append((rp, rp))
    # /tmp is the zygote's: workers may write only inside their own folder there (no file left
    # for the next student to find), and all of it together is bounded. It is mounted first, so
    # that an environment living under /tmp (a checkout in /tmp, as CI may use) is bound inside
    # it rather than hidden by it.
    argv += ["--perms", "0755", "--size", str(LIMITS.sandbox_tmp_bytes), "--tmpfs", "/tmp"]
    targets = [t for _, t in binds] + [f"{SANDBOX_ROOT}/{SANDBOX_PACKAGE}"]
    parents = set()
    for t in targets:
        d = os.path.dirname(t)
        while d not in ("/", ""):
            parents.add(d)
            d = os.path.dirname(d)
    # bubblewrap makes the parents of bind targets 0700: an unprivileged worker could not reach
    # its own Python. Make them first, traversable.
    for d in sorted(parents, key=lambda x: (x.count("/"), x)):
        if not _under(d, [t for _, t in binds]):
            argv += ["--perms", "0755", "--dir", d]
    for text, path in links:
        argv += ["--symlink", text, path]
    for src, dst in binds:
        argv += ["--ro-bind", src, dst]
    argv += ["--ro-bind", str(WORKER_DIR), f"{SANDBOX_ROOT}/{SANDBOX_PACKAGE}"]
    # If the kit itself is installed inside a mounted site-packages (not an editable install),
    # hide it: the worker needs only the package mounted above.
    kit = str(Path(__file__).resolve().parents[1])
    if _under(kit, [t for _, t in binds]):
        argv += ["--tmpfs", kit]
    # Only what students may use (``worker.world``): every folder of installed packages this
    # Python could reach is an empty, read-only tmpfs holding the allowed distributions alone.
    hidden = []
    entries = _allowed_entries()
    for site in _package_dirs():
        if not _under(site, [t for _, t in binds]) or _under(site, hidden):
            continue
        hidden.append(site)
        argv += ["--perms", "0755", "--tmpfs", site]
        for entry in entries.get(site, ()):
            argv += ["--ro-bind", os.path.join(site, entry), os.path.join(site, entry)]
    argv += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp"]
    for site in hidden:
        argv += ["--remount-ro", site]
    if cuda:
        # The GPU's device nodes and what the driver reads in /sys (untested without a GPU here).
        import glob
        for node in sorted(glob.glob("/dev/nvidia*")):
            argv += ["--dev-bind", node, node]
        if os.path.isdir("/sys"):
            argv += ["--ro-bind", "/sys", "/sys"]
    return argv


def _exit_text(status) -> str:
    if status is None:
        return "exit status unknown"
    if status < 0:
        sig = -status
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = {signal.SIGKILL: "killed, perhaps for using too much memory",
               signal.SIGXCPU: "killed for using too much CPU time",
               signal.SIGSEGV: "a segmentation fault",
               signal.SIGABRT: "aborted",
               signal.SIGBUS: "a bus error"}.get(sig, name)
        return f"exit code {status}: {why}"
    if status == 0:
        return "exit code 0: it ended the process itself, with os._exit or by closing its channel"
    return f"exit code {status}"


def _violation_name(report: str) -> str:
    return report or "a forbidden routine (its name was not recorded: the report channel was " \
                     "closed or replaced, which is tampering too)"


def _violation_text(report: str) -> str:
    return f"the forbidden routine `{report}`" if report else _violation_name(report)


_MEASURE = b'"measure_cpu": true'


class ZygoteFailed(RuntimeError):
    pass


class Zygote:
    """One long-lived zygote process and its control socket."""

    def __init__(self, sandboxed: bool, memory_headroom: int | None = None, cuda: bool = False,
                 always_refused=DEFAULT_FORBIDDEN):
        self.sandboxed = sandboxed
        self.cuda = cuda
        self.lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ctrl = ours
        # ``always_refused``: the categories the zygote's dispatcher kernels refuse in every
        # worker (the worker's protocol calls it the floor).
        headroom = LIMITS.memory_headroom_bytes if memory_headroom is None else memory_headroom
        opts = {"sandboxed": sandboxed, "unshare": True, "memory_headroom": int(headroom),
                "floor": list(always_refused)}
        if sandboxed:
            pkg = f"{SANDBOX_ROOT}/{SANDBOX_PACKAGE}"
            prefix = sandbox_argv(cuda=cuda)
        else:
            pkg = str(WORKER_DIR)
            prefix = []
        python = sys.executable
        argv = prefix + [python, "-I", "-S", "-c", _BOOT, pkg, str(theirs.fileno()),
                         json.dumps(opts), json.dumps(_site_dirs())]
        log = os.environ.get("CONVKIT_ZYGOTE_LOG")
        self.t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                argv, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=open(log, "ab") if log else subprocess.DEVNULL,
                env=_minimal_env(), start_new_session=True, close_fds=True,
                cwd="/" if not sandboxed else None)
        finally:
            theirs.close()
        # Importing torch can take minutes of wall time on a loaded machine: the deadline is on
        # the zygote's waiting, not on wall time.
        start = waiting.Deadline(LIMITS.zygote_start_wait_s,
                                 functools.partial(waiting.busiest, self.proc.pid))
        hello = self._read(start)
        if not hello.get("ready"):
            self.close()
            raise ZygoteFailed(f"the worker zygote did not start: {hello}")
        self.pid_inside = hello.get("pid")
        self.uid = hello.get("uid")
        self.start_seconds = time.monotonic() - self.t0

    def _read(self, timeout) -> dict:
        """The zygote's next message, within ``timeout``: seconds, or a ``waiting.Deadline``."""
        deadline = timeout if isinstance(timeout, waiting.Deadline) else waiting.Deadline(timeout)
        try:
            data = _Deadline(self.ctrl, deadline).recv(1 << 16)
        except OSError as e:        # TimeoutError included
            self.close()
            raise ZygoteFailed(f"the worker zygote did not answer ({e or type(e).__name__})") from None
        if not data:
            code = self.proc.poll()
            self.close()
            raise ZygoteFailed(f"the worker zygote ended (exit code {code}); set CONVKIT_ZYGOTE_LOG "
                               f"to a file to see why")
        return json.loads(data)

    def alive(self) -> bool:
        return self.proc.poll() is None and self.ctrl.fileno() >= 0

    def spawn(self, chan: socket.socket, device: str, forbidden=DEFAULT_FORBIDDEN) -> int:
        order = {"op": "spawn", "device": device, "forbidden": list(forbidden)}
        with self.lock:
            try:
                socket.send_fds(self.ctrl, [json.dumps(order).encode()], [chan.fileno()])
            except OSError as e:
                self.close()
                raise ZygoteFailed(f"the worker zygote is gone ({e})") from None
            reply = self._read(LIMITS.zygote_control_wall_s)
        if "pid" not in reply:
            raise ZygoteFailed(f"the worker zygote could not fork: {reply.get('error')}")
        return int(reply["pid"])

    def kill(self, pid: int, grace: float = 0.0):
        """Kill the worker's process group, reap it; returns its exit status (None if unknown)
        and what it wrote on its report pipe (the forbidden routine that stopped it)."""
        with self.lock:
            try:
                self.ctrl.send(json.dumps({"op": "kill", "pid": pid, "grace": grace}).encode())
                reply = self._read(LIMITS.zygote_control_wall_s + grace)
                return reply.get("status"), str(reply.get("report") or "")[:200]
            except (OSError, ZygoteFailed):
                # The zygote is gone: under bubblewrap its pid namespace went with it; in process
                # mode every worker has a parent-death signal.
                self.close()
                return None, ""

    def close(self) -> None:
        try:
            self.ctrl.close()        # the zygote kills and reaps its workers, then exits
        except OSError:
            pass
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
                proc.wait()


_zygotes: dict = {}
_zygotes_lock = threading.Lock()


def refused_by_all(forbidden) -> tuple:
    """The zygote an exercise's workers come from: the one whose dispatcher refuses the default
    categories the exercise forbids (all of them, almost always; none for an exercise that lets
    students compose ``nn.Conv2d`` layers). Kernels a zygote installed are inherited by every
    worker and cannot be taken back, so an exercise that allows one needs a zygote without it."""
    return tuple(c for c in DEFAULT_FORBIDDEN if c in tuple(forbidden))


def get_zygote(sandboxed: bool, device: str = "cpu", always_refused=DEFAULT_FORBIDDEN) -> Zygote:
    """This process's zygote for the isolation level, started on first use (or after it died)."""
    cuda = str(device).startswith("cuda")
    always_refused = tuple(always_refused)
    key = (os.getpid(), sandboxed, cuda, LIMITS.memory_headroom_bytes, always_refused)
    with _zygotes_lock:
        z = _zygotes.get(key)
        if z is None or not z.alive():
            # A forked copy of this process must not share its parent's zygote: keyed by pid.
            z = Zygote(sandboxed, LIMITS.memory_headroom_bytes, cuda=cuda,
                       always_refused=always_refused)
            _zygotes[key] = z
        return z


def shutdown() -> None:
    """Stop this process's zygotes (and with them every worker). Runs at exit."""
    with _zygotes_lock:
        for key, z in list(_zygotes.items()):
            if key[0] == os.getpid():
                z.close()
            del _zygotes[key]


import atexit  # noqa: E402
atexit.register(shutdown)


class _Deadline:
    """A socket whose ``recv``/``sendall`` share one deadline (``waiting.Deadline``: the time the
    worker spends waiting, not wall time)."""

    def __init__(self, sock: socket.socket, deadline: waiting.Deadline):
        self.sock = sock
        self.deadline = deadline

    def _arm(self):
        left = self.deadline.left()
        if left <= 0:
            raise TimeoutError("deadline")
        self.sock.settimeout(left)

    def recv(self, n: int) -> bytes:
        while True:
            self._arm()
            try:
                return self.sock.recv(n)
            except socket.timeout:
                continue        # the wall time is up; whether the deadline is, _arm says

    def sendall(self, data) -> None:
        view = memoryview(data)
        while view:
            self._arm()
            try:
                sent = self.sock.send(view)
            except socket.timeout:
                continue
            view = view[sent:]


def _text_tensor(src):
    import torch
    raw = bytearray(str(src).encode("utf-8", "replace"))
    return torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)


def _cells_message(cells, book=None, call_cpu: float | None = None) -> dict:
    call_cpu = LIMITS.call_cpu_s if call_cpu is None else call_cpu
    msg = {"cells": [[str(name), _text_tensor(src)] for name, src in cells], "call_cpu": call_cpu}
    if book:
        names, source = book
        msg["book"] = [list(names), _text_tensor(source)]
    return msg


def _clean_problems(problems) -> list[dict]:
    if not isinstance(problems, list):
        return []
    out = []
    for p in problems[:50]:
        if isinstance(p, dict):
            out.append({k: str(p.get(k, ""))[:3000] for k in ("cell", "type", "message", "trace")})
    return out


class WorkerTransport:
    """Runs one submission's requests in an isolated worker; see the module's docstring."""

    def __init__(self, cells, sandboxed: bool = True, device: str = "cpu",
                 call_timeout: float | None = None,
                 fresh_per_name: bool = True, forbidden: dict | None = None):
        self.cells = list(cells)
        # exercise name -> the categories of routines forbidden below Python while it is graded
        self.forbidden = dict(forbidden or {})
        # The first worker (whose load problems the student reads) refuses at the top level what
        # every exercise refuses: an assignment whose exercises compose nn.Conv2d refuses none.
        sets = [tuple(c) for c in self.forbidden.values()]
        self.worker_forbidden = tuple(DEFAULT_FORBIDDEN) if not sets else tuple(
            c for c in dict.fromkeys(x for s in sets for x in s) if all(c in s for s in sets))
        self.host_pid: int | None = None
        self.fresh_per_name = fresh_per_name
        self.names: set = set()
        self.sandboxed = sandboxed
        self.device = device
        self.call_timeout = LIMITS.call_cpu_s if call_timeout is None else call_timeout
        self.wait_timeout = LIMITS.wait_s(self.call_timeout)
        self.load_wait, self.load_cpu = LIMITS.load_wait_s, LIMITS.load_cpu_s
        self.problems: list[dict] = []
        self.lost: str | None = None       # sticky: the cells themselves hang or crash
        self.lost_hung = False             # ... and whether they hung (WorkerHung) or crashed
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.stat: waiting.Schedstat | None = None     # the live worker's, for its deadlines
        self.zygote: Zygote | None = None
        self.workers_started = 0
        self.books: dict = {}              # name -> (names, source): see ``trust``
        self.book = None                   # what the live worker was started with
        self._start()

    # -- worker life ------------------------------------------------------------------------
    def lend_book(self, name: str, book) -> None:
        """Requests about ``name`` run with the book's code ``book = (names, source)`` in place
        of the student's ``names`` (one bug costs once); a worker started otherwise is replaced."""
        self.books[name] = book

    def _start(self, name=None) -> None:
        self.book = self.books.get(name)
        forbidden = self.worker_forbidden
        always_refused = refused_by_all(forbidden)
        self.zygote = get_zygote(self.sandboxed, self.device, always_refused)
        self.host_pid = None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                self.pid = self.zygote.spawn(theirs, self.device, forbidden)
            except ZygoteFailed:
                self.zygote = get_zygote(self.sandboxed, self.device, always_refused)     # it died: one new one, one retry
                self.pid = self.zygote.spawn(theirs, self.device, forbidden)
        finally:
            theirs.close()
        self.sock = ours
        self.workers_started += 1
        deadline = self._deadline(self.load_wait, cpu_s=self.load_cpu)
        chan = _Deadline(ours, deadline)
        too_long = (f"did not finish loading within {self.load_cpu:g} s of CPU time (an endless "
                    f"loop or a long computation at the top level of your code?)")
        try:
            wire.send(chan, _cells_message(self.cells, self.book, self.call_timeout))
            hello, _ = wire.recv(chan)
        except (TimeoutError, socket.timeout):
            self._end()
            self.lost_hung = True
            self.lost = too_long if deadline.why == "cpu" else (
                f"did not finish loading: it waited {self.load_wait:g} s without computing (a "
                f"sleep or input() at the top level of your code?)")
        except (EOFError, ConnectionError, BrokenPipeError):
            status, report = self._end(grace=0.5, with_report=True)
            if status == -signal.SIGXCPU:   # the worker's own CPU limit, met before ours
                self.lost_hung = True
                self.lost = too_long
            elif status == VIOLATION_EXIT:
                self.lost = (f"used {_violation_text(report)} at the top level of the submission, "
                             f"below the grader's checks, and was stopped while loading")
            else:
                self.lost = f"crashed the worker while loading ({_exit_text(status)})"
        except Exception:
            self._end()
            self.lost = "sent an over-large or malformed message while loading"
        else:
            if not isinstance(hello, dict) or hello.get("ready") is not True:
                self._end()
                self.lost = "sent an over-large or malformed message while loading"
            elif self.workers_started == 1:
                self.problems = _clean_problems(hello.get("problems"))
                # A cell that ran out of its CPU time (a "Try it" cell calling a function that
                # never returns) was skipped: later workers skip it at once instead of waiting it
                # out again, once per exercise.
                # (A module is one cell: its definitions before the loop still count.)
                slow = {p["cell"] for p in self.problems if p.get("type") == "Timeout"}
                if len(self.cells) > 1:
                    self.cells = [(n, src) for n, src in self.cells if n not in slow]
        if self.lost and self.workers_started == 1:
            self.problems.append({"cell": "", "type": "WorkerLost", "message": "your code " + self.lost,
                                  "trace": ""})

    def _end(self, grace: float = 0.0, with_report: bool = False):
        """Kill the worker's process group and reap it; returns its exit status (and, with
        ``with_report``, what it wrote on its report pipe)."""
        sock, pid, self.sock, self.pid = self.sock, self.pid, None, None
        if self.stat is not None:
            self.stat.close()
            self.stat = None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        status, report = None, ""
        if pid is not None and self.zygote is not None:
            status, report = self.zygote.kill(pid, grace)
        return (status, report) if with_report else status

    # -- the transport ----------------------------------------------------------------------
    def _ready(self, name) -> None:
        """A live worker for requests about ``name`` (raises where the cells cannot load)."""
        if self.lost:
            raise (WorkerHung if self.lost_hung else WorkerLost)(self.lost)
        wanted = tuple(self.forbidden.get(name, DEFAULT_FORBIDDEN))
        if wanted != self.worker_forbidden:
            # The exercise forbids another set below Python: a worker started with that set.
            if self.sock is not None:
                self._end()
            self.worker_forbidden = wanted
        if self.fresh_per_name and name not in self.names:
            # A new exercise gets a fresh worker: what one function did to its own process
            # (monkeypatched torch, changed globals) cannot change another exercise's grade.
            if self.names and self.sock is not None:
                self._end()
            self.names.add(name)
        if self.sock is not None and self.book != self.books.get(name):
            self._end()
        if self.sock is None:
            self._start(name)
            if self.lost:
                raise (WorkerHung if self.lost_hung else WorkerLost)(self.lost)

    def _budget(self, req) -> float:
        """CPU seconds a request may use: its own ``cpu_s`` (a check's, bounded) or the default."""
        return call_budget(req, self.call_timeout)

    def _deadline(self, wait_s: float, cpu_s: float | None = None) -> waiting.Deadline:
        """A deadline on the live worker's waiting (and CPU time, with ``cpu_s``)."""
        if self.stat is None and self.pid is not None:
            if self.host_pid is None:
                self.host_pid = self._find_host_pid()
            if self.host_pid is not None:
                self.stat = waiting.Schedstat(self.host_pid)
        return waiting.Deadline(wait_s, self.stat, cpu_s)

    def _hung_waiting(self, cpu: float | None = None) -> WorkerHung:
        wait = LIMITS.wait_s(self.call_timeout if cpu is None else cpu)
        return WorkerHung(f"waited {wait:g} s without computing and was stopped (a sleep, "
                          f"input() or a lock?)")

    def _reply(self, chan, cpu: float | None = None) -> dict:
        try:
            reply, _ = wire.recv(chan)
        except (TimeoutError, socket.timeout):
            self._end()
            raise self._hung_waiting(cpu) from None
        except (EOFError, ConnectionError, BrokenPipeError):
            status, report = self._end(grace=0.5, with_report=True)
            if status == VIOLATION_EXIT:
                # Decided below Python (the dispatcher's kernel or the audit hook ended the
                # process): nothing the student's code did in Python can turn this back.
                raise ForbiddenUsed(_violation_name(report)) from None
            if status == -signal.SIGXCPU:   # the per-request CPU limit (see ``serve``)
                raise WorkerHung(f"did not return within {cpu or self.call_timeout:g} s of CPU "
                                 f"time (an endless loop?)") from None
            raise WorkerLost(f"crashed the worker ({_exit_text(status)})") from None
        except Exception:
            self._end()
            raise WorkerLost("sent an over-large or malformed reply") from None
        if not isinstance(reply, dict):
            self._end()
            raise WorkerLost("sent an over-large or malformed reply")
        reply.pop("cpu_seconds", None)      # only the grader's own measurement counts
        return reply

    # -- CPU time, measured from outside the worker -----------------------------------------
    def _cpu(self) -> float | None:
        """CPU seconds the worker has used so far, read from /proc by this process (not
        reported by the worker: nothing the student's code does can change it), or None."""
        if self.pid is None:
            return None
        if self.host_pid is None:
            self.host_pid = self._find_host_pid()
        if self.host_pid is None:
            return None
        try:
            with open(f"/proc/{self.host_pid}/schedstat") as f:
                return int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            try:
                with open(f"/proc/{self.host_pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                return None

    def _find_host_pid(self) -> int | None:
        if not self.sandboxed:
            return self.pid
        # Under bubblewrap the zygote reports pids of its own pid namespace: find the process
        # under it whose innermost pid is the worker's.
        for p in waiting.tree(self.zygote.proc.pid):
            if p == self.zygote.proc.pid:
                continue
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("NSpid:"):
                            if int(line.split()[-1]) == self.pid and len(line.split()) > 2:
                                return p
                            break
            except (OSError, ValueError):
                continue
        return None

    def request(self, req: dict) -> dict:
        self._ready(req.get("name") if isinstance(req, dict) else None)
        measure = isinstance(req, dict) and req.get("measure_cpu")
        before = self._cpu() if measure else None
        cpu = self._budget(req)
        chan = _Deadline(self.sock, self._deadline(LIMITS.wait_s(cpu)))
        try:
            wire.send(chan, req)
        except (TimeoutError, socket.timeout, OSError):
            pass        # the reply says what happened: a hang times out, a crash reads as EOF
        reply = self._reply(chan, cpu)
        after = self._cpu() if measure else None
        if before is not None and after is not None:
            reply["cpu_seconds"] = after - before
        return reply

    def pipeline(self, messages: list, name: str):
        """Replies to already encoded requests about ``name``, one by one, as a generator.

        Requests go out ahead of the replies (at most ``LIMITS.pipeline_window_bytes`` unanswered, so
        neither side ever blocks on a full socket), and the worker runs them back to back instead
        of waiting for the grader between calls. Each reply still has its own time limit, counted
        from when the grader starts waiting for it, and a hang or a crash raises at the request
        that caused it, as ``request`` does. Closing the generator before the last reply ends the
        worker (its unread replies would answer the next request); the next request starts a
        fresh one.
        """
        self._ready(name)
        sock = self.sock
        sent = got = 0
        unanswered: list[int] = []
        out = bytearray()       # requests not yet written: never block on a write (see below)
        measured = [_MEASURE in m[:4 + wire.MAX_HEADER] for m in messages]
        cpu_before: dict = {}
        try:
            while got < len(messages):
                # A request whose CPU time is measured runs alone: sent only once every earlier
                # reply is in, and nothing after it until its own reply is.
                while sent < len(messages) and (
                        not unanswered or sum(unanswered) + len(messages[sent]) <= LIMITS.pipeline_window_bytes) \
                        and not (unanswered and (measured[sent] or measured[sent - 1])):
                    if measured[sent]:
                        cpu_before[sent] = self._cpu()
                    out += messages[sent]
                    unanswered.append(len(messages[sent]))
                    sent += 1
                # Write only what the socket takes now, and read as soon as a reply comes: a
                # worker blocked writing a large reply is never waiting on a grader blocked
                # writing a request.
                deadline = self._deadline(self.wait_timeout)
                while True:
                    left = deadline.left()
                    if left <= 0:
                        self._end()
                        raise self._hung_waiting()
                    readable, writable, _ = select.select([sock], [sock] if out else [], [], left)
                    if writable:
                        try:
                            del out[:sock.send(out, socket.MSG_DONTWAIT)]
                        except (BlockingIOError, InterruptedError):
                            pass
                        except OSError:
                            out.clear()     # the worker is gone: its reply (EOF) says how
                    if readable:
                        break
                reply = self._reply(_Deadline(sock, deadline))
                if measured[got]:
                    before, after = cpu_before.get(got), self._cpu()
                    if before is not None and after is not None:
                        reply["cpu_seconds"] = after - before
                unanswered.pop(0)
                got += 1
                yield reply
        finally:
            if got < len(messages) and self.sock is sock:
                self._end()

    def close(self) -> None:
        self._end()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            if self.pid is not None:
                self.close()
        except Exception:
            pass


def open_worker(cells, sandboxed: bool = True, device: str = "cpu", **kw) -> WorkerTransport:
    """A transport for ``cells`` in a fresh isolated worker (see the module's docstring)."""
    if sandboxed and bwrap_path() is None:
        sandbox_argv()   # raises the RuntimeError that tells the instructor what to do
    return WorkerTransport(cells, sandboxed=sandboxed, device=device, **kw)
