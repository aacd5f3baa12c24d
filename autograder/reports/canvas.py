"""The class's scores as a CSV that Canvas's gradebook import accepts (``canvas_csv``), and the
reading of a gradebook a Canvas course exported (``read_roster``).

Canvas's format, as its own gradebook export writes it and its importer
(``GradebookImporter``) reads it:

- header: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column
  per assignment. The importer finds an existing assignment by the Canvas id in parentheses at
  the end of the title (``ps1 (1234)``), else by its exact title, else it offers to create a new
  assignment of that name; ``columns`` gives an assignment Canvas's exact column title.
- second row: ``"    Points Possible"`` (four spaces, as Canvas writes it) in the Student column,
  the four other identity columns blank, then each assignment's points.
- a student row: Canvas finds the student by ``ID`` (its user id), else by ``SIS User ID``, else
  by ``SIS Login ID``, else by name. A score is the assignment's score less its late penalty
  (never below 0); a submission the kit has no score for is left blank, never a zero. (Canvas
  compares every cell with the score it holds: a blank where it holds one shows in its import
  preview as a change, which the instructor may reject there.)

Numbers are written with at most 2 decimals (the precision Canvas shows and compares imports
with), without thousands separators or an exponent.

Without a roster the kit's student id is both SIS ids and the Canvas ID stays blank (Canvas then
matches on the SIS ids). With ``roster`` (the rows of a CSV exported from the Canvas course), each
roster row keeps Canvas's identity cells and takes the scores of the kit's student it names; the
kit's students no roster row names are listed after the roster's (``match_roster`` says who).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..results.scoring import final_score

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"
# Matched in this order: the login (the usual nbgrader student id), the SIS id, Canvas's own id.
MATCH_KEYS = ("SIS Login ID", "SIS User ID", "ID")
# A row Canvas's importer skips as not a student: every cell blank, "Muted" or "Manual Posting".
_HIDDEN_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)


def points_text(x: float) -> str:
    """A number as Canvas writes one: at most 2 decimals, no trailing zeros ("7.5", "10")."""
    text = f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def display_name(student: str, names: dict | None = None) -> str:
    """"Last, First" as Canvas sorts names; whichever part is known; else the student id."""
    n = (names or {}).get(student) or {}
    last, first = (n.get("last_name") or "").strip(), (n.get("first_name") or "").strip()
    if last and first:
        return f"{last}, {first}"
    return last or first or student


def match_roster(students, roster: list[dict]) -> tuple[dict[int, str], list[str]]:
    """({roster row index: kit student id}, [kit students no row names]).

    One to one: every key of ``MATCH_KEYS`` is tried over the whole roster before the next, so a
    student whose login matches one row is not taken by another row's Canvas ID. Ids compare
    without case (Canvas's logins are case-insensitive) unless two kit ids differ only in case."""
    students = list(students)
    folded: dict[str, list[str]] = {}
    for s in students:
        folded.setdefault(s.casefold(), []).append(s)
    taken: dict[int, str] = {}
    used: set[str] = set()
    for key in MATCH_KEYS:
        for i, row in enumerate(roster):
            if i in taken:
                continue
            value = str(row.get(key) or "").strip()
            if not value:
                continue
            same = folded.get(value.casefold(), [])
            kit = value if value in same else (same[0] if len(same) == 1 else None)
            if kit is not None and kit not in used:
                taken[i] = kit
                used.add(kit)
    return taken, [s for s in students if s not in used]


def canvas_csv(data: dict, names: dict | None = None, roster: list[dict] | None = None,
               columns: dict[str, str] | None = None) -> str:
    """The CSV text (header, Points Possible row, one row per student) of ``data``
    (``classreport.collect``'s dict; a submission may carry ``"late_penalty"``) for Canvas's
    gradebook import. ``names``: student id -> {"first_name", "last_name", "email"}. ``roster``:
    rows of a Canvas export (``read_roster``). ``columns``: assignment id -> Canvas's column
    title (default: the assignment id)."""
    columns = columns or {}
    a_ids = list(data["assignments"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(IDENTITY + [columns.get(a) or a for a in a_ids])
    w.writerow([POINTS_POSSIBLE, "", "", "", ""]
               + [points_text(data["assignments"][a]["max"]) for a in a_ids])

    def scores(student: str | None) -> list[str]:
        out = []
        for a in a_ids:
            sub = data["subs"].get((student, a)) if student is not None else None
            out.append("" if sub is None else points_text(final_score(sub)))
        return out

    if roster is None:
        for st in data["students"]:
            w.writerow([display_name(st, names), "", st, st, ""] + scores(st))
        return buf.getvalue()
    taken, unmatched = match_roster(data["students"], roster)
    for i, row in enumerate(roster):
        w.writerow([str(row.get(k) or "") for k in IDENTITY] + scores(taken.get(i)))
    for st in unmatched:
        w.writerow([display_name(st, names), "", st, st, ""] + scores(st))
    return buf.getvalue()


def read_roster(path) -> list[dict]:
    """The student rows of a gradebook CSV exported from Canvas, as dicts with at least the keys
    of ``IDENTITY`` (plus the file's other columns). The "Points Possible" row and the
    "Muted"/"Manual Posting" row are skipped, as Canvas's importer skips them. An export with
    "LastName" and "FirstName" instead of "Student" is read as "Last, First"; one without
    "SIS User ID" (only admins export it) gets it blank. A semicolon-separated export (some
    locales) is read too. Raises ValueError naming the file when it cannot be read or lacks a
    column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"Canvas roster {path}: cannot be read ({e})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as e:
        raise ValueError(f"Canvas roster {path}: not a CSV file ({e})") from None
    if not rows:
        raise ValueError(f"Canvas roster {path}: the file is empty; export the gradebook from "
                         f"Canvas (Grades > Export) and give that file")
    header = [h.strip() for h in rows[0]]
    split_names = "Student" not in header and {"LastName", "FirstName"} <= set(header)
    needed = [c for c in IDENTITY if c != "SIS User ID" and not (c == "Student" and split_names)]
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(
            f"Canvas roster {path}: no column {', '.join(repr(c) for c in missing)} in its header "
            f"(a Canvas gradebook export starts with {', '.join(IDENTITY)}); found: "
            f"{', '.join(header) or 'nothing'}")
    out = []
    for cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        if "Points Possible" in cells[0]:
            continue
        if all(_HIDDEN_ROW.match(c) for c in cells):
            continue
        if split_names:
            last, first = row["LastName"].strip(), row["FirstName"].strip()
            row["Student"] = f"{last}, {first}" if last and first else last or first
        row.setdefault("SIS User ID", "")
        out.append(row)
    return out
