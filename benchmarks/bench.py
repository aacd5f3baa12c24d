"""Grading throughput, side by side with nbgrader, on one generated class (issue: performance).

    .venv/bin/python benchmarks/bench.py [--n 60] [--jobs 1 2] [--scale] [--nbgrader-n K]
                                         [--buggy-share 0.5] [--skip-nbgrader] [--dask]

The class: N notebooks, the three assignments in turn; for each assignment a share of them
(``--buggy-share``, default half) holds one of the kit's buggy modules (tests/corpus/*/bug_*.py)
and the rest a correct one (ok_*.py), each list cycled in order, written into the assignment's
released notebook. The same notebooks are graded by the kit's engine (`python -m autograder
class`, isolated workers) and by `nbgrader autograde` three ways: with nbgrader's own Execute (a
kernel per notebook running the graded cells, which run the same checks in-process: the kit's
course before it had its own step), with the kit's GradeWithConvkit step (each notebook graded
by the sandboxed engine), and after `make grade` (the step reuses the class run's records). Prints submissions per minute and their ratio,
per-submission median and p95, peak memory, the grader's overhead (grading time over the time
spent inside the student's own functions) per JOBS, scaling with N and JOBS, and the latency of a
student's check of one notebook. Figures are printed, never asserted.

``--dask`` also grades the class on a ``distributed.LocalCluster`` of max(JOBS) worker processes
(one thread each) through ``class --scheduler``, twice: on freshly started workers (each warms
up: torch, its sandbox zygote, the prepared examples) and again on the same, now warm, workers;
side by side with the local pool at the same JOBS.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))
from autograder.assignments import ids  # noqa: E402  (module names only: no torch)

ASSIGNMENTS = ids()


def notebook_from_module(release: Path, module_src: str) -> dict:
    """The released notebook with its exercise cells holding the module's code.

    The first exercise cell gets the whole module (imports and helpers included); the other
    exercise cells are emptied, so no stub redefines a name after it.
    """
    nb = json.loads(release.read_text())
    first = True
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            cell["source"] = module_src if first else "# (see the first exercise cell)\n"
            first = False
    return nb


def build_class(n: int, course: Path, buggy_share: float = 0.5) -> list[tuple[str, str]]:
    """N notebooks: assignments in turn; per assignment, a ``buggy_share`` of the submissions hold
    one of the corpus's buggy modules and the rest a correct one, each list cycled in order."""
    corpus = {a: sorted((ROOT / "tests" / "corpus" / a).glob("*.py")) for a in ASSIGNMENTS}
    made, seen = [], {a: [0, 0] for a in ASSIGNMENTS}      # per assignment: correct, buggy so far
    for i in range(n):
        a = ASSIGNMENTS[i % len(ASSIGNMENTS)]
        k = i // len(ASSIGNMENTS)                           # this assignment's k-th submission
        buggy = int((k + 1) * buggy_share) > int(k * buggy_share)
        files = [p for p in corpus[a] if p.name.startswith("bug_" if buggy else "ok_")]
        src = files[seen[a][buggy] % len(files)].read_text()
        seen[a][buggy] += 1
        ast.parse(src)
        student = f"s{i:04d}"
        folder = course / "submitted" / student / a
        folder.mkdir(parents=True, exist_ok=True)
        nb = notebook_from_module(ROOT / "assignments" / a / f"{a}.ipynb", src)
        (folder / f"{a}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False))
        made.append((student, a))
    return made


def _iso_env(tmp: Path) -> dict:
    env = dict(os.environ)
    for k in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        d = tmp / k.lower()
        d.mkdir(exist_ok=True)
        env[k] = str(d)
    env["PATH"] = f"{Path(PY).parent}:{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_engine(course: Path, out: Path, jobs: int, scheduler: str | None = None) -> dict:
    if out.exists():
        shutil.rmtree(out)
    t = time.perf_counter()
    before, busy0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, _busy()
    where = ["--scheduler", scheduler] if scheduler else ["--jobs", str(jobs)]
    r = subprocess.run([PY, "-m", "autograder", "class", str(course), *where,
                        "--out", str(out), "--force"], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        print(r.stdout[-2000:], r.stderr[-2000:])
        raise SystemExit("engine run failed")
    per, student = [], 0.0
    for p in (out / "autograded").glob("*/*/results.json"):
        d = json.loads(p.read_text())
        per.append(d.get("execution_time", 0.0))
        student += d.get("extra_data", {}).get("student_code_seconds", 0.0)
    busy = _busy()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"wall": wall, "per": per, "student_s": student, "peak_mb": max(peak, before) / 1024,
            "graded": len(per), "cores": (busy - busy0) / wall if busy0 is not None else float("nan")}


def _busy() -> float | None:
    """Seconds of CPU the whole machine has spent busy so far (/proc/stat), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# nbgrader's own autograde steps, as nbgrader 0.9.6 ships them: a Jupyter kernel per notebook
# runs every cell (the graded cells run check() in that kernel, unsandboxed). The kit's course
# replaces Execute with its GradeWithConvkit step; this puts nbgrader's back, for the "before".
NBGRADER_EXECUTE = """
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
"""


def run_nbgrader(course_src: list[tuple[str, str]], class_dir: Path, tmp: Path,
                 mode: str = "kit") -> dict:
    """``nbgrader autograde --force`` of every assignment, timed. ``mode``: "execute" (nbgrader's
    own Execute: a kernel per notebook), "kit" (the course's GradeWithConvkit step, grading each
    notebook in the kit's isolated worker) or "after-make-grade" (the same step after `make
    grade` graded the class in parallel: it reuses the records; both runs are timed)."""
    course = tmp / f"nbcourse-{mode}"
    shutil.copytree(ROOT / "solutions", course / "source")
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + (NBGRADER_EXECUTE if mode == "execute" else ""))
    env = _iso_env(tmp)
    common = [f"--CourseDirectory.root={course}", "--CourseDirectory.source_directory=source",
              "--CourseDirectory.release_directory=release",
              f"--CourseDirectory.db_url=sqlite:///{course}/gradebook.db"]
    for a in ASSIGNMENTS:
        subprocess.run([str(Path(PY).parent / "nbgrader"), "generate_assignment", a, "--force",
                        *common], env=env, cwd=course, check=True, capture_output=True)
    for student, a in course_src:
        subprocess.run([str(Path(PY).parent / "nbgrader"), "db", "student", "add", student, *common],
                       env=env, cwd=course, check=True, capture_output=True)
        shutil.copytree(class_dir / "submitted" / student / a, course / "submitted" / student / a)
    t = time.perf_counter()
    make_grade = 0.0
    if mode == "after-make-grade":
        jobs = str(os.cpu_count() or 1)
        subprocess.run([PY, "-m", "autograder", "class", str(course), "--jobs", jobs],
                       env=env, cwd=course, check=True, capture_output=True)
        make_grade = time.perf_counter() - t
    for a in ASSIGNMENTS:
        subprocess.run([str(Path(PY).parent / "nbgrader"), "autograde", a, "--force", *common],
                       env=env, cwd=course, capture_output=True)
    wall = time.perf_counter() - t
    return {"wall": wall, "graded": len(course_src), "make_grade": make_grade}


def check_latency() -> float:
    """A student's `make check` of one notebook (`python -m autograder check`), once torch is
    imported (median of 3)."""
    code = ("import contextlib, io, time, torch\nfrom autograder.cli import main\n"
            "t = time.perf_counter()\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['check', '{nb}', '--assignment', '{a}'])\n"
            "print(time.perf_counter() - t)\n")
    a = ASSIGNMENTS[0]      # the course's first; the demo's ada_lovelace submitted every assignment
    nb = ROOT / "demo" / "course" / "submitted" / "ada_lovelace" / a / f"{a}.ipynb"
    times = []
    for _ in range(3):
        r = subprocess.run([PY, "-c", code.format(nb=nb, a=a)], capture_output=True, text=True, cwd=ROOT)
        times.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def run_dask(course: Path, tmp: Path, workers: int, pool: dict) -> None:
    """The class on a LocalCluster of ``workers`` processes, cold then warm, against the pool."""
    import logging
    from distributed import Client, LocalCluster
    t = time.perf_counter()
    with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(workers)
        print(f"dask LocalCluster of {workers} workers started in {time.perf_counter() - t:.1f} s")
        for run in ("cold workers", "warm workers"):
            d = run_engine(course, tmp / "outdask", workers, cluster.scheduler_address)
            print(f"dask {run}: {d['wall']:.1f} s for {d['graded']} -> "
                  f"{60 * d['graded'] / d['wall']:.1f} submissions/min; per submission median "
                  f"{statistics.median(d['per']):.2f} s, p95 {p95(d['per']):.2f} s; machine busy "
                  f"{d['cores']:.2f} of {os.cpu_count()} cores; {d['wall'] / pool['wall']:.2f}x "
                  f"the local pool's time at JOBS={workers} ({pool['wall']:.1f} s)")


def p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))] if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scale", action="store_true", help="also grade 2N and 4N (JOBS = max)")
    ap.add_argument("--nbgrader-n", type=int, default=None,
                    help="grade only the first K notebooks with nbgrader (default: all N)")
    ap.add_argument("--skip-nbgrader", action="store_true")
    ap.add_argument("--dask", action="store_true",
                    help="also grade on a LocalCluster of max(JOBS) workers (class --scheduler)")
    ap.add_argument("--buggy-share", type=float, default=0.5,
                    help="share of buggy submissions in the class (default 0.5; 1.0: all buggy)")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        course = tmp / "class"
        made = build_class(args.n, course, args.buggy_share)
        print(f"class: {len(made)} notebooks over {len(ASSIGNMENTS)} assignments, "
              f"{args.buggy_share:.0%} of them buggy (tests/corpus: correct and buggy modules)")

        engine = {}
        for j in args.jobs:
            engine[j] = run_engine(course, tmp / f"out{j}", j)
            e = engine[j]
            print(f"engine JOBS={j}: {e['wall']:.1f} s for {e['graded']} -> "
                  f"{60 * e['graded'] / e['wall']:.1f} submissions/min; per submission median "
                  f"{statistics.median(e['per']):.2f} s, p95 {p95(e['per']):.2f} s; peak RSS "
                  f"{e['peak_mb']:.0f} MB; machine busy {e['cores']:.2f} of {os.cpu_count()} cores")
            busy = sum(e["per"])
            print(f"  grader overhead at JOBS={j}: {busy:.1f} s grading / {e['student_s']:.1f} s in "
                  f"student code = {busy / max(e['student_s'], 1e-9):.2f}x "
                  f"(overhead {busy / max(e['student_s'], 1e-9) - 1:.2f}x)")
        j1, jmax = min(engine), max(engine)
        if j1 != jmax:
            print(f"speed-up JOBS={jmax} over JOBS={j1}: {engine[j1]['wall'] / engine[jmax]['wall']:.2f}x")
        e = engine[jmax]

        if args.dask:
            run_dask(course, tmp, jmax, e)

        if args.scale:
            for mult in (2, 4):
                c2 = tmp / f"class{mult}"
                build_class(args.n * mult, c2, args.buggy_share)
                r = run_engine(c2, tmp / f"outs{mult}", jmax)
                print(f"N={args.n * mult}: {r['wall']:.1f} s ({r['wall'] / engine[jmax]['wall']:.2f}x the time "
                      f"of N={args.n})")

        print(f"student check latency (one notebook, torch already imported): {check_latency():.2f} s")

        if not args.skip_nbgrader:
            k = args.nbgrader_n or len(made)
            rate_engine = 60 * e["graded"] / e["wall"]
            for mode, label in (("execute", "nbgrader autograde, nbgrader's Execute (a kernel each)"),
                                ("kit", "nbgrader autograde, the kit's step (sandboxed worker)"),
                                ("after-make-grade", "make grade, then nbgrader autograde (reused)")):
                nbg = run_nbgrader(made[:k], course, tmp, mode)
                rate_nb = 60 * nbg["graded"] / nbg["wall"]
                extra = (f" (make grade {nbg['make_grade']:.1f} s + autograde "
                         f"{nbg['wall'] - nbg['make_grade']:.1f} s)") if nbg["make_grade"] else ""
                print(f"{label}: {nbg['wall']:.1f} s for {nbg['graded']}{extra} -> "
                      f"{rate_nb:.1f} submissions/min; engine(JOBS={jmax}) alone is "
                      f"{rate_engine / rate_nb:.1f}x that")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
