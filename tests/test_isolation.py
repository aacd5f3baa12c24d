"""Isolation of student code (SPEC section 2): hostile submissions graded in the sandbox.

Every file in ``tests/hostile`` is a complete submission (for the assignment of ``corr2d`` unless its
``# assignment:`` line names another) in which one exercise
is an attack and the others are honest. Graded with ``isolation="sandbox"``, an attack is withstood
when: the attacked exercise earns nothing (beyond checks a well-shaped wrong answer passes
legitimately), the honest exercises keep full marks, no file outside the worker's folder changes,
no worker process survives, the grader and its zygote are alive, nothing reached the test's
loopback listeners, and grading ends in time.

To keep the suite fast, hypothesis runs at most ``EXAMPLES`` examples per check and a request times
out after ``CALL_TIMEOUT`` s (the real defaults are 50 examples and 5 s); the code paths are the same.
"""
from __future__ import annotations

import dataclasses
import os
import re
import select
import socket
import subprocess
import time
from pathlib import Path

import pytest

from autograder.sandbox import isolation
from autograder.engine import streams
from autograder.engine.grade import grade
from autograder.core.outcomes import WorkerLost
from support import EXERCISES as SUPPORT_EXERCISES, home

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).resolve().parent / "hostile"
CC = home("corr2d")         # the assignment most attacks are submissions for
CORPUS = Path(__file__).resolve().parent / "corpus" / CC
EXAMPLES = 4
CALL_TIMEOUT = 2.0
LOAD_TIMEOUT = 4.0
SECRET = "hunter2-convkit-secret"


def _sandbox_usable() -> str | None:
    """Why the sandbox cannot run here, or None."""
    bwrap = isolation.bwrap_path()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    try:
        r = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--proc",
                            "/proc", "--dev", "/dev", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap cannot run: {e}"
    if r.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {r.stderr.decode(errors='replace').strip()}"
    return None


_WHY = _sandbox_usable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"sandbox tests skipped: {_WHY}")

ROOT_USER = os.geteuid() == 0

def _header(path: Path, key: str, default: str) -> str:
    """A hostile file's ``# key: value`` line (its first words), or ``default``."""
    for line in path.read_text().splitlines()[:6]:
        if line.startswith(f"# {key}: "):
            return line.split(": ", 1)[1].split()[0]
    return default


# attack -> the attacked exercise, and the assignment it is a submission for
ATTACKED = {p.stem: "corr2d" for p in HOSTILE.glob("*.py")}
ATTACKED.update({p.stem: _header(p, "attacked", "corr2d") for p in HOSTILE.glob("*.py")
                 if _header(p, "assignment", "")})
ASSIGNMENT = {p.stem: _header(p, "assignment", CC) for p in HOSTILE.glob("*.py")}
EXERCISES = {a: set(names) for a, names in SUPPORT_EXERCISES.items()}
ATTACKED.update({"conv2d_exit": "Conv2D", "learn_endless": "learn_kernel"})
for _load in ("load_hang", "load_exit"):
    ATTACKED.pop(_load, None)
# Checks a well-shaped wrong answer passes on its own merits (they look at shape, dtype, device and
# the inputs, not the values): an attack that returns one may keep them, nothing else.
SHAPE_ONLY = {"output shape", "dtype and device", "inputs untouched"}
MAY_KEEP = {"nan_return": SHAPE_ONLY, "patch_torch": {"output shape", "inputs untouched"},
            "conv2d_exit": {"parameters registered"},     # its constructor is honest
            # A correct (slow) answer: only the check that no loop runs over pixels is attacked.
            "hidden_pixel_loop_1x1": {"book example", "values (small integers)",
                                      "values (many channels)", "matches the reference",
                                      "dtype and device", "gradients", "inputs untouched"}}
# Correct (slow) answers that fake the worker's operation count through frames: only the check
# that no loop runs over rows or pixels is attacked (it is judged by CPU time from outside).
MAY_KEEP["row_loop_1x1_op_count"] = MAY_KEEP["hidden_pixel_loop_1x1"]
MAY_KEEP["row_loop_conv2d_op_count"] = {"values (small integers)", "values (random floats)",
                                        "without bias", "matches the reference",
                                        "dtype and device", "gradients", "inputs untouched"}
