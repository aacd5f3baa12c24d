"""The command line (docs/CONTRACT.md).

    python -m autograder grade PATH --assignment ID --json OUT   grade one submission
    python -m autograder check PATH [--assignment ID]             a student's check of a notebook
    python -m autograder class COURSE [--jobs N]                  grade a whole nbgrader course
        [--scheduler tcp://HOST:8786]                              ... on a Dask cluster
    python -m autograder similarity COURSE [--assignment ID]      similarity.html and .csv: the
        [--threshold 0.5] [--floor 0.2] [--min-tokens 60]          students whose exercise code
        [--out DIR]                                                is alike (相似度)
    python -m autograder collect ARCHIVE [--course C] [--assignment ID]   an LMS archive into
        [--regexp RE]                                              COURSE/submitted/ (nbgrader zip_collect)
    python -m autograder gradescope build ID [--visibility V]     the Gradescope autograder zip
    python -m autograder gradescope run|smoke --config C ...      what the zip runs on Gradescope
    python -m autograder ids                                      the assignment ids, in teaching order

``grade`` exits 0 whenever grading completed, whatever the score; non-zero only when it could not
grade (unreadable path, unknown assignment).

``check`` infers the assignment from the notebook's file name or the folders above it (the nearest
name that is, or contains, exactly one known assignment id); ``--assignment`` wins. The student's
own cells print while they are loaded and checked: ``check`` keeps that out of the report and says
how many lines it held back.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

# The top package: ``autograder`` here, ``convkit`` in the student kit (tools/build_student_kit.py).
KIT = __package__.split(".")[0]


def _table(results: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..results.scoring import by_exercise
    by_ex = by_exercise(results)
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
    from ..reports.feedback import text_feedback
    return text_feedback(results)


def cmd_grade(args) -> int:
    from ..engine.grade import grade
    from ..submission.load import Unreadable
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
        from ..results.schema import validate
        tmp.write_text(json.dumps(validate(results), indent=2, ensure_ascii=False))
        tmp.replace(out)
    if args.verbose:
        print(_feedback(results))
    _table(results, f"{args.assignment}: {args.path}")
    return 0


def _known_ids() -> list[str]:
    from ..assignments import ids
    return list(ids())


def _ids_in(name: str, known: list[str]) -> list[str]:
    """The known ids that ``name`` is, or holds as a whole word (``_``, ``-``, spaces and the like
    around it count as word breaks: ``<id>-Copy1``, ``hw_<id>``)."""
    low = name.lower()
    if low in known:
        return [low]
    found = [a for a in known
             if re.search(rf"(?:^|[^a-z0-9]){re.escape(a.lower())}(?:$|[^a-z0-9])", low)]
    # A longer id that holds a shorter one (``a_b`` and ``b``) stands for itself only.
    return [a for a in found if not any(a != b and a in b for b in found)]


def infer_assignment(path) -> str:
    """The assignment a notebook belongs to: from its file name, else the nearest folder above
    it whose name is or holds exactly one known id. Raises ``ValueError`` (listing the ids)."""
    known = _known_ids()
    p = Path(path).resolve()
    names = [p.stem if p.suffix in (".ipynb", ".py") else p.name]
    names += [q.name for q in p.parents if q.name]
    for name in names:
        ids = _ids_in(name, known)
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise ValueError(f"cannot tell which assignment {path} is: {name!r} names "
                             f"{' and '.join(ids)}. Say which with ASSIGNMENT=<id> "
                             f"(make check) or --assignment <id>.")
    raise ValueError(f"cannot tell which assignment {path} is: neither its name nor its folders "
                     f"name one of {', '.join(known)}. Say which with ASSIGNMENT=<id> "
                     f"(make check) or --assignment <id>, or name the notebook after its "
                     f"assignment (for example {known[0]}.ipynb).")


@contextlib.contextmanager
def _held_back():
    """Send everything written to stdout and stderr (Python's and the file descriptors, so a
    forked worker's and C code's too) to a temporary file; yield a function that counts its
    lines."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    held = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    old = sys.stdout, sys.stderr
    lines = {"n": 0, "text": ""}
    try:
        for fd in (1, 2):
            os.dup2(held.fileno(), fd)
        sys.stdout = sys.stderr = held
        yield lines
    finally:
        try:
            held.flush()
        except Exception:
            pass
        sys.stdout, sys.stderr = old
        for fd, dup in saved.items():
            os.dup2(dup, fd)
            os.close(dup)
        held.seek(0)
        text = held.read()
        held.close()
        lines["text"] = text
        lines["n"] = len(text.splitlines())


