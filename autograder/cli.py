"""The command line (SPEC section 3).

    python -m autograder grade PATH --assignment ID --json OUT   grade one submission
    python -m autograder check PATH --assignment ID               a student's check of a notebook
    python -m autograder class COURSE [--jobs N]                  grade a whole nbgrader course

``grade`` exits 0 whenever grading completed, whatever the score; non-zero only when it could not
grade (unreadable path, unknown assignment).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _table(results: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    by_ex: dict[str, list] = {}
    for t in results["tests"]:
        by_ex.setdefault(t["tags"][0], []).append(t)
    table = Table(title=title)
    table.add_column("exercise")
    table.add_column("score", justify="right")
    table.add_column("failed checks")
    for ex, tests in by_ex.items():
        got = sum(t["score"] for t in tests)
        top = sum(t["max_score"] for t in tests)
        failed = ", ".join(t["tags"][1] for t in tests if t["status"] == "failed")
        table.add_row(ex, f"{got:g} / {top:g}", failed or "-")
    table.add_row("[b]total[/b]", f"[b]{results['score']:g} / {results['max_score']:g}[/b]", "")
    Console(stderr=False).print(table)


def _feedback(results: dict) -> str:
    from .report import text_feedback
    return text_feedback(results)


def cmd_grade(args) -> int:
    from .grade import grade
    from .submission import Unreadable
    try:
        results = grade(args.path, args.assignment, isolation=args.isolation, device=args.device)
    except Unreadable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        tmp.replace(out)
    if args.verbose:
        print(_feedback(results))
    _table(results, f"{args.assignment}: {args.path}")
    return 0


def cmd_check(args) -> int:
    args.json = None
    args.verbose = True
    return cmd_grade(args)


def cmd_class(args) -> int:
    from .classroom import main as class_main
    return class_main(args)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, default_isolation):
        sp.add_argument("path", help="a .py module, an .ipynb notebook, or a folder holding one")
        sp.add_argument("--assignment", required=True, help="assignment id, e.g. cross_correlation")
        sp.add_argument("--isolation", choices=["sandbox", "process", "none"], default=default_isolation,
                        help="sandbox: bubblewrap namespaces + unprivileged worker (grading); "
                             "process: a forked worker with resource limits; none: in this process")
        sp.add_argument("--device", default="cpu", help="cpu or cuda")

    g = sub.add_parser("grade", help="grade one submission")
    common(g, "sandbox")
    g.add_argument("--json", help="write Gradescope results.json here")
    g.add_argument("-v", "--verbose", action="store_true", help="print the full feedback too")
    g.set_defaults(func=cmd_grade)

    c = sub.add_parser("check", help="check your own notebook (students)")
    # Your own code on your own machine: run it in this process (torch is already imported, so
    # feedback comes in seconds); `--isolation process` guards against code that kills the process.
    common(c, "none")
    c.set_defaults(func=cmd_check)

    k = sub.add_parser("class", help="grade every submission of an nbgrader course folder")
    k.add_argument("course", help="course folder holding submitted/<student>/<assignment>/")
    k.add_argument("--jobs", type=int, default=0, help="parallel workers (default: CPU count)")
    k.add_argument("--out", help="output folder (default: COURSE)")
    k.add_argument("--assignment", action="append", help="only these assignments")
    k.add_argument("--device", default="cpu")
    k.add_argument("--isolation", choices=["sandbox", "process"], default="sandbox")
    k.add_argument("--force", action="store_true", help="regrade everything, even unchanged")
    k.add_argument("--gradebook", help="nbgrader gradebook to write the scores into: a path or an "
                   "SQLAlchemy URL (default: COURSE/gradebook.db or COURSE/.nbgrader/gradebook.db "
                   "when it exists)")
    k.set_defaults(func=cmd_class)

    args = p.parse_args(argv)
    return args.func(args)