# Attacks on the forbidden-routine rule itself: the attacked exercise must be zeroed *as a
# forbidden use* (its message names the routine or the tampering), not merely fail a check.
FORBIDDEN_ATTACKS = {p.stem for p in HOSTILE.glob("*.py")
                     if ("guard off" in p.read_text().splitlines()[0]
                         and p.stem != "hidden_pixel_loop_1x1")
                     or p.stem in ("mode_stack_pop", "guard_class_patch", "guard_defaults_patch",
                                   "frame_walk_guard", "jit_compilation_unit", "jit_graph_ir",
                                   "library_aten_impl", "convolution_backward", "nn_grad_weight",
                                   "slow_conv3d", "numpy_c_entry", "numpy_core_alias",
                                   "ctypes_pythonapi", "gc_walk_library", "unfold_view",
                                   "decomp_im2col", "reload_decomp", "proc_self_mem", "settrace",
                                   "finalize_registry")}
FORBIDDEN_ATTACKS |= {p.stem for p in HOSTILE.glob("*.py")
                      if _header(p, "zeroed", "") == "forbidden"}
# Attacks on the forbidden-routine rule itself: the plain spellings (disable_torch_function,
# guard_tamper) meet the static scan (autograder/submission/tamper.py); the rest, written to pass it, meet
# the refusals below Python (autograder/worker/enforce.py).
LEFTOVERS = ["/tmp/pwned", "/tmp/pwned_by_pickle", "/tmp/results.json", str(ROOT / "pwned"),
             str(ROOT / "results.json"), str(ROOT / "solutions" / "pwned"),
             os.path.expanduser("~/pwned"), "/root/pwned", "/dev/shm/pwned", "/var/tmp/pwned"]


# ------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Fast settings, a secret in the environment, loopback listeners and a sentinel file."""
    mp = pytest.MonkeyPatch()
    original = streams.hypothesis_settings
    mp.setattr(streams, "hypothesis_settings", lambda n: original(min(n, EXAMPLES)))
    mp.setattr(isolation, "LIMITS", dataclasses.replace(isolation.LIMITS, call_cpu_s=CALL_TIMEOUT,
                                                        load_wait_s=LOAD_TIMEOUT,
                                                        load_cpu_s=LOAD_TIMEOUT))
    mp.setenv("CONVKIT_SECRET", SECRET)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    tcp.setblocking(False)
    abstract = f"convkit-test-{os.getpid()}"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind("\0" + abstract)
    unix.listen(16)
    unix.setblocking(False)
    work = tmp_path_factory.mktemp("hostile")
    sentinel = work / "sentinel.txt"
    sentinel.write_text("untouched")
    for p in LEFTOVERS:
        assert not os.path.exists(p), f"{p} exists before the tests; remove it"
    zygote = isolation.get_zygote(True)
    yield {"tcp": tcp, "unix": unix, "port": tcp.getsockname()[1], "abstract": abstract,
           "work": work, "sentinel": sentinel, "zygote": zygote}
    tcp.close()
    unix.close()
    mp.undo()


def _submission(env, name: str) -> Path:
    src = (HOSTILE / f"{name}.py").read_text()
    # The honest exercises most attacks share are kept once, in _honest.txt.
    src = re.sub(r"(?m)^# __HONEST__.*\n(#.*\n)*", lambda _: (HOSTILE / "_honest.txt").read_text(), src)
    src = (src.replace("__PORT__", str(env["port"])).replace("__ABSTRACT__", env["abstract"])
              .replace("__SENTINEL__", str(env["sentinel"]).lstrip("/")))
    path = env["work"] / f"{name}.py"
    path.write_text(src)
    return path


