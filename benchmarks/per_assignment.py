"""Grading cost per submission, assignment by assignment (issue: each assignment's cost quoted).

    .venv/bin/python benchmarks/per_assignment.py [--assignment ID ...] [--isolation sandbox]

For each assignment, grades its corpus (tests/corpus/<id>/ok_*.py, every correct style, then
bug_*.py, every one-bug mutant) one after the other in this process, as ``make grade`` grades one
submission (``autograder.grade.grade``: isolated workers, one per exercise), after one warm-up
grading that starts the zygote and makes the example streams. Prints, per assignment, the median
and largest wall time and grader CPU time (this process and its children: workers included) of a
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
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _measure(paths, assignment, isolation):
    from autograder.grade import grade
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
    from autograder.grade import grade
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
