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
                                                           (``autograder/regrade.py``)

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
each worker grades many submissions and keeps its own sandbox zygote (``autograder.isolation``).
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

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

RECORD = "convkit.json"
RESULTS = "results.json"
SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
# Called as hook(student, assignment) in the run's main thread right after each result is
# written, whichever grader made it (the local pool or ``cluster``): the tests interrupt a run
# at this known point instead of racing it.
RESULT_HOOKS: list = []


# ---------------------------------------------------------------------------------------------
# Discovery and keys

@dataclass
class Job:
    student: str
    assignment: str
    path: str
    key: str = ""
    attempts: int = 0
    # The key's parts, kept in the record so that a regrade can say why (``regrade``).
    code: str = ""
    grader: str = ""
    settings: str = ""


class ClassError(Exception):
    """The run cannot start: nothing was graded and no file was written (exit status 2)."""


@dataclass
class Summary:
    """What one class run did; ``main`` prints it, the tests read it."""
    graded: list = field(default_factory=list)        # (student, assignment) graded this run
    up_to_date: list = field(default_factory=list)    # skipped: result exists under the same key
    errors: list = field(default_factory=list)        # (student, assignment, message)
    unknown: list = field(default_factory=list)       # (student, folder) not a known assignment
    interrupted: bool = False
    written: list = field(default_factory=list)       # class-level files written
    gradebook: dict | None = None
    stats: dict = field(default_factory=dict)         # per assignment: n, mean, median, max
    data: dict = field(default_factory=dict)          # classreport.collect's dict (all results)


def discover(course: Path, only: list[str] | None, known: set[str]):
    """The submissions under ``course/submitted`` (sorted), and the unknown assignment folders."""
    jobs, unknown = [], []
    root = course / "submitted"
    for sdir in sorted(root.iterdir()):
        if sdir.name.startswith(".") or not sdir.is_dir():
            continue
        for adir in sorted(sdir.iterdir()):
            if adir.name.startswith(".") or adir.name in SKIP_NAMES:
                continue
            if not (adir.is_dir() or adir.is_symlink()):
                continue
            if adir.name not in known:
                unknown.append((sdir.name, adir.name))
                continue
            if only and adir.name not in only:
                continue
            jobs.append(Job(sdir.name, adir.name, str(adir)))
    return jobs, unknown