def _children(pid: int) -> list[int]:
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def _descendants(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        for c in _children(todo.pop()):
            if c not in seen:
                seen.append(c)
                todo.append(c)
    return seen


def _uid(pid: int):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        return None


def _state(pid: int):
    """The process's state letter (R running or runnable, S sleeping, ...), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _by_exercise(results: dict) -> dict:
    out: dict = {}
    for t in results["tests"]:
        ex = out.setdefault(t["tags"][0], {"score": 0.0, "max": 0.0, "checks": {}})
        ex["score"] += t["score"]
        ex["max"] += t["max_score"]
        ex["checks"][t["tags"][1]] = (t["score"], t["output"])
    return out


def _no_connection(sock) -> bool:
    try:
        conn, _ = sock.accept()
    except (BlockingIOError, InterruptedError):
        return True
    conn.close()
    return False


def _assert_withstood(env, results: dict):
    # No wall-clock assertion: how long grading takes depends on the machine's load (issue "fair
    # verdicts"); a grade that never ends is stopped by pytest-timeout.
    for p in LEFTOVERS:
        assert not os.path.exists(p), f"the worker wrote {p} on the host"
    assert env["sentinel"].read_text() == "untouched"
    assert _no_connection(env["tcp"]), "the worker reached the test's TCP port on 127.0.0.1"
    assert _no_connection(env["unix"]), "the worker reached the test's abstract unix socket"
    z = env["zygote"]
    assert isolation.get_zygote(True) is z and z.alive(), "the zygote died or was replaced"
    # Only bubblewrap's init and the zygote remain under the zygote's process: no worker survives.
    left = _descendants(z.proc.pid)
    assert len(left) <= 2 and all(_uid(p) == 0 for p in left), \
        f"processes left under the zygote: {[(p, _uid(p)) for p in left]}"


# ------------------------------------------------------------------------------- hostile
def _params():
    return [pytest.param(name, id=name) for name in sorted(ATTACKED)]


@pytest.mark.parametrize("attack", _params())
def test_hostile_submission_is_withstood(env, attack):
    results = grade(_submission(env, attack), ASSIGNMENT[attack], isolation="sandbox")
    _assert_withstood(env, results)
    exercises = _by_exercise(results)
    assert set(exercises) == EXERCISES[ASSIGNMENT[attack]]
    attacked = ATTACKED[attack]
    if attack in FORBIDDEN_ATTACKS:
        outputs = [o for _, o in exercises[attacked]["checks"].values()]
        # (or stopped before it got there: a module the worker's world does not let student
        # code import, see autograder/worker/world.py)
        assert all("forbidden routine" in o or "switch off the grader's check" in o
                   or "is not allowed in graded code" in o
                   for o in outputs), f"{attack}: not zeroed as a forbidden use: {outputs[0][:300]}"
    keep = MAY_KEEP.get(attack, set())
    # (a split value check's rows are "<check> \u2014 <part>")
    earned = {c: s for c, (s, _) in exercises[attacked]["checks"].items()
              if s > 0 and c.split(" \u2014 ")[0] not in keep}
    assert not earned, f"{attack} earned points on {attacked}: {earned}"
    for name, ex in exercises.items():
        if name != attacked:
            failed = {c: o[:300] for c, (s, o) in ex["checks"].items() if s <= 0}
            assert ex["score"] == ex["max"], f"honest {name} lost points next to {attack}: {failed}"


@pytest.mark.parametrize("attack,reason", [("load_hang", "did not finish loading within"),
                                           ("load_exit", "crashed the worker while loading")])
def test_submission_that_hangs_or_crashes_while_loading(env, attack, reason):
    results = grade(_submission(env, attack), CC, isolation="sandbox")
    _assert_withstood(env, results)
    assert results["score"] == 0
    assert all(reason in t["output"] for t in results["tests"]), results["tests"][0]["output"]


# Grades every hostile file in turn with honest students between: minutes, so only in `make test`.
@pytest.mark.slow
def test_other_students_unaffected_after_hostile(env):
    """Two honest submissions graded right after hostile ones get identical full scores, the same
    as without isolation."""
    for attack in ("memory_bomb", "kill_parent", "patch_torch"):
        grade(_submission(env, attack), CC, isolation="sandbox")
    honest = [CORPUS / "ok_double_loop.py", CORPUS / "ok_shifted_slices.py"]
    scores = []
    for path in honest:
        r = grade(path, CC, isolation="sandbox")
        _assert_withstood(env, r)
        assert r["score"] == r["max_score"], [t for t in r["tests"] if t["score"] < t["max_score"]]
        scores.append([(t["name"], t["score"]) for t in r["tests"]])
    assert scores[0] == scores[1]
    plain = grade(honest[0], CC, isolation="none")
    assert [(t["name"], t["score"], t["status"]) for t in plain["tests"]] == \
           [(t[0], t[1], "passed") for t in scores[0]]


# ------------------------------------------------------------------------------- transport
FLAKY = '''
import os, time, torch
def f(x):
    v = int(x.flatten()[0])
    if v == 1:
        while True:
            pass
    if v == 2:
        os._exit(0)
    if v == 3:
        os.kill(os.getpid(), 9)
    return x * 2
'''


def _call(t, value):
    import torch
    return t.request({"op": "call", "name": "f", "args": [torch.tensor([float(value)])],
                      "kwargs": {}, "device": "cpu", "grad": None, "return_inputs": False})


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "process"])
def test_transport_recovers_after_timeout_and_crash(env, sandboxed):
    t = isolation.open_worker([("<flaky.py>", FLAKY)], sandboxed=sandboxed, call_timeout=1.0)
    try:
        assert t.problems == []
        assert float(_call(t, 5)["value"][0]) == 10
        for value, words in ((1, "did not return within 1 s"),
                             (2, "crashed the worker (exit code 0"),
                             (3, "crashed the worker (exit code -9: killed")):
            with pytest.raises(WorkerLost) as e:
                _call(t, value)
            assert words in e.value.args[0]
            assert float(_call(t, 4)["value"][0]) == 8      # a fresh worker answers the next one
        assert t.workers_started == 4
    finally:
        t.close()
    z = isolation.get_zygote(sandboxed)
    assert all(_uid(p) == 0 or not ROOT_USER for p in _descendants(z.proc.pid))


def test_problems_reported_from_the_worker(env):
    t = isolation.open_worker([("<a>", "def f(x):\n    return x\n"), ("<b>", "1/0"), ("<c>", "def (")],
                              sandboxed=True)
    try:
        kinds = [(p["cell"], p["type"]) for p in t.problems]
        assert kinds == [("<b>", "ZeroDivisionError"), ("<c>", "SyntaxError")]
    finally:
        t.close()


def test_worker_is_confined(env):
    """What the worker sees, asked directly: nobody, no capabilities, limits, an empty env."""
    probe = '''
import os, resource
def f(x):
    st = open("/proc/self/status").read()
    caps = [l.split()[1] for l in st.splitlines() if l.startswith(("CapEff", "CapPrm", "CapAmb"))]
    nnp = [l.split()[1] for l in st.splitlines() if l.startswith("NoNewPrivs")]
    return [os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), caps, nnp, dict(os.environ),
            sorted(os.listdir("/")), os.listdir("."), resource.getrlimit(resource.RLIMIT_NPROC)[0],
            sorted(os.listdir("/proc/self/fd")), os.path.exists("/work/main/solutions")]
'''
    import torch
    t = isolation.open_worker([("<probe>", probe)], sandboxed=True)
    try:
        r = t.request({"op": "call", "name": "f", "args": [torch.zeros(1)], "kwargs": {},
                       "device": "cpu", "grad": None, "return_inputs": False})["value"]
    finally:
        t.close()
    uid, euid, gid, groups, caps, nnp, environ, top, here, nproc, fds, solutions = r
    if ROOT_USER:
        assert (uid, euid, gid, groups) == (65534, 65534, 65534, [])
    assert caps == ["0000000000000000"] * 3 and nnp == ["1"]
    assert environ == {}
    assert "home" not in top and "srv" not in top
    assert here == ["submission.py"]
    assert nproc == 0
    assert len(fds) <= 6      # 0, 1, 2, the channel, the report pipe, the listing's own fd
    assert solutions is False


def test_missing_bubblewrap_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(isolation, "bwrap_path", lambda: None)
    with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
        isolation.open_worker([("<x>", "")], sandboxed=True)


def test_no_channel_between_students(env):
    """What one worker leaves behind, the next (another student's) cannot find."""
    import torch
    writer = '''
import os
def f(x):
    wrote = []
    for p in ("/tmp/share", "/dev/shm/share", "share", "../share", "/var/tmp/share"):
        try:
            with open(p, "w") as fh:
                fh.write("answer")
            wrote.append(p)
        except OSError:
            pass
    return wrote
'''
    reader = '''
import os
def f(x):
    found = []
    # The Python environment may itself live under /tmp (a checkout in /tmp), mounted read-only:
    # not a channel, so read-only mounts are left out of the walk.
    def writable(path):
        try:
            return not os.statvfs(path).f_flag & os.ST_RDONLY
        except OSError:
            return False
    for top in ("/tmp", "/dev/shm", "/var/tmp", ".."):
        for d, dirs, files in os.walk(top):
            dirs[:] = [x for x in dirs if writable(os.path.join(d, x))]
            found += [os.path.join(d, n) for n in files if n != "submission.py"]
    return found
'''
    req = {"op": "call", "name": "f", "args": [torch.zeros(1)], "kwargs": {}, "device": "cpu",
           "grad": None, "return_inputs": False}
    a = isolation.open_worker([("<a>", writer)], sandboxed=True)
    try:
        wrote = a.request(req)["value"]
    finally:
        a.close()
    assert set(wrote) <= {"share"}, wrote          # only inside its own folder
    b = isolation.open_worker([("<b>", reader)], sandboxed=True)
    try:
        assert b.request(req)["value"] == []
    finally:
        b.close()


def test_zygote_started_from_a_short_lived_thread_survives(env):
    """The classroom starts each job's zygote from a thread that then ends."""
    import threading
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("z", isolation.Zygote(True)))
    th.start()
    th.join()
    z = box["z"]
    try:
        # ``join`` returns a moment before the kernel ends the thread, and a parent-death signal
        # tied to the thread would go out then: wait for the thread to be gone from the kernel
        # (a state, not a delay), then ask the zygote to spawn (a round trip it cannot answer
        # if that signal ended it).
        while os.path.exists(f"/proc/self/task/{th.native_id}"):
            time.sleep(0.01)
        assert z.alive()
        a, b = socket.socketpair()
        pid = z.spawn(b, "cpu")
        b.close()
        a.close()
        z.kill(pid)
    finally:
        z.close()
    assert not z.alive()


def test_nothing_outlives_a_killed_grader(env, tmp_path):
    """SIGKILL the grader mid-request: its zygote and worker end too."""
    script = tmp_path / "grader.py"
    script.write_text(f'''
import sys, os
sys.path.insert(0, {str(ROOT)!r})
from autograder.sandbox import isolation
t = isolation.open_worker([("<x>", "def f(x):\\n    while True:\\n        pass\\n")], sandboxed=True,
                          call_timeout=600)
print(t.zygote.proc.pid, flush=True)
import torch
t.request({{"op": "call", "name": "f", "args": [torch.zeros(1)], "kwargs": {{}}, "device": "cpu",
           "grad": None, "return_inputs": False}})
''')
    p = subprocess.Popen([os.sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        bwrap_pid = int(p.stdout.readline())
        tree = [bwrap_pid] + _descendants(bwrap_pid)
        assert len(tree) >= 4, tree           # bwrap, its init, the zygote, the worker
        # Kill mid-request: once the worker runs the endless call (runnable, not blocked
        # waiting for the request). A state, not a delay.
        while _state(tree[-1]) not in ("R", None):
            time.sleep(0.01)
    finally:
        p.kill()
        p.wait()
    # Wait for each process of the tree to end (a pidfd turns readable when it has). The bound
    # is a last resort that turns a leak into a failure instead of a hang: they end at once.
    alive = []
    for q in tree:
        try:
            fd = os.pidfd_open(q)
        except ProcessLookupError:
            continue
        try:
            if not select.select([fd], [], [], 300)[0]:
                alive.append(q)
        finally:
            os.close(fd)
    assert not alive, f"still running after the grader died: {alive}"


IPC_PROBE = '''
import os
def f(x):
    def read(p):
        try:
            with open(p) as fh:
                return fh.read().splitlines()[1:]
        except OSError as e:
            return ["unreadable: " + type(e).__name__]
    wrote = []
    try:
        import _posixshmem
        fd = _posixshmem.shm_open("/convkit_share", os.O_CREAT | os.O_RDWR, 0o600)
        os.write(fd, b"answer")
        wrote.append("posix shm")
    except BaseException:
        pass
    return {"ns": {k: os.readlink("/proc/self/ns/" + k) for k in ("ipc", "net", "mnt", "pid")},
            "sysv": {k: read("/proc/sysvipc/" + k) for k in ("shm", "msg", "sem")},
            "dev_shm": sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else [],
            "mqueue": sorted(os.listdir("/dev/mqueue")) if os.path.isdir("/dev/mqueue") else [],
            "unix": [l.split()[-1] for l in read("/proc/net/unix") if l.split()[-1].startswith("@")],
            "wrote": wrote}
'''


def _probe(t):
    import torch
    return t.request({"op": "call", "name": "f", "args": [torch.zeros(1)], "kwargs": {},
                      "device": "cpu", "grad": None, "return_inputs": False})["value"]


@pytest.mark.skipif(not ROOT_USER, reason="per-worker IPC namespaces are made by a root zygote")
def test_no_ipc_between_students(env):
    """Two submissions graded one after the other by the same zygote (as in a class run) share no
    System V or POSIX IPC object, no abstract unix socket and no process: each worker has its
    own IPC and network namespaces, which end with it. The first worker is given real SysV
    objects from outside (``nsenter`` + ``ipcmk``: student code itself may not reach the system
    calls, see ``enforce``), so the probe is shown to see them where they exist."""
    import shutil as sh
    if not (sh.which("nsenter") and sh.which("ipcmk")):
        pytest.skip("util-linux nsenter/ipcmk not installed")
    zygote_ns = os.readlink(f"/proc/{env['zygote'].proc.pid}/ns/ipc")
    a = isolation.open_worker([("<a>", IPC_PROBE)], sandboxed=True)
    try:
        first = _probe(a)
        host_a = a._find_host_pid()
        assert host_a is not None
        assert os.readlink(f"/proc/{host_a}/ns/ipc") == first["ns"]["ipc"] != zygote_ns
        for flag in ("-M", "-Q", "-S"):
            r = subprocess.run(["nsenter", f"--ipc=/proc/{host_a}/ns/ipc", "ipcmk", flag,
                                "4096" if flag == "-M" else "1"] if flag != "-Q" else
                               ["nsenter", f"--ipc=/proc/{host_a}/ns/ipc", "ipcmk", "-Q"],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stderr
        seen = _probe(a)
        assert all(seen["sysv"][k] for k in ("shm", "msg", "sem")), seen["sysv"]
        # A second worker while the first is alive: other namespaces, none of its objects.
        c = isolation.open_worker([("<c>", IPC_PROBE)], sandboxed=True)
        try:
            beside = _probe(c)
        finally:
            c.close()
        assert beside["ns"]["ipc"] != first["ns"]["ipc"] and beside["ns"]["net"] != first["ns"]["net"]
        assert beside["sysv"] == {"shm": [], "msg": [], "sem": []}, beside["sysv"]
    finally:
        a.close()
    # Nothing of the first worker is left running under the zygote.
    left = _descendants(env["zygote"].proc.pid)
    assert len(left) <= 2 and all(_uid(p) == 0 for p in left), left
    b = isolation.open_worker([("<b>", IPC_PROBE)], sandboxed=True)
    try:
        second = _probe(b)
    finally:
        b.close()
    assert isolation.get_zygote(True) is env["zygote"], "graded by another zygote: not the case"
    # (A namespace's inode number may be reused once the first worker's is gone: what matters is
    # that nothing of it is visible.)
    assert second["ns"]["ipc"] != zygote_ns
    assert second["sysv"] == {"shm": [], "msg": [], "sem": []}, second["sysv"]
    assert second["dev_shm"] == [] and second["mqueue"] == [], second
    assert second["unix"] == [], second["unix"]
    # The student's own attempt at POSIX shared memory was refused or left nothing behind.
    assert "convkit_share" not in " ".join(second["dev_shm"])


# ------------------------------------------------------------------------------- next student
# A submission that leaves something behind (a tree deeper than a recursive removal goes, names of
# 255 characters, files and folders of mode 000, copies in every writable place, a process), then
# another student's with no corr2d of its own that looks for it: graded one after the other by the
# same zygote (the module's), as in a class run. Alone, the reader earns nothing; after the writer
# it must earn nothing either.
LEFTOVER_WRITERS = sorted(p.stem for p in HOSTILE.glob("leftover_*_writer.py"))


@pytest.mark.parametrize("writer", LEFTOVER_WRITERS)
def test_next_student_finds_nothing_left(env, writer):
    assert len(LEFTOVER_WRITERS) >= 4
    first = grade(_submission(env, writer), CC, isolation="sandbox")
    _assert_withstood(env, first)
    assert _by_exercise(first)["corr2d"]["score"] == 0
    second = grade(_submission(env, "leftover_reader"), CC, isolation="sandbox")
    _assert_withstood(env, second)
    assert isolation.get_zygote(True) is env["zygote"], "graded by another zygote: not the case"
    reader = _by_exercise(second)
    outputs = [o for _, o in reader["corr2d"]["checks"].values()]
    assert reader["corr2d"]["score"] == 0, outputs
    assert any("nothing left behind by an earlier student" in o for o in outputs), outputs[0][:300]
    assert reader["Conv2D"]["score"] == reader["Conv2D"]["max"]


def test_worker_world_holds_only_what_students_may_use(env):
    """Inside a worker: no scipy, Pillow or scikit-learn on disk or by import, no other
    package folder, no private module of torch or numpy by name, no native module under
    another name, nothing writable but the worker's own folder."""
    probe = r'''
import glob, importlib, importlib.util, os, sys
def f(x):
    out = {}
    def attempt(name, fn):
        try:
            fn()
            out[name] = "ok"
        except ImportError as e:
            out[name] = "ImportError"
        except OSError as e:
            out[name] = type(e).__name__
    for mod in ("scipy", "scipy.signal", "PIL", "sklearn", "skimage", "cv2",
                "numpy.lib._arraypad_impl", "torch._decomp.decompositions", "torch._refs",
                "torch._prims", "numpy._core._multiarray_umath", "torch.nn.functional",
                "numpy.linalg"):
        attempt(mod, lambda mod=mod: importlib.import_module(mod))
    attempt("from torch import _decomp", lambda: exec("from torch import _decomp", {}))
    attempt("import numpy.lib._arraypad_impl", lambda: exec("import numpy.lib._arraypad_impl", {}))
    import numpy
    core = glob.glob(os.path.dirname(numpy.__file__) + "/_core/_umath_tests*.so")[0]
    spec = importlib.util.spec_from_file_location("elsewhere._umath_tests", core)
    attempt("alias", lambda: importlib.util.module_from_spec(spec))
    spec2 = importlib.util.spec_from_file_location("numpy._core._umath_tests", core)
    attempt("own name", lambda: importlib.util.module_from_spec(spec2))
    sites = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    listed = sorted({e.split("-")[0].split(".")[0] for p in sites for e in os.listdir(p)})
    writable = []
    for d in ("/tmp", "/dev/shm", "/var/tmp", "..", "/"):
        try:
            open(os.path.join(d, "probe"), "w").close()
            writable.append(d)
        except OSError:
            pass
    return [out, listed, writable, os.listdir(".")]
'''
    t = isolation.open_worker([("<probe>", probe)], sandboxed=True)
    try:
        out, listed, writable, here = _probe(t)
    finally:
        t.close()
    refused = {"scipy", "scipy.signal", "PIL", "sklearn", "skimage", "cv2", "alias",
               "numpy.lib._arraypad_impl", "torch._decomp.decompositions", "torch._refs",
               "torch._prims", "from torch import _decomp", "import numpy.lib._arraypad_impl",
               "numpy._core._multiarray_umath"}
    assert {k for k, v in out.items() if v == "ImportError"} == refused, out
    assert out["torch.nn.functional"] == out["numpy.linalg"] == "ok"
    # Its own name, from its own file, not loaded before (its C code imports numpy's private
    # core, on the library's behalf: allowed).
    assert out["own name"] == "ok"
    assert "torch" in listed and "numpy" in listed
    assert not {"scipy", "PIL", "sklearn", "pillow", "matplotlib", "hypothesis"} & set(listed)
    assert writable == [] and here == ["submission.py"]
