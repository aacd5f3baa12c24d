"""The per-class files of a class run: ``grades.csv`` and ``class_report.html``.

Both are built from the results on disk (``OUT/autograded/<student>/<assignment>/results.json``),
not from one run's memory, so a resumed or partial run still reports the whole class. The report is
one self-contained HTML file: plots are PNGs (matplotlib, Agg) embedded as base64, kept between
runs in the course's ``.convkit-plots/`` (``PlotCache``) so a run with nothing new draws none.
See ``classroom`` for the CSV's columns.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import math
import os
import re
import statistics
import time
from collections import Counter
from pathlib import Path

from .. import assignments
from ..results.scoring import by_exercise, exercise_scores, final_score
from ..results.store import RECORD, RESULTS, atomic_write, graded_dir, read_json
from .canvas import canvas_csv
from .feedback import environment, not_assessed, whole_note
from .regrade import section

STUDENT_COLUMNS = ["student_id", "last_name", "first_name", "email"]   # as in `nbgrader export`
# The report's plots between runs (``PlotCache``), beside the report in the course folder.
PLOT_CACHE = ".convkit-plots"
# A change to how the plots are drawn draws them anew.
_PLOT_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def results_on_disk(out: Path, assignment_ids) -> list[tuple[str, str]]:
    """Every (student, assignment) with a ``results.json`` under ``OUT/autograded`` for one of
    ``assignment_ids``, whichever run wrote it (sorted)."""
    found = []
    root = Path(out) / "autograded"
    wanted = set(assignment_ids)
    try:
        students = sorted(root.iterdir())
    except OSError:
        return found
    for sdir in students:
        if sdir.name.startswith(".") or not sdir.is_dir():
            continue
        for a in sorted(wanted):
            if (sdir / a / RESULTS).is_file():
                found.append((sdir.name, a))
    return found


def collect(out: Path, jobs, assignment_ids: list[str], roster=()) -> dict:
    """Everything the class files show, from the results on disk: every
    ``OUT/autograded/<student>/<assignment>/results.json`` of ``assignment_ids`` (this run's and
    earlier runs'), plus the submissions ``jobs`` found under ``submitted/`` (a submission without a
    result yet is "not graded", a student without a submission "missing") and the ``roster``'s
    students, who are missing wherever they handed nothing in."""
    known = assignments.all_assignments()
    data = {"assignments": {}, "students": [], "subs": {}, "pending": set()}
    for a in assignment_ids:
        data["assignments"][a] = {"title": known[a].title, "max": known[a].points,
                                  "exercises": [(e.name, e.points) for e in known[a].exercises]}
    pairs = {(j.student, j.assignment) for j in jobs if j.assignment in data["assignments"]}
    pairs |= set(results_on_disk(out, assignment_ids))
    # the roster: whoever submitted anything, and whoever the course lists (an empty
    # submitted/<student>/ folder, the gradebook's students) even with nothing handed in
    students = {j.student for j in jobs} | set(roster)
    for student, a in sorted(pairs):
        students.add(student)
        adir = graded_dir(out, student, a)
        results = read_json(adir / RESULTS)
        if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
            data["pending"].add((student, a))     # not graded yet (an interrupted run)
            continue
        record = read_json(adir / RECORD)
        record = record if isinstance(record, dict) else {}
        per_ex = exercise_scores(results)
        data["subs"][(student, a)] = {
            "results": results, "record": record, "score": float(results.get("score", 0)),
            "exercises": per_ex, "error": record.get("error")}
    data["students"] = sorted(students)
    return data


def status(data: dict, student: str, assignment: str) -> str:
    """"graded", "not graded" (submitted, no result yet) or "missing" (no submission)."""
    if (student, assignment) in data["subs"]:
        return "graded"
    return "not graded" if (student, assignment) in data.get("pending", ()) else "missing"


def stats(data: dict) -> dict:
    out = {}
    for a, info in data["assignments"].items():
        scores = [s["score"] for (st, aa), s in data["subs"].items() if aa == a]
        if not scores:
            continue
        out[a] = {"n": len(scores), "missing": len(data["students"]) - len(scores), "mean": statistics.fmean(scores),
                  "median": statistics.median(scores), "min": min(scores), "max": max(scores),
                  "max_score": info["max"],
                  "errors": sum(1 for (st, aa), s in data["subs"].items() if aa == a and s["error"])}
    return out


def _findings(s: dict) -> list[tuple[str, str]]:
    """What one graded submission got wrong, each bug once: (finding, the student's message).
    A check "not assessed" because the values were wrong, or "not run" after a hang, is a
    consequence, not a finding; an exercise that failed as a whole (the stub, not defined, a
    forbidden routine) is one finding, not one per check."""
    by_ex = by_exercise(s["results"])
    found = []
    everything = whole_note(s["results"].get("tests", []))
    if len(by_ex) > 1 and everything:
        return [("every exercise (no submission, or it could not be loaded)", everything)]
    for ex, tests in by_ex.items():
        whole = whole_note(tests)
        if whole:
            found.append((f"{ex}: the whole exercise (stub, not defined or forbidden)", whole))
            continue
        for t in tests:
            if t.get("status") == "failed" and \
                    not str(t.get("output", "")).startswith(("not assessed:", "not run:")):
                found.append((t["name"], str(t.get("output", ""))))
    return found


def usual_ops() -> dict:
    """exercise -> the torch functions the reference and the correct corpus call
    (``autograder/reports/usual_ops.json``, written by ``tools/usual_ops.py``)."""
    data = read_json(Path(__file__).resolve().parent / "usual_ops.json")
    return {str(k): set(v) for k, v in data.items()} if isinstance(data, dict) else {}


def unusual_ops(data: dict, usual: dict | None = None) -> list[tuple[str, str, str, list]]:
    """(student, assignment, exercise, [ops]) for every graded exercise whose code called a torch
    function that neither the reference nor any correct corpus submission calls: where the
    allowlist let something through that a human may want to look at."""
    usual = usual_ops() if usual is None else usual
    out = []
    for (student, a), s in sorted(data["subs"].items()):
        called = s["record"].get("called") if isinstance(s.get("record"), dict) else None
        if not isinstance(called, dict):
            continue
        for ex, names in sorted(called.items()):
            if ex not in usual or not isinstance(names, list):
                continue
            odd = sorted(str(n) for n in names if str(n) not in usual[ex])
            if odd:
                out.append((student, a, str(ex), odd))
    return out


def failed_checks(data: dict, top: int = 20) -> list[tuple[str, str, int]]:
    """The most common failed checks: (assignment, test name, number of students), most first.
    Submissions the grader could not grade at all are left out (they fail every check); each bug
    counts once (``_findings``)."""
    count = Counter()
    for (student, a), s in data["subs"].items():
        if s["error"]:
            continue
        for name, _ in _findings(s):
            count[(a, name)] += 1
    return [(a, name, n) for (a, name), n in count.most_common(top)]


def shorten(message: str, limit: int = 200) -> str:
    """The line of a check's message that says what went wrong: its hint where it has one, else
    the first line after the property and the input (which differ from student to student)."""
    lines = [ln for ln in message.splitlines() if ln.strip()]
    hint = next((ln for ln in lines if ln.startswith("Hint:")), None)
    # indented lines show the inputs and the values; "(" lines say where the input came from
    # and "name = value" lines are an input's arguments, whatever their indentation
    body = [ln for ln in lines if not ln[:1].isspace()
            and not ln.startswith(("Property:", "For ", "(")) and not _ARGUMENT.match(ln)]
    line = (hint or (body[0] if body else (lines[0] if lines else ""))).strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


_ARGUMENT = re.compile(r"^\w[\w ]{0,30} = ")


def signatures(data: dict, a: str) -> list[dict]:
    """Failure signatures of assignment ``a``: the students who share exactly the same set of
    findings, largest group first. Students in one group most likely share one misconception,
    so an instructor reads one typical message per group instead of one per student. The
    typical message of a finding is the most common first line its students were shown."""
    groups: dict[tuple, list[str]] = {}
    messages: dict[tuple, dict[str, Counter]] = {}
    for (student, aa), s in sorted(data["subs"].items()):
        if aa != a or s["error"]:
            continue
        found = _findings(s)
        key = tuple(sorted({name for name, _ in found}))
        groups.setdefault(key, []).append(student)
        per = messages.setdefault(key, {})
        for name, msg in found:
            per.setdefault(name, Counter())[shorten(msg)] += 1
    out = []
    for key, students in groups.items():
        if not key:
            continue
        # checks that failed with the same message are listed together, the message once
        typical: dict[str, list[str]] = {}
        for name in key:
            typical.setdefault(messages[key][name].most_common(1)[0][0], []).append(name)
        out.append({"findings": [(names, msg) for msg, names in typical.items()],
                    "checks": list(key), "students": students, "n": len(students)})
    out.sort(key=lambda g: (-g["n"], len(g["checks"]), g["checks"]))
    return out


def row_order(data: dict, a: str) -> list[str]:
    """Every student of the class, for the heatmap's rows: graded submissions grouped by failure
    signature (largest group first, all-passed on top), then not graded, then missing."""
    rank = {}
    for i, g in enumerate(signatures(data, a)):
        for st in g["students"]:
            rank[st] = i + 1
    def key(st):
        state = status(data, st, a)
        order = {"graded": 0, "not graded": 1, "missing": 2}[state]
        s = data["subs"].get((st, a))
        err = 1 if s and s["error"] else 0
        return (order, err, rank.get(st, 0), -(s["score"] if s else 0), st)
    return sorted(data["students"], key=key)


def _fmt(x: float) -> str:
    return f"{x:g}"


def csv_rows(data: dict, names: dict | None = None) -> tuple[list[str], list[list]]:
    """grades.csv's header and rows. An assignment a student has no result for is left blank
    (its total and its exercises): a missing submission is not a zero. ``score`` is the sum over
    the student's graded assignments, ``max_score`` the course's total."""
    names = names or {}
    header = list(STUDENT_COLUMNS) + ["score", "max_score"]
    for a in data["assignments"]:
        header.append(a)
    for a, info in data["assignments"].items():
        header += [f"{a}:{ex}" for ex, _ in info["exercises"]]
    # An assignment with a due date: its column is the score after the late penalty, and the
    # penalty has a column of its own (blank where there is no submission).
    late = [a for a in data.get("late_assignments", ()) if a in data["assignments"]]
    header += [f"{a}:late_penalty" for a in late]
    total_max = sum(info["max"] for info in data["assignments"].values())
    rows = []
    for st in data["students"]:
        n = names.get(st, {})
        row = [st, n.get("last_name") or "", n.get("first_name") or "", n.get("email") or ""]
        per_a, per_ex, total = [], [], 0.0
        for a, info in data["assignments"].items():
            s = data["subs"].get((st, a))
            if s is None:
                per_a.append("")
                per_ex += [""] * len(info["exercises"])
                continue
            total += final_score(s)
            per_a.append(_fmt(final_score(s)))
            per_ex += [_fmt(s["exercises"].get(ex, 0.0)) for ex, _ in info["exercises"]]
        row += [_fmt(round(total, 4)), _fmt(total_max)]
        row += per_a + per_ex
        row += ["" if (st, a) not in data["subs"] else
                _fmt(data["subs"][st, a].get("late_penalty") or 0.0) for a in late]
        rows.append(row)
    return header, rows


def hist_bins(points: float) -> list[int]:
    """Bin edges of one whole point each, [k, k+1), up to a bin of its own for full marks."""
    return list(range(int(math.ceil(points)) + 2))


def _plot_png(data: dict, a: str) -> str:
    """Histograms of each exercise's scores (and the total) for assignment ``a``, as base64 PNG:
    one bin per whole point, [k, k+1), so 18.5 counts with 18 and full marks have a bin of their
    own; missing submissions are left out (the caption says how many)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    info = data["assignments"][a]
    subs = [s for (st, aa), s in data["subs"].items() if aa == a]
    panels = [(ex, pts, [s["exercises"].get(ex, 0.0) for s in subs]) for ex, pts in info["exercises"]]
    panels.append(("total", info["max"], [s["score"] for s in subs]))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.6), squeeze=False)
    for ax, (name, pts, values) in zip(axes[0], panels):
        top = int(math.ceil(pts))
        ax.hist(values, bins=hist_bins(pts), color="#4878a8" if name != "total" else "#a85848",
                edgecolor="white")
        ax.set_title(f"{name} (/{pts:g})", fontsize=9)
        ax.set_xlim(0, top + 1)
        step = max(1, math.ceil((top + 1) / 10))
        marks = sorted(set(range(0, top + 1, step)) | {top})
        ax.set_xticks([k + 0.5 for k in marks], [str(k) for k in marks])
        ax.set_xlabel("points", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].set_ylabel("students", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _png(fig, **kw) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, **kw)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def check_columns(data: dict, a: str) -> list[tuple[str, str]]:
    """The checks of assignment ``a`` as (exercise, check), in the order the results list them."""
    cols, seen = [], set()
    for (st, aa), s in sorted(data["subs"].items()):
        if aa != a:
            continue
        for t in s["results"].get("tests", []):
            tags = t.get("tags") or [t["name"]]
            col = (tags[0], tags[1] if len(tags) > 1 else t["name"])
            if col not in seen:
                seen.add(col)
                cols.append(col)
    return cols