def grader_fingerprint() -> str:
    """Changes whenever the grader could grade differently: its source, templates, the reference
    solutions, versions."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for p in sorted(pkg.rglob("*")):
        if (p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
                and p.suffix in (".py", ".j2", ".json", ".toml", ".txt")):
            h.update(str(p.relative_to(pkg)).encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    # The reference solutions are read by checks (matches the reference, learn_kernel).
    from .reference import solutions_dir
    for p in sorted(solutions_dir().glob("*/*.ipynb")):
        h.update(f"solutions/{p.parent.name}/{p.name}\0".encode() + p.read_bytes() + b"\0")
    for dist in ("hypothesis", "torch", "numpy"):
        try:
            from importlib.metadata import version
            h.update(f"{dist}=={version(dist)}\0".encode())
        except Exception:
            h.update(f"{dist}==?\0".encode())
    return h.hexdigest()


def submission_hash(path: Path) -> str:
    """sha256 over the submission folder's file names and contents. A symlink counts by its
    target's name (and content when readable); an unreadable entry makes the key unique to this
    run, so it is always regraded (and its error recorded)."""
    h = hashlib.sha256()
    entries = [path] if not path.is_dir() or path.is_symlink() else sorted(path.rglob("*"))
    for p in entries:
        if any(part in SKIP_NAMES for part in p.parts):
            continue
        rel = p.name if p == path else str(p.relative_to(path))
        try:
            if p.is_symlink():
                h.update(b"L" + rel.encode() + b"\0" + os.readlink(p).encode() + b"\0")
            if p.is_file():
                h.update(b"F" + rel.encode() + b"\0")
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
        except OSError as e:
            h.update(f"E{rel}:{e}:{time.time_ns()}".encode())
    return h.hexdigest()


def job_key(job: Job, fingerprint: str, isolation: str, device: str) -> str:
    h = hashlib.sha256()
    job.code, job.grader, job.settings = submission_hash(Path(job.path)), fingerprint, f"{isolation}/{device}"
    for part in (job.code, fingerprint, isolation, device, job.assignment):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Worker side (runs in the pool's processes)

_WORKER = {}


def _init_worker(isolation: str) -> None:
    # Ctrl-C is the parent's to handle: it stops the pool and keeps what is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER["isolation"] = isolation
    if isolation != "none":
        # Start this process's zygote now (it imports torch while the worker imports the checks);
        # every submission this process grades forks its worker from it.
        import threading

        def start():
            try:
                from . import isolation as iso
                iso.get_zygote(isolation == "sandbox")
            except Exception:
                pass    # grade() starts it again and reports what went wrong, per submission
        threading.Thread(target=start, daemon=True).start()
    import torch
    torch.set_num_threads(1)
    from . import grade  # noqa: F401  (import once per worker, not per submission)
    from . import prefetch
    prefetch.RECORD = True      # this process grades many submissions: plans pay for themselves


def grade_job(path: str, assignment: str, isolation: str, device: str,
              bundle: tuple | None = None) -> dict:
    """Grade one submission; never raises: an exception becomes ``{"error": ...}``.

    ``bundle`` is ``(blob, digest)`` from ``prepare``: the class's streams and plans, installed
    once per process (without it, the process makes what it needs itself)."""
    t0 = time.monotonic()
    if bundle is not None:
        try:
            from . import prepare
            prepare.install(*bundle)
        except Exception:
            pass        # a bundle that cannot be used only costs time: the checks make their own
    try:
        from .grade import grade
        results = grade(path, assignment, isolation=isolation, device=device)
        return {"results": results, "error": None, "seconds": time.monotonic() - t0}
    except BaseException as e:          # noqa: BLE001  (a student's SystemExit included)
        from .submission import Unreadable
        tb = traceback.format_exception_only(type(e), e)
        # The submission's own fault gives the same error again; anything else (the sandbox
        # failed to start under load, bwrap missing, a full disk) is retried on the next run.
        return {"results": None, "error": "".join(tb).strip(), "seconds": time.monotonic() - t0,
                "retry": not isinstance(e, Unreadable)}


# ---------------------------------------------------------------------------------------------
# Writing results

def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _error_results(assignment_id: str, message: str) -> dict:
    from . import assignments, scoring
    a = assignments.get(assignment_id)
    text = ("The grader could not grade this submission: " + message +
            "\nYour teacher has been told; nothing is wrong with your other work.")
    return scoring.results_json(a, scoring.not_graded(a, text),
                                {"output": text, "output_format": "text", "execution_time": 0.0})


def _titles(assignment_id: str) -> tuple[str, dict]:
    from . import assignments
    a = assignments.get(assignment_id)
    return a.title, {e.name: e.title for e in a.exercises}


def write_submission(out: Path, job: Job, outcome: dict) -> dict:
    """Write results.json, the feedback pages and the record, in that order (the record last,
    so a crash in between leaves the submission to regrade)."""
    from . import regrade
    from .report import html_feedback, markdown_feedback
    results = outcome.get("results")
    error = outcome.get("error")
    if results is None:
        results = _error_results(job.assignment, error or "unknown error")
    adir = out / "autograded" / job.student / job.assignment
    fdir = out / "feedback" / job.student / job.assignment
    previous = regrade.previous(adir)       # the result this one replaces, for regrade.csv
    _atomic_write(adir / RESULTS, json.dumps(results, indent=2, ensure_ascii=False))
    title, ex_titles = _titles(job.assignment)
    when = time.strftime("%Y-%m-%d %H:%M")
    ctx = dict(assignment=job.assignment, student=job.student, title=title,
               exercise_titles=ex_titles, when=when)
    _atomic_write(fdir / "feedback.html", html_feedback(results, **ctx))
    _atomic_write(fdir / "feedback.md", markdown_feedback(results, **ctx))
    record = {"key": job.key, "status": "error" if error else "graded", "error": error,
              "retry": bool(outcome.get("retry")), "score": results["score"],
              "max_score": results["max_score"], "seconds": round(outcome.get("seconds", 0), 3),
              "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "submission": job.path,
              "code": job.code, "grader": job.grader, "settings": job.settings,
              "declarations": regrade.declarations(job.assignment), "previous": previous,
              "called": (results.get("extra_data") or {}).get("called", {})}
    _atomic_write(adir / RECORD, json.dumps(record, indent=2))
    return record


def is_up_to_date(out: Path, job: Job) -> bool:
    adir = out / "autograded" / job.student / job.assignment
    try:
        record = json.loads((adir / RECORD).read_text())
        json.loads((adir / RESULTS).read_text())
    except (OSError, ValueError):
        return False
    return record.get("key") == job.key and not record.get("retry")


# ---------------------------------------------------------------------------------------------
# The run

# What the fork server imports once, so that every grading process forks with it loaded. (The
# sandbox zygotes are separate interpreters started afresh: nothing imported here reaches them.)
FORKSERVER_PRELOAD = ["torch", "hypothesis", "autograder.grade", "autograder.prepare"]


def start_forkserver() -> None:
    """Start the fork server now, so its imports overlap the parent's own work (keys, hashes)."""
    from multiprocessing import forkserver
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    forkserver.ensure_running()


