"""The per-class files of a class run: ``grades.csv`` and ``class_report.html``.

Both are built from the results on disk (``OUT/autograded/<student>/<assignment>/results.json``),
not from one run's memory, so a resumed or partial run still reports the whole class. The report is
one self-contained HTML file: plots are PNGs (matplotlib, Agg) embedded as base64.
See ``classroom`` for the CSV's columns.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import statistics
import time
from collections import Counter
from pathlib import Path

STUDENT_COLUMNS = ["student_id", "last_name", "first_name", "email"]   # as in `nbgrader export`


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def results_on_disk(out: Path, assignment_ids) -> list[tuple[str, str]]:
    """Every (student, assignment) with a ``results.json`` under ``OUT/autograded`` for one of
    ``assignment_ids``, whichever run wrote it (sorted)."""
    found = []
    root = out / "autograded"
    wanted = set(assignment_ids)
    try:
        students = sorted(root.iterdir())
    except OSError:
        return found
    for sdir in students:
        if sdir.name.startswith(".") or not sdir.is_dir():
            continue
        for a in sorted(wanted):
            if (sdir / a / "results.json").is_file():
                found.append((sdir.name, a))
    return found


def collect(out: Path, jobs, assignment_ids: list[str]) -> dict:
    """Everything the class files show, from the results on disk: every
    ``OUT/autograded/<student>/<assignment>/results.json`` of ``assignment_ids`` (this run's and
    earlier runs'), plus the submissions ``jobs`` found under ``submitted/`` (a submission without a
    result yet is "not graded", a student without a submission "missing")."""
    from . import assignments
    known = assignments.all_assignments()
    data = {"assignments": {}, "students": [], "subs": {}, "pending": set()}
    for a in assignment_ids:
        data["assignments"][a] = {"title": known[a].title, "max": known[a].points,
                                  "exercises": [(e.name, e.points) for e in known[a].exercises]}
    pairs = {(j.student, j.assignment) for j in jobs if j.assignment in data["assignments"]}
    pairs |= set(results_on_disk(out, assignment_ids))
    students = {j.student for j in jobs}
    for student, a in sorted(pairs):
        students.add(student)
        adir = out / "autograded" / student / a
        results = _read_json(adir / "results.json")
        if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
            data["pending"].add((student, a))     # not graded yet (an interrupted run)
            continue
        record = _read_json(adir / "convkit.json")
        record = record if isinstance(record, dict) else {}
        per_ex = {}
        for t in results["tests"]:
            per_ex[t["tags"][0]] = per_ex.get(t["tags"][0], 0.0) + float(t["score"])
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


def failed_checks(data: dict, top: int = 20) -> list[tuple[str, str, int]]:
    """The most common failed checks: (assignment, test name, number of students), most first.
    Submissions the grader could not grade at all are left out (they fail every check). Each bug
    counts once: a check "not assessed" because the values were wrong, or "not run" after a hang,
    is a consequence, not a finding; an exercise that failed as a whole (the stub, not defined, a
    forbidden routine) counts once, not once per check."""
    from .report import whole_note
    count = Counter()
    for (student, a), s in data["subs"].items():
        if s["error"]:
            continue
        by_ex: dict = {}
        for t in s["results"].get("tests", []):
            by_ex.setdefault(t["tags"][0] if t.get("tags") else t["name"], []).append(t)
        for ex, tests in by_ex.items():
            if whole_note(tests):
                count[(a, f"{ex}: the whole exercise (stub, not defined or forbidden)")] += 1
                continue
            for t in tests:
                if t.get("status") == "failed" and \
                        not str(t.get("output", "")).startswith(("not assessed:", "not run:")):
                    count[(a, t["name"])] += 1
    return [(a, name, n) for (a, name), n in count.most_common(top)]


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
            total += s["score"]
            per_a.append(_fmt(s["score"]))
            per_ex += [_fmt(s["exercises"].get(ex, 0.0)) for ex, _ in info["exercises"]]
        row += [_fmt(round(total, 4)), _fmt(total_max)]
        row += per_a + per_ex
        rows.append(row)
    return header, rows


def _plot_png(data: dict, a: str) -> str:
    """Histograms of each exercise's scores (and the total) for assignment ``a``, as base64 PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    info = data["assignments"][a]
    subs = [s for (st, aa), s in data["subs"].items() if aa == a]
    panels = [(ex, pts, [s["exercises"].get(ex, 0.0) for s in subs]) for ex, pts in info["exercises"]]
    panels.append(("total", info["max"], [s["score"] for s in subs]))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.6), squeeze=False)
    for ax, (name, pts, values) in zip(axes[0], panels):
        bins = [x - 0.5 for x in range(int(pts) + 2)] if pts <= 30 else 20
        ax.hist(values, bins=bins, color="#4878a8" if name != "total" else "#a85848",
                edgecolor="white")
        ax.set_title(f"{name} (/{pts:g})", fontsize=9)
        ax.set_xlim(-0.5, pts + 0.5)
        ax.set_xlabel("points", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[0][0].set_ylabel("students", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def html_report(data: dict, names: dict | None = None, course: str = "",
                regrade: dict | None = None) -> str:
    from .report import _env
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
                                 "png": _plot_png(data, a), "exercises": ex_view})
    students = []
    a_ids = list(data["assignments"])
    for row in rows:
        sid = row[0]
        cells = []
        for a in a_ids:
            s = data["subs"].get((sid, a))
            cells.append({"assignment": a, "score": s["score"] if s else None,
                          "status": status(data, sid, a), "error": bool(s and s["error"]),
                          "link": f"feedback/{sid}/{a}/feedback.html" if s else None})
        students.append({"id": sid, "name": " ".join(x for x in (row[2], row[1]) if x),
                         "score": row[4], "max_score": row[5], "cells": cells})
    errors = [(st_, a, s["error"]) for (st_, a), s in sorted(data["subs"].items()) if s["error"]]
    return _env(True).get_template("class_report.html.j2").render(
        course=course, when=time.strftime("%Y-%m-%d %H:%M"), assignments=assignments_view,
        failed=failed_checks(data), students=students, assignment_ids=a_ids, errors=errors,
        n_students=len(data["students"]), n_subs=len(data["subs"]), regrade=regrade)


def _atomic(path: Path, text: str) -> None:
    from .classroom import _atomic_write
    _atomic_write(path, text)


def write_all(out: Path, data: dict, names: dict | None = None, course: str = "") -> list[Path]:
    header, rows = csv_rows(data, names)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    _atomic(out / "grades.csv", buf.getvalue())
    from .regrade import section      # regrade.csv, as the last regrading run wrote it
    _atomic(out / "class_report.html", html_report(data, names, course or out.name,
                                                   regrade=section(out)))
    return [out / "grades.csv", out / "class_report.html"]