def heatmap_matrix(data: dict, a: str) -> tuple[list[str], list[tuple[str, str]], list[list]]:
    """Students x checks: the fraction of each check's points earned, or None where the student
    has no result (missing, not graded) or the check was not assessed (a property not judged:
    the values were wrong everywhere it was tried), neither earned nor lost."""
    rows, cols = row_order(data, a), check_columns(data, a)
    matrix = []
    for st in rows:
        s = data["subs"].get((st, a))
        got = {}
        if s:
            for t in s["results"].get("tests", []):
                tags = t.get("tags") or [t["name"]]
                col = (tags[0], tags[1] if len(tags) > 1 else t["name"])
                top = float(t.get("max_score") or 0)
                if not_assessed(t):
                    got[col] = None
                    continue
                got[col] = float(t["score"]) / top if top else (1.0 if t["status"] == "passed" else 0.0)
        matrix.append([got.get(c) if s else None for c in cols])
    return rows, cols, matrix


def _row_label(data: dict, st: str, a: str) -> str:
    state = status(data, st, a)
    if state != "graded":
        return f"{st} ({state})"
    return f"{st} (grader error)" if data["subs"][(st, a)]["error"] else st


def _heatmap_png(data: dict, a: str) -> str:
    """The students x checks heatmap of assignment ``a`` as base64 PNG: green earned, red lost,
    grey no result (the row label says missing or not graded) or not assessed; rows grouped by
    failure signature, so students who share a bug form a band."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows, cols, matrix = heatmap_matrix(data, a)
    values = np.array([[np.nan if v is None else v for v in r] for r in matrix], dtype=float)
    values = values.reshape(len(rows), len(cols))
    # a row per student: readable labels up to ~80 students, thinner unlabeled rows beyond
    labelled = len(rows) <= 80
    row_h = 0.26 if labelled else max(0.02, 20 / max(len(rows), 1))
    fig_h = 0.4 + row_h * len(rows)
    fig, ax = plt.subplots(figsize=(2.2 + 0.3 * len(cols), fig_h))
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#d9d9d9")
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto",
              interpolation="nearest")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([f"{ex}: {c}" for ex, c in cols], rotation=90, fontsize=8)
    ax.xaxis.tick_top()
    if labelled:
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([_row_label(data, st, a) for st in rows], fontsize=8)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(rows)} students", fontsize=8)
    # white lines between exercises, so each exercise's checks read as a block
    for i in range(1, len(cols)):
        if cols[i][0] != cols[i - 1][0]:
            ax.axvline(i - 0.5, color="white", linewidth=2)
    ax.tick_params(length=0)
    # the rotated check names need more room than the rows: let the saved figure grow to them
    return _png(fig, bbox_inches="tight", pad_inches=0.1)


class PlotCache:
    """The report's plots, kept on disk between class runs (``folder``; None: drawn every time).

    Drawing them is most of a class run that has nothing new to grade (matplotlib's import and
    a dozen figures: seconds, to redraw what was already drawn). A plot is named by a digest of
    everything it is drawn from (the assignment's results and students, the plotting code,
    matplotlib's version), so a changed result is drawn anew and a cached one is never stale.
    The plots a run did not ask for are removed when it ends (``prune``)."""

    def __init__(self, folder: Path | None):
        self.folder, self.used = folder, set()
        # (id(data), assignment) -> (data, digest): both plots of an assignment share it. The
        # data is kept with it, so a later dict that happens to get a freed one's id is not taken
        # for it (the cache would hand back another class's plot).
        self._digests: dict = {}

    def _key(self, data: dict, a: str, kind: str) -> str:
        held, digest = self._digests.get((id(data), a), (None, None))
        if held is not data:
            from importlib.metadata import version
            subs = sorted((st, s["results"], s["error"]) for (st, aa), s in data["subs"].items()
                          if aa == a)
            pending = sorted(st for st, aa in data.get("pending", ()) if aa == a)
            blob = json.dumps([a, data["assignments"][a], data["students"], pending, subs,
                               version("matplotlib"), _PLOT_CODE], sort_keys=True, default=repr)
            digest = hashlib.sha256(blob.encode()).hexdigest()[:32]
            self._digests[(id(data), a)] = (data, digest)
        return f"{kind}-{digest}"

    def get(self, data: dict, a: str, kind: str, draw) -> str:
        if self.folder is None:
            return draw(data, a)
        path = self.folder / f"{self._key(data, a, kind)}.png.b64"
        self.used.add(path.name)
        try:
            return path.read_text(encoding="ascii")
        except OSError:
            pass
        png = draw(data, a)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(png, encoding="ascii")
            os.replace(tmp, path)
        except OSError:
            pass            # a cache that cannot be written only costs the next run a redraw
        return png

    def prune(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for p in self.folder.iterdir():
            if p.name not in self.used:
                p.unlink(missing_ok=True)


def html_report(data: dict, names: dict | None = None, course: str = "",
                regrade: dict | None = None, plots: PlotCache | None = None) -> str:
    plots = plots or PlotCache(None)
    st = stats(data)
    header, rows = csv_rows(data, names)
    assignments_view = []
    for a, info in data["assignments"].items():
        if a not in st:
            assignments_view.append({"id": a, "title": info["title"], "stats": None, "png": None,
                                     "exercises": []})
            continue
        subs = [s for (s_, aa), s in data["subs"].items() if aa == a]
        ex_view = []
        for ex, pts in info["exercises"]:
            vals = [s["exercises"].get(ex, 0.0) for s in subs]
            ex_view.append({"name": ex, "points": pts, "mean": statistics.fmean(vals),
                            "median": statistics.median(vals),
                            "full": sum(1 for v in vals if v >= pts)})
        assignments_view.append({"id": a, "title": info["title"], "stats": st[a],
                                 "png": plots.get(data, a, "hist", _plot_png),
                                 "heatmap": plots.get(data, a, "heatmap", _heatmap_png),
                                 "signatures": signatures(data, a), "exercises": ex_view})
    students = []
    a_ids = list(data["assignments"])
    for row in rows:
        sid = row[0]
        cells = []
        for a in a_ids:
            s = data["subs"].get((sid, a))
            cells.append({"assignment": a, "score": final_score(s) if s else None,
                          "late_penalty": (s.get("late_penalty") or 0.0) if s else 0.0,
                          "status": status(data, sid, a), "error": bool(s and s["error"]),
                          "link": f"feedback/{sid}/{a}/feedback.html" if s else None})
        students.append({"id": sid, "name": " ".join(x for x in (row[2], row[1]) if x),
                         "score": row[4], "max_score": row[5], "cells": cells})
    errors = [(st_, a, s["error"]) for (st_, a), s in sorted(data["subs"].items()) if s["error"]]
    return environment(True).get_template("class_report.html.j2").render(
        course=course, when=time.strftime("%Y-%m-%d %H:%M"), assignments=assignments_view,
        failed=failed_checks(data), students=students, assignment_ids=a_ids, errors=errors,
        unusual=unusual_ops(data),
        n_students=len(data["students"]), n_subs=len(data["subs"]), regrade=regrade)


def course_name(course: Path) -> str:
    """The course's name for the report's title: nbgrader's ``course_id`` where the course
    folder's ``nbgrader_config.py`` sets one (read, never run: it is a file of the course's),
    else the folder's name."""
    import re
    try:
        text = (Path(course) / "nbgrader_config.py").read_text(encoding="utf-8")
    except OSError:
        text = ""
    m = re.search(r"""^\s*c\.CourseDirectory\.course_id\s*=\s*(['"])(.+?)\1""", text, re.M)
    return m.group(2) if m else Path(course).resolve().name


def write_all(out: Path, data: dict, names: dict | None = None, course: str = "") -> list[Path]:
    header, rows = csv_rows(data, names)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    atomic_write(out / "grades.csv", buf.getvalue())
    # The same scores as Canvas's gradebook import reads them (late penalties applied).
    atomic_write(out / "canvas.csv", canvas_csv(data, names))
    plots = PlotCache(out / PLOT_CACHE)
    atomic_write(out / "class_report.html", html_report(data, names, course or out.name,
                                                   regrade=section(out), plots=plots))
    plots.prune()
    return [out / "grades.csv", out / "canvas.csv", out / "class_report.html"]