def _pool(jobs: int, isolation: str, start_method: str) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(isolation,))


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except Exception:
            pass
    for p in procs:
        try:
            p.join(5)
        except Exception:
            pass


def _prepare(pool: ProcessPoolExecutor, assignment_ids) -> tuple | None:
    """The class's streams and plans, one exercise per pool task (see ``prepare``); None on failure."""
    from . import prepare
    try:
        futures = [pool.submit(prepare.make, keys) for keys in prepare.tasks(assignment_ids)]
        blob = prepare.merge(f.result() for f in futures)
    except Exception:
        return None
    return blob, prepare.digest(blob)


def finish(out: Path, job: Job, outcome: dict, summary: Summary, progress=None, task=None) -> None:
    """One submission's outcome, from whichever grader (the local pool, ``cluster``): written
    and counted."""
    record = write_submission(out, job, outcome)
    summary.graded.append((job.student, job.assignment))
    if record["status"] == "error":
        summary.errors.append((job.student, job.assignment, record["error"]))
    if progress is not None:
        progress.advance(task)
    for hook in RESULT_HOOKS:
        hook(job.student, job.assignment)


def grade_all(todo: list[Job], out: Path, jobs: int, isolation: str, device: str,
              summary: Summary, progress=None, task=None, start_method: str = "forkserver") -> None:
    """Grade ``todo`` with a pool of ``jobs`` processes, writing each result as it arrives."""
    def done(job, outcome):
        finish(out, job, outcome, summary, progress, task)

    queue = list(todo)
    alone = []          # jobs that broke a shared pool twice: graded one at a time
    bundle = None
    while queue or alone:
        if queue:
            batch, width = queue, jobs
            queue = []
        else:
            batch, width = [alone.pop(0)], 1
        pool = _pool(min(width, len(batch)), isolation, start_method)
        try:
            if bundle is None and min(width, len(batch)) > 1:
                # Several processes: make the examples once, in parallel, instead of in each.
                bundle = _prepare(pool, sorted({j.assignment for j in todo}))
                if bundle is None:      # the pool may have broken: grade on a fresh one
                    _kill_pool(pool)
                    pool = _pool(min(width, len(batch)), isolation, start_method)
            futures = {pool.submit(grade_job, j.path, j.assignment, isolation, device, bundle): j
                       for j in batch}
            pending = set(futures)
            broken = False
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = futures[fut]
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        job.attempts += 1
                        if width == 1:
                            done(job, {"error": "the grading process died while grading this "
                                                "submission (killed, or out of memory)",
                                       "retry": True})
                        elif job.attempts >= 2:
                            alone.append(job)
                        else:
                            queue.append(job)
                        continue
                    except Exception as e:      # pickling trouble and the like
                        outcome = {"error": f"{type(e).__name__}: {e}"}
                    done(job, outcome)
            if broken:
                _kill_pool(pool)
            else:
                pool.shutdown(wait=True)
        except BaseException:
            _kill_pool(pool)
            raise


