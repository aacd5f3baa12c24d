"""Grade a whole nbgrader course folder: ``python -m autograder class COURSE [--jobs N]``.

Input: nbgrader's layout, ``COURSE/submitted/<student>/<assignment>/`` holding a notebook (``.ipynb``)
or a module (``.py``); anything else under ``submitted/`` is ignored. A folder named after no known
assignment is reported and skipped.

Output (under ``OUT``, by default the course folder itself; nbgrader's own files there are left
alone, only the names below are written)::

    OUT/autograded/<student>/<assignment>/results.json    Gradescope results.json (grade()'s dict)
    OUT/autograded/<student>/<assignment>/convkit.json    bookkeeping: key, status, error, time
    OUT/feedback/<student>/<assignment>/feedback.html     the page a student reads
    OUT/feedback/<student>/<assignment>/feedback.md       the same page in Markdown
    OUT/grades.csv                                         one row per student (columns below)
    OUT/class_report.html                                  one self-contained page for the teacher
    OUT/regrade.csv                                        the scores the last regrading run changed, and why
                                                           (``reports/regrade.py``)

``grades.csv`` columns, in order: nbgrader's student columns as ``nbgrader export`` writes them
(``student_id, last_name, first_name, email``; names come from the gradebook when there is one,
else empty), then ``score, max_score`` (totals over the graded assignments), then one column per
assignment (``<assignment>``, in teaching order) and one per exercise (``<assignment>:<exercise>``).
nbgrader's own export has one row per (assignment, student); we keep one row per student, with
its column names for the student and total fields. A student with no result for an assignment
(no submission, or one not graded yet) is left BLANK there and in that assignment's exercise
columns: a missing submission is not a zero (``nbgrader export`` would write 0). ``score`` sums the
student's graded assignments; ``max_score`` is the whole course's total.

Both class files are rebuilt from every result on disk (``OUT/autograded/<student>/<assignment>/
results.json``, whichever run wrote it), for every known assignment and student: a partial run
(``--assignment X``) grades only X but the files still show the whole class.

On a Dask cluster: ``--scheduler tcp://HOST:8786`` grades on its workers instead (``cluster``);
the outputs, the keys and the resumption are the same.

Parallelism: ``--jobs N`` worker processes (default: CPU count) from a ``forkserver`` context;
each worker grades many submissions and keeps its own sandbox zygote (``autograder.sandbox.isolation``).
The parent process only reads files, writes results and renders pages; it never runs student code.

Resumable: every result is written atomically (temporary file + ``os.replace``) as soon as it
arrives, and ``convkit.json`` records the key it was graded under: sha256 of the submission's files,
plus the grader's fingerprint (the ``autograder`` package's files, the hypothesis and torch
versions) and the isolation/device. A rerun grades only submissions whose key changed or that
have no result; ``--force`` regrades everything. Ctrl-C stops the run and leaves every completed
result in place.

Failures: an exception from ``grade`` (or an unreadable submission) is recorded as a results.json
with every exercise at 0 and the error in its ``output``; the run goes on. Such a result is kept
on rerun (the same input gives the same error) unless the submission or the grader changes. A
grading worker that dies (killed, out of memory) breaks only the submissions in flight: they are
retried, and a submission that kills a worker twice is graded alone and, if it kills that too,
recorded as an error that a rerun retries.

Exit status: 0 when the run completed (whatever the scores and errors); 2, with the reason on
stderr and every existing output left untouched, when there is nothing to grade: the course folder
(its ``submitted/``) cannot be read, ``--assignment`` names no known assignment (the known ids are
listed), or no submission of a known assignment is found (a typo in the path must not look like a
successful run of an empty class); 130 on Ctrl-C.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from . import gradebook as gbmod, pool
from .deadlines import apply as apply_deadlines, deadlines
from .progress import RunProgress
from .records import (ClassError, Summary, finish, gradebook_url, grader_fingerprint,
                      is_up_to_date, job_key)
from .. import assignments
from ..assignments import teaching_order
from ..core.settings import ClassSettings, SettingsError, course_settings
from ..reports import classreport, regrade
from ..results.store import RESULTS, check_out, default_out, move_legacy
from ..submission.course import discover


def run_class(course, out=None, jobs: int = 0, assignments_only=None, isolation: str = "sandbox",
              device: str = "cpu", force: bool = False, gradebook: str | None = None,
              show_progress: bool | str = True, start_method: str = "forkserver",
              fingerprint: str | None = None, scheduler: str | None = None,
              settings: ClassSettings | None = None) -> Summary:
    """Grade every submission of ``course`` that needs it; write the per-class files.

    ``show_progress``: True (a live bar), "lines" (plain lines on stderr, for a log file) or
    False. ``fingerprint`` replaces the grader's own (tests pin it while the package is being edited).
    ``scheduler`` (a Dask scheduler's address) grades on that cluster instead of a local pool
    (``cluster``); everything else is the same. ``settings``: the course's (due dates,
    extensions, released hidden checks; default: read from its ``nbgrader_config.py``).
    Raises ``OSError`` when the course folder (its ``submitted/``) cannot be read, and
    ``ClassError`` when ``assignments_only`` names an unknown assignment or there is no submission
    to grade (or, with ``scheduler``, when it cannot be reached or no worker may grade); in every
    case before anything is written."""

    course = Path(course)
    out = Path(out) if out else default_out(course)
    if not (course / "submitted").is_dir():
        raise OSError(f"{course}: no submitted/ folder (expected submitted/<student>/<assignment>/)")
    try:
        check_out(course, out)
    except ValueError as e:
        raise ClassError(str(e)) from None
    known = assignments.all_assignments()
    only = list(dict.fromkeys(assignments_only)) if assignments_only else None
    ids = ", ".join(sorted(known, key=teaching_order))
    bad = [a for a in (only or ()) if a not in known]
    if bad:
        raise ClassError(f"unknown assignment{'s' if len(bad) > 1 else ''} "
                         f"{', '.join(repr(a) for a in bad)} (known: {ids})")
    summary = Summary()
    settings = settings or course_settings(course)
    db_url = gradebook_url(course, gradebook)
    rules = deadlines(course, settings, gbmod.read_dates(db_url) if db_url else None)
    # Every submission (for the class files), and those of the selected assignments (to grade).
    all_jobs, unknown = discover(course, None, set(known))
    selected = [j for j in all_jobs if not only or j.assignment in only]
    summary.unknown += unknown
    if not selected:
        where = course / "submitted"
        what = f"for {', '.join(only)} " if only else ""
        msg = (f"no submissions {what}found under {where} (expected "
               f"submitted/<student>/<assignment>/ holding a notebook or a .py, with <assignment> "
               f"one of: {ids})")
        if unknown:
            shown = ", ".join(f"{s}/{a}" for s, a in unknown[:10])
            msg += f"; folders that name no known assignment: {shown}"
            if len(unknown) > 10:
                msg += f" and {len(unknown) - 10} more"
        raise ClassError(msg + ". Nothing was graded or written.")
    # Records an older kit wrote into nbgrader's folders move to OUT first (nbgrader skips a
    # folder holding them), keeping their history.
    summary.moved = move_legacy(course, out)
    if start_method == "forkserver" and not scheduler:
        pool.start_forkserver()
    fingerprint = fingerprint or grader_fingerprint()
    todo = []
    for job in selected:
        job.key = job_key(job, fingerprint, isolation, device)
        if not force and is_up_to_date(out, job):
            summary.up_to_date.append((job.student, job.assignment))
        else:
            todo.append(job)
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(todo) or 1))

    console = Console(stderr=True)
    try:
        if todo:
            mode = {True: "bar", "lines": "lines"}.get(show_progress)
            with RunProgress(len(todo), mode, console) as progress:
                def done(job, outcome):
                    finish(out, job, outcome, summary, progress)

                if scheduler:
                    # distributed is imported only for a run on a Dask cluster.
                    from . import cluster
                    summary.interrupted |= cluster.grade_all(todo, done, scheduler, isolation,
                                                             device, console, progress.phase)
                else:
                    pool.grade_all(todo, done, jobs, isolation, device, start_method,
                                   progress.phase)
    except KeyboardInterrupt:
        summary.interrupted = True

    # The class files always cover the whole class: every known assignment, every result on disk.
    assignment_ids = sorted(known, key=teaching_order)
    roster = [d.name for d in sorted((course / "submitted").iterdir())
              if d.is_dir() and not d.name.startswith(".")]
    rows = classreport.collect(out, all_jobs, assignment_ids, roster)
    summary.data = rows
    summary.pages_rewritten = apply_deadlines(rows, course, out, rules)
    names = {}
    if db_url and not summary.interrupted:
        try:
            summary.gradebook = gbmod.write_scores(db_url, course, rows)
            names = summary.gradebook.get("names", {})
            # the gradebook's students are the course's roster too
            rows["students"] = sorted(set(rows["students"]) | set(names))
        except Exception as e:      # the gradebook is a bonus: never lose the run over it
            summary.gradebook = {"error": f"{type(e).__name__}: {e}", "db_url": db_url}
    summary.stats = classreport.stats(rows)
    # regrade.csv before the report, which shows it
    summary.written += regrade.write(out, summary.graded)
    summary.written += classreport.write_all(out, rows, names, classreport.course_name(course))
    return summary


def _print_gradebook(console, data: dict) -> None:
    """The class gradebook as grades.csv holds it: one row per student, one column per
    assignment, and the total; "missing" where a student has no submission (blank in the CSV),
    "not graded" where a submission has no result yet. Fits 80 columns for a class of six
    assignments: columns are numbered in teaching order, named in a legend below."""
    if not data or not data.get("students"):
        return
    header, rows = classreport.csv_rows(data)
    a_ids = list(data["assignments"])
    known = assignments.all_assignments()
    total = sum(float(data["assignments"][a]["max"]) for a in a_ids)
    table = Table(title="gradebook", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("student", no_wrap=True)
    for i, _ in enumerate(a_ids, 1):
        table.add_column(str(i), justify="right", no_wrap=True)
    table.add_column(f"total/{total:g}", justify="right", no_wrap=True)
    for r in rows:
        by = dict(zip(header, r))
        cells = [f"{float(by[a]):.4g}" if by[a] != ""
                 else f"[dim]{classreport.status(data, r[0], a)}[/dim]" for a in a_ids]
        table.add_row(r[0], *cells, f"{float(by['score'] or 0):.4g}")
    console.print(table)
    legend = [f"{i} {a}" + (f" ({known[a].section})" if a in known and known[a].section else "")
              for i, a in enumerate(a_ids, 1)]
    console.print("  ".join(legend), highlight=False, style="dim")


def _print_summary(summary: Summary, out: Path) -> None:
    console = Console(stderr=False)
    stats = summary.stats
    if stats:
        table = Table(title="class summary", box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("assignment", "submissions", "missing", "mean", "median", "max"):
            table.add_column(col, justify="left" if col == "assignment" else "right")
        for a, s in stats.items():
            table.add_row(a, str(s["n"]), str(s["missing"]), f"{s['mean']:.2f}",
                          f"{s['median']:.2f}", f"{s['max']:g}")
        console.print(table)
    _print_gradebook(console, summary.data)
    console.print(f"graded {len(summary.graded)}, up to date {len(summary.up_to_date)}, "
                  f"errors {len(summary.errors)}, unknown folders {len(summary.unknown)}")
    for s, a, msg in summary.errors:
        console.print(f"[red]error[/red] {s}/{a}: {msg}", markup=True, highlight=False)
    for s, a in summary.unknown:
        console.print(f"[yellow]skipped[/yellow] {s}/{a}: not a known assignment", highlight=False)
    if summary.gradebook:
        gb = summary.gradebook
        if gb.get("error"):
            console.print(f"[red]gradebook not updated[/red]: {gb['error']}", highlight=False)
        else:
            console.print(f"gradebook {gb['db_url']}: {gb['grades']} grades written"
                          + (f"; not written: {'; '.join(gb['skipped'])}" if gb.get("skipped") else ""),
                          highlight=False)
    if summary.interrupted:
        console.print("[yellow]interrupted[/yellow]: completed results are kept; rerun to finish.")
    if summary.moved:
        console.print(f"moved the kit's earlier results of {len(summary.moved)} submissions out "
                      f"of nbgrader's autograded/ and feedback/ into {out}", highlight=False)
    console.print(f"results: {out / 'autograded'}/<student>/<assignment>/{RESULTS}", highlight=False, soft_wrap=True)
    console.print(f"feedback: {out / 'feedback'}/<student>/<assignment>/feedback.html", highlight=False, soft_wrap=True)
    for p in summary.written:
        console.print(f"wrote {p}", highlight=False, soft_wrap=True)


def main(args) -> int:
    course = Path(args.course)
    out = Path(getattr(args, "out", None) or default_out(course))
    try:
        # The course's settings (its nbgrader_config.py), then the flags given over them.
        asked = course_settings(course, **{k: getattr(args, k, None) for k in
                                           ("jobs", "isolation", "device", "scheduler",
                                            "gradebook")})
        settings = asked.resolved()
        if asked.isolation == "auto" and settings.isolation != "sandbox":
            print("note: bubblewrap is not installed: grading with --isolation process (forked "
                  "workers with resource limits, no namespaces)", file=sys.stderr)
        summary = run_class(course, out, jobs=settings.jobs,
                            assignments_only=getattr(args, "assignment", None),
                            isolation=settings.isolation, device=settings.device,
                            force=bool(getattr(args, "force", False)),
                            gradebook=settings.gradebook,
                            show_progress=True if sys.stderr.isatty() else "lines",
                            scheduler=settings.scheduler, settings=settings)
    except (OSError, ClassError, SettingsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _print_summary(summary, out)
    return 130 if summary.interrupted else 0