def cmd_check(args) -> int:
    if not args.path:
        print("error: say which notebook to check: make check NOTEBOOK=path/to/notebook.ipynb "
              f"(assignments: {', '.join(_known_ids())})", file=sys.stderr)
        return 2
    how = "as you asked"
    if not args.assignment:
        try:
            args.assignment = infer_assignment(args.path)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        how = "from its name; another one: ASSIGNMENT=<id> or --assignment <id>"
    from ..engine.grade import grade
    from ..checks.reference import withheld
    from ..submission.load import Unreadable
    results, failure = None, None
    # A student's check never reads the instructor's solutions, even where both sit on one
    # machine: the float64 oracle stands in for "matches the reference".
    with _held_back() as printed, withheld():
        try:
            results = grade(args.path, args.assignment, isolation=args.isolation,
                            device=args.device)
        except (Unreadable, KeyError) as e:
            failure = e.args[0] if e.args else str(e)
    if failure is not None:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    print(f"Checked {args.path} as assignment {args.assignment} ({how}).\n")
    print(_feedback(results))
    _table(results, f"{args.assignment}: {args.path}")
    if printed["n"]:
        n = printed["n"]
        print(f"(Your notebook printed {n} line{'s' if n != 1 else ''} while it was checked, for "
              f"example in its \"Try it\" cells; they are left out of this report. Run the "
              f"notebook in Jupyter to see them.)")
    return 0


def cmd_class(args) -> int:
    from ..classroom.run import main as class_main
    return class_main(args)


def cmd_similarity(args) -> int:
    from ..reports.similarity import main as similarity_main
    return similarity_main(args)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=f"python -m {KIT}", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, default_isolation, infer=False):
        if infer:
            sp.add_argument("path", nargs="?",
                            help="a .py module, an .ipynb notebook, or a folder holding one")
            sp.add_argument("--assignment", help="assignment id (default: inferred from the "
                            "notebook's file name or folder)")
        else:
            sp.add_argument("path", help="a .py module, an .ipynb notebook, or a folder holding one")
            sp.add_argument("--assignment", required=True, help="assignment id (see `ids`)")
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
    common(c, "none", infer=True)
    c.set_defaults(func=cmd_check)

    # The student kit (make student-kit) leaves the instructor's modules out: no class grading
    # and no similarity report there.
    if _has("classroom.run"):
        _class_parser(sub)
    if _has("reports.similarity"):
        _similarity_parser(sub)
    if _has("classroom.collect"):
        _collect_parser(sub)
    if _has("integrations.gradescope"):
        _gradescope_parser(sub)

    if NOTEBOOKS.is_dir():     # the student kit carries the released notebooks
        n = sub.add_parser("notebooks", help="copy the assignments' notebooks into a folder "
                           "(never over a notebook already there)")
        n.add_argument("dest", nargs="?", default=".", help="folder (default: here)")
        n.set_defaults(func=cmd_notebooks)

    i = sub.add_parser("ids", help="print the assignment ids, one a line, in teaching order "
                       "(what make release and scripts iterate over; imports no torch)")
    i.set_defaults(func=cmd_ids)

    args = p.parse_args(argv)
    return args.func(args)


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def cmd_notebooks(args) -> int:
    import shutil
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        target = dest / nb.name
        if target.exists():     # the student's work: never overwritten
            print(f"kept {target} (already there)")
            continue
        shutil.copyfile(nb, target)
        print(f"wrote {target}")
    return 0


def _has(module: str) -> bool:
    from importlib.util import find_spec
    return find_spec(f"{KIT}.{module}") is not None


