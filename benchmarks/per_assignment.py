"""Grading cost per submission, assignment by assignment (issue: each assignment's cost quoted).

    .venv/bin/python benchmarks/per_assignment.py [--assignment ID ...] [--isolation sandbox]

For each assignment, grades its corpus (tests/corpus/<id>/ok_*.py, every correct style, then
bug_*.py, every one-bug mutant) one after the other in this process, as ``make grade`` grades one
submission (``autograder.engine.grade.grade``: isolated workers, one per exercise), after one warm-up
grading that starts the zygote and makes the example streams. Prints, per assignment, the median
and largest wall time and CPU time (this process and its descendants: the sandboxed zygote and
the workers it reaped) of a
correct and of a buggy submission. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.assignments import ids  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and of every live descendant (the zygote under bubblewrap,
    which reaps the workers, so their time is in its children's fields), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(d.name)] = (int(f[1]), sum(int(x) for x in f[11:15]))
    mine, total, frontier = os.getpid(), 0, [os.getpid()]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0))[1]
        frontier += [c for c, (ppid, _) in stats.items() if ppid == pid]
    return total / tick if mine in stats else float("nan")


def _measure(paths, assignment, isolation):
    from autograder.engine.grade import grade
    walls, cpus = [], []
    for p in paths:
        w0, c0 = time.perf_counter(), _cpu()
        grade(p, assignment, isolation=isolation)
        walls.append(time.perf_counter() - w0)
        cpus.append(_cpu() - c0)
    return walls, cpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assignment", nargs="+", default=list(ids()))
    ap.add_argument("--isolation", default="sandbox", choices=["sandbox", "process", "none"])
    args = ap.parse_args()
    from autograder.engine.grade import grade
    for a in args.assignment:
        corpus = ROOT / "tests" / "corpus" / a
        ok, bug = sorted(corpus.glob("ok_*.py")), sorted(corpus.glob("bug_*.py"))
        if not ok:
            print(f"{a}: no correct corpus file")
            continue
        grade(ok[0], a, isolation=args.isolation)           # warm-up: zygote, streams
        for label, paths in (("correct", ok), ("buggy", bug)):
            if not paths:
                continue
            walls, cpus = _measure(paths, a, args.isolation)
            print(f"{a:18} {label:7} n={len(paths):2}  wall median {statistics.median(walls):.2f} s "
                  f"(max {max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s "
                  f"(max {max(cpus):.2f})")


if __name__ == "__main__":
    main()