def run_class(course, out=None, jobs: int = 0, assignments_only=None, isolation: str = "sandbox",
              device: str = "cpu", force: bool = False, gradebook: str | None = None,
              show_progress: bool = True, start_method: str = "forkserver",
              fingerprint: str | None = None, scheduler: str | None = None) -> Summary:
    """Grade every submission of ``course`` that needs it; write the per-class files.

    ``fingerprint`` replaces the grader's own (tests pin it while the package is being edited).
    ``scheduler`` (a Dask scheduler's address) grades on that cluster instead of a local pool
    (``cluster``); everything else is the same.
    Raises ``OSError`` when the course folder (its ``submitted/``) cannot be read, and
    ``ClassError`` when ``assignments_only`` names an unknown assignment or there is no submission
    to grade (or, with ``scheduler``, when it cannot be reached or no worker may grade); in every
    case before anything is written."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    course = Path(course)
    out = Path(out) if out else course
    if not (course / "submitted").is_dir():
        raise OSError(f"{course}: no submitted/ folder (expected submitted/<student>/<assignment>/)")
    from . import assignments
    known = assignments.all_assignments()
    only = list(dict.fromkeys(assignments_only)) if assignments_only else None
    ids = ", ".join(sorted(known, key=_teaching_order))
    bad = [a for a in (only or ()) if a not in known]
    if bad:
        raise ClassError(f"unknown assignment{'s' if len(bad) > 1 else ''} "
                         f"{', '.join(repr(a) for a in bad)} (known: {ids})")
    summary = Summary()
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
    if start_method == "forkserver" and not scheduler:
        start_forkserver()
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
            with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                          disable=not show_progress, transient=False) as progress:
                task = progress.add_task("grading", total=len(todo))
                if scheduler:
                    from . import cluster
                    cluster.grade_all(todo, out, scheduler, isolation, device, summary, progress,
                                      task, console)
                else:
                    grade_all(todo, out, jobs, isolation, device, summary, progress, task,
                              start_method)
    except KeyboardInterrupt:
        summary.interrupted = True

    # The class files always cover the whole class: every known assignment, every result on disk.
    assignment_ids = sorted(known, key=_teaching_order)
    from . import classreport
    roster = [d.name for d in sorted((course / "submitted").iterdir())
              if d.is_dir() and not d.name.startswith(".")]
    rows = classreport.collect(out, all_jobs, assignment_ids, roster)
    summary.data = rows
    names = {}
    db_url = gradebook_url(course, gradebook)
    if db_url and not summary.interrupted:
        from . import gradebook as gbmod
        try:
            summary.gradebook = gbmod.write_scores(db_url, course, rows)
            names = summary.gradebook.get("names", {})
            # the gradebook's students are the course's roster too
            rows["students"] = sorted(set(rows["students"]) | set(names))
        except Exception as e:      # the gradebook is a bonus: never lose the run over it
            summary.gradebook = {"error": f"{type(e).__name__}: {e}", "db_url": db_url}
    summary.stats = classreport.stats(rows)
    from . import regrade       # before the report, which shows it
    summary.written += regrade.write(out, summary.graded)
    summary.written += classreport.write_all(out, rows, names, classreport.course_name(course))
    return summary


def _teaching_order(a: str):
    # The book's order, from each assignment's declared section (assignments/ is the one source).
    from .assignments import teaching_order
    return teaching_order(a)


def gradebook_url(course: Path, given: str | None) -> str | None:
    """``--gradebook`` (a path or an SQLAlchemy URL), else the course's own gradebook.db when it
    exists (nbgrader's default ``COURSE/gradebook.db``, or ``COURSE/.nbgrader/gradebook.db``)."""
    if given:
        return given if "://" in given else "sqlite:///" + str(Path(given).resolve())
    for cand in (course / "gradebook.db", course / ".nbgrader" / "gradebook.db"):
        if cand.is_file():
            return "sqlite:///" + str(cand.resolve())
    return None


def _print_gradebook(console, data: dict) -> None:
    """The class gradebook as grades.csv holds it: one row per student, one column per
    assignment, and the total; "missing" where a student has no submission (blank in the CSV),
    "not graded" where a submission has no result yet."""
    from rich.table import Table
    from . import classreport
    if not data or not data.get("students"):
        return
    header, rows = classreport.csv_rows(data)
    a_ids = list(data["assignments"])
    table = Table(title="gradebook")
    table.add_column("student")
    for a in a_ids:
        table.add_column(a, justify="right")
    table.add_column("total", justify="right")
    for r in rows:
        by = dict(zip(header, r))
        cells = [by[a] if by[a] != "" else f"[dim]{classreport.status(data, r[0], a)}[/dim]"
                 for a in a_ids]
        table.add_row(r[0], *cells, f"{by['score']} / {by['max_score']}")
    console.print(table)


def _print_summary(summary: Summary, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table
    console = Console(stderr=False)
    stats = summary.stats
    if stats:
        table = Table(title="class summary")
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
    console.print(f"results: {out / 'autograded'}/<student>/<assignment>/{RESULTS}", highlight=False)
    console.print(f"feedback: {out / 'feedback'}/<student>/<assignment>/feedback.html", highlight=False)
    for p in summary.written:
        console.print(f"wrote {p}", highlight=False)


def main(args) -> int:
    course = Path(args.course)
    out = Path(getattr(args, "out", None) or course)
    try:
        summary = run_class(course, out, jobs=getattr(args, "jobs", 0) or 0,
                            assignments_only=getattr(args, "assignment", None),
                            isolation=getattr(args, "isolation", "sandbox") or "sandbox",
                            device=getattr(args, "device", "cpu") or "cpu",
                            force=bool(getattr(args, "force", False)),
                            gradebook=getattr(args, "gradebook", None),
                            show_progress=sys.stderr.isatty(),
                            scheduler=getattr(args, "scheduler", None))
    except (OSError, ClassError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _print_summary(summary, out)
    return 130 if summary.interrupted else 0