def _class_parser(sub) -> None:
    k = sub.add_parser("class", help="grade every submission of an nbgrader course folder")
    k.add_argument("course", help="course folder holding submitted/<student>/<assignment>/")
    # The settings' defaults are the course's (nbgrader_config.py's c.Convkit, core/settings.py):
    # a flag given here overrides them.
    k.add_argument("--jobs", type=int, default=None, help="parallel workers (default: the "
                   "course's c.Convkit.jobs, else one per CPU)")
    k.add_argument("--out", help="output folder (default: COURSE/convkit, where nbgrader never "
                   "writes)")
    k.add_argument("--assignment", action="append", help="only these assignments")
    k.add_argument("--device", default=None, help="cpu or cuda (default: c.Convkit.device, "
                   "else cpu)")
    k.add_argument("--isolation", choices=["sandbox", "process", "auto"], default=None,
                   help="default: c.Convkit.isolation, else auto (sandbox where bubblewrap is "
                   "installed, else process)")
    k.add_argument("--force", action="store_true", help="regrade everything, even unchanged")
    k.add_argument("--gradebook", help="nbgrader gradebook to write the scores into: a path or an "
                   "SQLAlchemy URL (default: COURSE/gradebook.db or COURSE/.nbgrader/gradebook.db "
                   "when it exists)")
    k.add_argument("--scheduler", metavar="ADDRESS", help="grade on an existing Dask cluster "
                   "(its scheduler, e.g. tcp://HOST:8786) instead of local processes; --jobs is "
                   "then the cluster's business (README: Grading on a Dask cluster)")
    k.set_defaults(func=cmd_class)


def _similarity_parser(sub) -> None:
    from ..core.settings import SIMILARITY
    THRESHOLD, FLOOR, MIN_TOKENS = SIMILARITY.threshold, SIMILARITY.floor, SIMILARITY.min_tokens
    s = sub.add_parser("similarity", help="report the pairs of students whose exercise code is "
                       "alike (相似度; copydetect, the kit's released code as boilerplate)")
    s.add_argument("course", help="course folder holding submitted/<student>/<assignment>/")
    s.add_argument("--assignment", action="append", help="only these assignments")
    s.add_argument("--out", help="output folder for similarity.html and similarity.csv "
                   "(default: COURSE/convkit)")
    s.add_argument("--threshold", type=float, default=THRESHOLD, help="a pair at or above this "
                   f"similarity is suspicious and shown side by side in similarity.html "
                   f"(default {THRESHOLD:g})")
    s.add_argument("--floor", type=float, default=FLOOR, help="similarity.csv lists every pair "
                   f"at or above this (default {FLOOR:g})")
    s.add_argument("--min-tokens", type=int, default=MIN_TOKENS, help="a pair that shares fewer "
                   f"tokens is not listed, whatever its similarity (default {MIN_TOKENS})")
    s.set_defaults(func=cmd_similarity)


def _collect_parser(sub) -> None:
    k = sub.add_parser("collect", help="import an archive of submissions downloaded from an LMS "
                       "into COURSE/submitted/ (nbgrader zip_collect)")
    k.add_argument("archive", help="zip archive downloaded from the LMS")
    k.add_argument("--course", default="demo/course", help="nbgrader course folder "
                   "(default demo/course)")
    k.add_argument("--assignment", help="assignment id (default: read from the archive)")
    k.add_argument("--regexp", help="nbgrader FileNameCollectorPlugin.named_regexp; "
                   "{assignment} is replaced")
    k.set_defaults(func=cmd_collect)


def cmd_collect(args) -> int:
    from ..classroom.collect import main as collect_main
    return collect_main(args)


def _gradescope_parser(sub) -> None:
    from ..core.settings import DEFAULT_VISIBILITY, HIDDEN_VISIBILITY, VISIBILITIES
    g = sub.add_parser("gradescope", help="the Gradescope autograder: build its zip, and what "
                       "the zip runs there")
    gs = g.add_subparsers(dest="gs_command", required=True)
    b = gs.add_parser("build", help="write gradescope/<id>.zip")
    b.add_argument("assignment")
    b.add_argument("--out", help="folder for the zip (default: gradescope/ in the kit)")
    b.add_argument("--visibility", default=DEFAULT_VISIBILITY, choices=VISIBILITIES)
    b.add_argument("--hidden-visibility", default=HIDDEN_VISIBILITY, choices=VISIBILITIES,
                   help="when hidden checks' results are shown (default: %(default)s)")
    b.add_argument("--course", help="the course whose nbgrader_config.py gives the late policy "
                   "(default: the kit's own)")
    r = gs.add_parser("run", help="run_autograder's side: grade the submission folder")
    r.add_argument("--config", required=True)
    r.add_argument("--submission", required=True)
    r.add_argument("--results", required=True)
    r.add_argument("--isolation", choices=["sandbox", "process", "none"])
    s = gs.add_parser("smoke", help="setup.sh's check that the kit is installed")
    s.add_argument("--config", required=True)
    g.set_defaults(func=cmd_gradescope)


def cmd_gradescope(args) -> int:
    from ..integrations.gradescope import main as gradescope_main
    return gradescope_main(args)


def cmd_ids(args) -> int:
    for a in _known_ids():
        print(a)
    return 0
