"""The similarity (plagiarism, 相似度) report of a course:
``python -m autograder similarity COURSE [--assignment ID] [--threshold 0.5]``.

This module owns which code of a submission is compared, what counts as boilerplate, the
copydetect settings, and the two files it writes (under ``OUT``, by default the course folder)::

    OUT/similarity.csv    every pair of students of one assignment at or above --floor, most
                          similar first
    OUT/similarity.html   the pairs at or above --threshold, each with both sources side by side
                          and the shared passages marked

It reads submissions the way grading does (``classroom.discover`` finds
``COURSE/submitted/<student>/<assignment>/``, ``submission.load`` picks and reads the notebook or
module) and never runs student code. Compared: a student's *exercise code*, the cells they may
write (``submission.notebook_cells(..., exercise_only=True)``; a ``.py`` module whole). Boilerplate,
whose passages never count, is the code the kit hands every student: every code cell of every
released notebook (``assignments/<id>/<id>.ipynb``: the stubs with their docstrings, the setup and
Try-it cells, and the book's ``corr2d`` that later assignments give) and the book's code the kit
ships for every exercise (``Exercise.book_code``). Two students who both left a stub, or both
typed in the book's ``corr2d``, are therefore not alike.

Similarity is copydetect's (winnowing over tokens, with names and strings normalised, so renaming
variables does not hide a copy): for a pair (A, B), ``similarity_a`` is the fraction of A's
non-boilerplate tokens that also occur in B, and ``similarity_b`` the same for B; a pair is
ranked and flagged by the larger of the two (a copy pasted into a longer notebook still shows).
"""
from __future__ import annotations

import csv
import html
import io
import time
from dataclasses import dataclass
from pathlib import Path

from ..assignments import ids, in_order
from ..core.notebook import notebook_cells
from ..core.settings import SIMILARITY
from ..results.store import atomic_write, default_out
from ..submission.course import discover
from ..submission.load import load
from .classreport import course_name
from .feedback import environment

ROOT = Path(__file__).resolve().parents[2]

# copydetect compares k-grams of the *filtered* code (names become V, F or O, strings S, comments
# and whitespace go), so k counts characters of that: ``Y[i,j]=(X[i:i+h,j:j+w]*K).sum()`` filters
# to ``V[V,V]=(V[V:V+V,V:V+V]*V).V()``, 28 characters. The default, 25, lets one such idiom,
# which independent solutions of a short exercise share, match by itself; 30 needs a little more
# than one line in common, yet a copy of a 10-line function still matches along its whole length.
NOISE_THRESHOLD = SIMILARITY.noise_tokens
# guarantee = noise: winnowing window 1, every k-gram is a fingerprint. Exercise code is a few
# hundred tokens, so this costs nothing, and it makes the report deterministic (with a larger
# window the fingerprints chosen depend on Python's per-process string hashes).
GUARANTEE_THRESHOLD = NOISE_THRESHOLD
# A pair at or above THRESHOLD is suspicious: listed in similarity.html; similarity.csv lists
# every pair at or above FLOOR (core/settings.py holds the defaults, the flags override them).
THRESHOLD, FLOOR = SIMILARITY.threshold, SIMILARITY.floor
# The most similar pairs shown side by side in similarity.html (each costs two whole notebooks'
# code, some 10 kB; a class handing in one answer would otherwise make a page of tens of MB). The
# table and the CSV still list them all.
MAX_SIDE_BY_SIDE = 200
# A pair that shares fewer tokens than this is not listed, whatever its similarity: after the
# boilerplate is taken out, two students who typed in the book's code with one change each may
# have 40 tokens of their own left, and share them all (100%). Two k-grams' worth is a little
# more than two lines of code in common; a copied solution of the shortest exercise shares 80+.
MIN_TOKENS = SIMILARITY.min_tokens      # 2 * NOISE_THRESHOLD
CSV_COLUMNS = ["assignment", "student_a", "student_b", "similarity", "similarity_a",
               "similarity_b", "tokens_overlapped", "tokens_a", "tokens_b", "suspicious"]


@dataclass
class Source:
    student: str
    assignment: str
    code: str          # what is compared and shown: the exercise code, cells joined
    fingerprint: object = None


@dataclass
class Pair:
    assignment: str
    a: Source
    b: Source
    similarity_a: float     # the fraction of a's (non-boilerplate) tokens also in b
    similarity_b: float
    tokens: int             # tokens of a that overlap b
    slices: tuple = ()      # copydetect's copied slices in a.code and b.code

    @property
    def similarity(self) -> float:
        return max(self.similarity_a, self.similarity_b)


def exercise_cells(path) -> list[str]:
    """The code a student wrote for a submission folder (or file): the notebook's exercise cells,
    each under a ``# <code cell N: ...>`` comment (comments do not count); a module whole."""
    sub = load(path)
    if not sub.cells or sub.file.suffix != ".ipynb":   # nothing to grade (too large...), or a .py
        return [src for _, src in sub.cells]
    cells, _ = notebook_cells(sub.file, exercise_only=True)
    return [f"# {name}\n{src}" for name, src in cells]


def boilerplate() -> list[str]:
    """The code no student is to be compared on, the code the kit hands out: every released
    notebook's code cells and every exercise's book code. The whole course's, not one
    assignment's: a later notebook gives the book's ``corr2d`` that an earlier one asks for."""
    parts = []
    for a in in_order():
        released = ROOT / "assignments" / a.id / f"{a.id}.ipynb"
        if released.is_file():
            parts += [src for _, src in notebook_cells(released)[0]]
        parts += [e.book_code for e in a.exercises if e.book_code]
    return parts


SEPARATOR = "\n\n"


def _fingerprint(cells: list[str], name: str, boiler: set):
    """copydetect's fingerprint of the cells joined, without the boilerplate's k-grams and without
    the k-grams that span two cells: which cell follows which is the notebook's layout, not the
    student's code (a student who typed in the book's function would otherwise share the seam
    between it and the next released cell with everyone who ended theirs the same way).

    The boilerplate is taken out here rather than by CodeFingerprint(boilerplate=...), whose
    np.intersect1d(assume_unique=True) misbehaves when a k-gram repeats (a repeated k-gram of the
    student's own is dropped as if it were boilerplate)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import filter_code, get_token_coverage
    k = NOISE_THRESHOLD
    code = SEPARATOR.join(cells)
    fp = CodeFingerprint(name, k, GUARANTEE_THRESHOLD - k + 1, language="python",
                         fp=io.StringIO(code))
    seams, at = [], 0
    for c in cells:
        at += len(filter_code(c, name, "python")[0])
        seams.append(at)
    if at != len(fp.filtered_code):     # a cell that leaves a string open: the seams are unknown
        seams = []
    for h in list(fp.hashes):
        kept = [i for i in fp.hash_idx[h] if not any(i < s < i + k for s in seams)]
        if h in boiler or not kept:
            fp.hashes.discard(h)
            del fp.hash_idx[h]
        else:
            fp.hash_idx[h] = kept
    fp.token_coverage = get_token_coverage(fp.hash_idx, k, len(fp.filtered_code))
    return code, fp


def _boiler_hashes(parts: list[str]) -> set:
    from copydetect import CodeFingerprint
    found = set()
    for part in parts:
        found |= CodeFingerprint("boilerplate.py", NOISE_THRESHOLD, 1, language="python",
                                 fp=io.StringIO(part)).hashes
    return found


def compare(course, assignments_only=None, floor: float = FLOOR,
            min_tokens: int = MIN_TOKENS) -> tuple[list[Pair], dict]:
    """Every pair of students of the same assignment at or above ``floor`` that shares at least
    ``min_tokens`` tokens, most similar first, and per assignment the number of submissions
    compared. Raises ``OSError`` (no submitted/ folder), ``KeyError`` (unknown assignment) or
    ``ValueError`` (no submission), before anything is written."""
    from copydetect import compare_files
    course = Path(course)
    if not (course / "submitted").is_dir():
        raise OSError(f"{course}: no submitted/ folder "
                      f"(expected submitted/<student>/<assignment>/)")
    known = ids()
    bad = [a for a in assignments_only or () if a not in known]
    if bad:
        raise KeyError(f"unknown assignment {', '.join(map(repr, bad))} "
                       f"(known: {', '.join(known)})")
    jobs, _ = discover(course, assignments_only, set(known))
    if not jobs:
        raise ValueError(f"no submissions found under {course / 'submitted'}")
    pairs, counts = [], {}
    boiler = _boiler_hashes(boilerplate())
    for a in known:
        mine = [j for j in jobs if j.assignment == a]
        if not mine:
            continue
        sources = []
        for j in mine:
            try:
                cells = exercise_cells(j.path)
            except Exception:       # unreadable: nothing to compare
                continue
            code, fp = _fingerprint(cells, f"{j.student}.py", boiler)
            sources.append(Source(j.student, a, code, fp))
        counts[a] = len(sources)
        for i, s in enumerate(sources):
            for t in sources[i + 1:]:
                tokens, (sa, sb), slices = compare_files(s.fingerprint, t.fingerprint)
                p = Pair(a, s, t, float(sa), float(sb), int(tokens), slices)
                if tokens >= max(min_tokens, 1) and p.similarity >= floor:
                    pairs.append(p)
    pairs.sort(key=lambda p: (-p.similarity, p.assignment, p.a.student, p.b.student))
    return pairs, counts


def _trimmed(code: str, slices):
    """copydetect's slices, less the blank and comment-only lines at their ends (a match ends at
    a token, but its end maps past the comments that follow it in the source)."""
    import numpy as np
    starts, ends = [], []
    for a, b in zip(slices[0].tolist(), slices[1].tolist()):
        lines = code[a:b].split("\n")
        while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
            lines.pop()
        b = a + len("\n".join(lines).rstrip())
        if b > a:
            starts.append(a)
            ends.append(b)
    return np.array([starts, ends], dtype=int)


def _marked(code: str, slices) -> str:
    """``code`` HTML-escaped, the shared passages in ``<mark>``. Student code is hostile: every
    character of it goes through the escape."""
    from copydetect.utils import highlight_overlap
    slices = _trimmed(code, slices) if len(slices[0]) else slices
    if len(slices[0]) == 0:
        return html.escape(code)
    out, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)
    return out


def csv_text(pairs: list[Pair], threshold: float = THRESHOLD) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in pairs:
        w.writerow([p.assignment, p.a.student, p.b.student, f"{p.similarity:.3f}",
                    f"{p.similarity_a:.3f}", f"{p.similarity_b:.3f}", p.tokens,
                    int(p.a.fingerprint.token_coverage), int(p.b.fingerprint.token_coverage),
                    "yes" if p.similarity >= threshold else "no"])
    return buf.getvalue()


def html_report(pairs: list[Pair], counts: dict, threshold: float = THRESHOLD,
                floor: float = FLOOR, course: str = "", min_tokens: int = MIN_TOKENS) -> str:
    from markupsafe import Markup
    shown = []
    for n, p in enumerate(x for x in pairs if x.similarity >= threshold):
        side = n < MAX_SIDE_BY_SIDE
        shown.append({"n": n + 1, "assignment": p.assignment, "a": p.a.student, "b": p.b.student,
                      "similarity": p.similarity, "sa": p.similarity_a, "sb": p.similarity_b,
                      "tokens": p.tokens,
                      "code_a": Markup(_marked(p.a.code, p.slices[0])) if side else None,
                      "code_b": Markup(_marked(p.b.code, p.slices[1])) if side else None})
    return environment(True).get_template("similarity.html.j2").render(
        course=course, when=time.strftime("%Y-%m-%d %H:%M"), pairs=shown, counts=counts,
        threshold=threshold, floor=floor, n_listed=len(pairs), k=NOISE_THRESHOLD,
        max_side=MAX_SIDE_BY_SIDE, min_tokens=min_tokens)


def write(out, pairs: list[Pair], counts: dict, threshold: float = THRESHOLD,
          floor: float = FLOOR, course: str = "", min_tokens: int = MIN_TOKENS) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "similarity.csv", csv_text(pairs, threshold))
    atomic_write(out / "similarity.html", html_report(pairs, counts, threshold, floor,
                                                       course or out.resolve().name, min_tokens))
    return [out / "similarity.csv", out / "similarity.html"]


def main(args) -> int:
    import sys
    from rich.console import Console
    from rich.table import Table
    course = Path(args.course)
    out = Path(args.out) if args.out else default_out(course)
    if args.floor > args.threshold:
        print(f"error: --floor {args.floor} is above --threshold {args.threshold}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        pairs, counts = compare(course, args.assignment, args.floor, args.min_tokens)
    except (OSError, KeyError, ValueError) as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    written = write(out, pairs, counts, args.threshold, args.floor, course_name(course),
                    min_tokens=args.min_tokens)
    console = Console(stderr=False)
    flagged = [p for p in pairs if p.similarity >= args.threshold]
    table = Table(title=f"suspicious pairs (相似度 ≥ {args.threshold:g})")
    for col in ("assignment", "student A", "student B"):
        table.add_column(col, overflow="fold")      # a name is never cut short
    for col in ("similarity", "A in B", "B in A", "tokens"):
        table.add_column(col, justify="right")
    for p in flagged:
        table.add_row(p.assignment, p.a.student, p.b.student, f"{p.similarity:.0%}",
                      f"{p.similarity_a:.0%}", f"{p.similarity_b:.0%}", str(p.tokens))
    if flagged:
        console.print(table)
    n_pairs = sum(n * (n - 1) // 2 for n in counts.values())
    console.print(f"compared {n_pairs} pairs over {len(counts)} assignment(s) in "
                  f"{time.monotonic() - started:.1f} s: {len(flagged)} at or above "
                  f"{args.threshold:g}, {len(pairs)} at or above {args.floor:g}", highlight=False)
    for p in written:
        console.print(f"wrote {p}", highlight=False)
    return 0
