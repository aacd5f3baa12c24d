"""The similarity report (autograder/reports/similarity.py, ``python -m autograder similarity``).

One temporary nbgrader course of the assignment that holds ``corr2d`` (``CC``): the released
notebook, its ``corr2d`` solution cell filled in per student (the other exercises left as stubs,
which are boilerplate). Two near-copies (the same code, a comment and a blank line added), a
copy with every variable renamed, three solutions written independently (``as_strided`` with
``einsum``, a stack of shifted slices with ``tensordot``, advanced indexing), a student who left
the stub, one who typed in the kit's book ``corr2d``, and two who typed in the book's loops over
the output pixels (as a later notebook gives them, and as the book prints them). The two copied
pairs must be flagged, nothing else. One near-copy carries markup in a comment: it must reach the
page escaped.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pytest

from autograder.assignments import find_exercise
from autograder.reports.similarity import CSV_COLUMNS, THRESHOLD, compare, write
from support import ROOT, home

CC = home("corr2d")
BOOK = find_exercise("corr2d")[1].book_code

HOSTILE = "# </pre><script>document.title = 'pwned'</script><b>bold</b>"

WHILE = '''
    kh, kw = K.shape
    out_rows = []
    i = 0
    while i + kh <= X.shape[0]:
        j = 0
        cols = []
        while j + kw <= X.shape[1]:
            cols.append((X[i:i + kh, j:j + kw] * K).sum().reshape(1))
            j += 1
        out_rows.append(torch.cat(cols).unsqueeze(0))
        i += 1
    return torch.cat(out_rows, dim=0)
'''

# The same, a comment and a blank line added, and the hostile comment.
WHILE_COPY = f'''
    kh, kw = K.shape
    {HOSTILE}
    out_rows = []
    i = 0

    while i + kh <= X.shape[0]:   # one output row at a time
        j = 0
        cols = []
        while j + kw <= X.shape[1]:
            cols.append((X[i:i + kh, j:j + kw] * K).sum().reshape(1))
            j += 1
        out_rows.append(torch.cat(cols).unsqueeze(0))
        i += 1
    return torch.cat(out_rows, dim=0)
'''

# The book's loops over the output's pixels, as a later notebook of the kit gives them...
LOOPS = '''
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''

# ... and as the book prints them (float32 whatever X is: a bug here, but no sign of copying).
BOOK_VERBATIM = '''
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''

STACKED = '''
    k_rows, k_cols = K.shape
    n_rows = X.shape[0] - k_rows + 1
    n_cols = X.shape[1] - k_cols + 1
    result = []
    for r in range(n_rows):
        line = [torch.sum(X[r:r + k_rows, c:c + k_cols] * K) for c in range(n_cols)]
        result.append(torch.stack(line))
    if not result:
        return X.new_zeros((0, max(n_cols, 0)))
    return torch.stack(result)
'''

STACKED_RENAMED = '''
    kh, kw = K.shape
    out_h = X.shape[0] - kh + 1
    out_w = X.shape[1] - kw + 1
    acc = []
    for row in range(out_h):
        vals = [torch.sum(X[row:row + kh, col:col + kw] * K) for col in range(out_w)]
        acc.append(torch.stack(vals))
    if not acc:
        return X.new_zeros((0, max(out_w, 0)))
    return torch.stack(acc)
'''

STRIDED = '''
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    s0, s1 = X.stride()
    windows = X.as_strided(size=(oh, ow, kh, kw), stride=(s0, s1, s0, s1))
    return torch.einsum("ijab,ab->ij", windows, K)
'''

TENSORDOT = '''
    rows_k, cols_k = K.shape
    height = X.size(0) - rows_k + 1
    width = X.size(1) - cols_k + 1
    shifted = torch.stack([X[a:a + height, b:b + width]
                           for a in range(rows_k) for b in range(cols_k)])
    weights = K.reshape(-1)
    return torch.tensordot(weights, shifted, dims=1)
'''

INDEXED = '''
    kh, kw = K.shape
    r = torch.arange(X.shape[0] - kh + 1, device=X.device)[:, None, None, None] \\
        + torch.arange(kh, device=X.device)[None, None, :, None]
    c = torch.arange(X.shape[1] - kw + 1, device=X.device)[None, :, None, None] \\
        + torch.arange(kw, device=X.device)[None, None, None, :]
    patches = X[r, c]
    total = patches * K
    return total.sum(dim=3).sum(dim=2)
'''

STUDENTS = {
    "near_a": WHILE, "near_b": WHILE_COPY,
    "stack_a": STACKED, "stack_renamed": STACKED_RENAMED,
    "indep_strided": STRIDED, "indep_tensordot": TENSORDOT, "indep_indexed": INDEXED,
    "stub_only": None, "book_copy": "BOOK", "book_loops": LOOPS, "book_verbatim": BOOK_VERBATIM,
}
COPIES = {("near_a", "near_b"), ("stack_a", "stack_renamed")}
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"


def _notebook(body: str | None) -> dict:
    nb = json.loads((ROOT / "assignments" / CC / f"{CC}.ipynb").read_text(encoding="utf-8"))
    if body is None:
        return nb
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("solution") \
                and src.startswith("def corr2d"):
            assert STUB in src
            if body == "BOOK":      # the whole book function in place of the stub
                src = BOOK.strip() + "\n"
            else:
                src = src.replace(STUB, body.strip("\n"))
            cell["source"] = src
            return nb
    raise AssertionError("no corr2d solution cell in the released notebook")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("similarity")
    for student, body in STUDENTS.items():
        d = course / "submitted" / student / CC
        d.mkdir(parents=True)
        (d / f"{CC}.ipynb").write_text(json.dumps(_notebook(body), indent=1), encoding="utf-8")
    return course


@pytest.fixture(scope="module")
def report(course):
    pairs, counts = compare(course)
    written = write(course / "convkit", pairs, counts)
    return pairs, counts, written


def _key(p) -> tuple:
    return tuple(sorted((p.a.student, p.b.student)))


def test_the_copies_are_flagged_and_nothing_else(report):
    pairs, counts, _ = report
    assert counts == {CC: len(STUDENTS)}
    flagged = {_key(p) for p in pairs if p.similarity >= THRESHOLD}
    assert flagged == COPIES, [(p.a.student, p.b.student, round(p.similarity, 2)) for p in pairs]
    for p in pairs:
        if _key(p) in COPIES:
            assert p.similarity_a > 0.9 and p.similarity_b > 0.9 and p.tokens > 30


def test_the_stub_and_the_book_are_boilerplate(report):
    pairs, _, _ = report
    for p in pairs:
        assert not {"stub_only", "book_copy", "book_loops", "book_verbatim"} \
            & {p.a.student, p.b.student}, (p.a.student, p.b.student, p.similarity)


def test_csv_lists_the_pairs_most_similar_first(report, course):
    with open(course / "convkit" / "similarity.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == CSV_COLUMNS
    sims = [float(r["similarity"]) for r in rows]
    assert sims == sorted(sims, reverse=True)
    suspicious = {tuple(sorted((r["student_a"], r["student_b"]))) for r in rows
                  if r["suspicious"] == "yes"}
    assert suspicious == COPIES
    for r in rows:
        assert r["assignment"] == CC
        assert float(r["similarity"]) == max(float(r["similarity_a"]), float(r["similarity_b"]))
        assert int(r["tokens_overlapped"]) > 0


def test_the_page_shows_both_sources_side_by_side_marked_and_escaped(report, course):
    text = (course / "convkit" / "similarity.html").read_text(encoding="utf-8")
    assert "相似度" in text
    assert text.count('<div class="sides">') == len(COPIES)
    for a, b in COPIES:
        assert f"{a} and {b}" in text
    # The shared passage is marked in both columns.
    section = text[text.index('id="pair-1"'):text.index('id="pair-2"')]
    marked = re.findall(r"<mark>(.*?)</mark>", section, re.S)
    line = "cols.append((X[i:i + kh, j:j + kw] * K).sum().reshape(1))"
    assert sum(line in m for m in marked) == 2, marked       # in both columns
    # The hostile comment is shown, escaped: no script, no markup of the student's.
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;document.title" in text and "&lt;/pre&gt;" in text


def test_the_command_writes_both_files(course, report, tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(course),
                        "--assignment", CC, "--out", str(out), "--threshold", "0.6"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (out / "similarity.html").is_file() and (out / "similarity.csv").is_file()
    with open(out / "similarity.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {tuple(sorted((r["student_a"], r["student_b"]))) for r in rows
            if r["suspicious"] == "yes"} == COPIES
    # Another process (another string-hash seed), the same figures as the in-process report.
    with open(course / "convkit" / "similarity.csv", newline="", encoding="utf-8") as f:
        here = list(csv.DictReader(f))
    drop = lambda rs: [{k: v for k, v in r.items() if k != "suspicious"} for r in rs]  # noqa: E731
    assert drop(rows) == drop(here)
    said = " ".join(r.stdout.split())
    assert "2 at or above 0.6" in said


def test_the_command_refuses_a_course_without_submissions(tmp_path):
    r = subprocess.run([sys.executable, "-m", "autograder", "similarity", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "submitted/" in r.stderr
    assert not (tmp_path / "similarity.html").exists()


def test_exercise_code_is_the_solution_cells_and_the_students_own(tmp_path):
    """Locked cells (the setup) and graded test cells are left out; solution cells and cells
    nbgrader does not manage (Try-it cells, a cell the student added) are compared."""
    from autograder.reports.similarity import exercise_cells
    nb = _notebook(LOOPS)
    nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "def helper():\n    pass\n",
                        "outputs": [], "execution_count": None})
    d = tmp_path / "s" / CC
    d.mkdir(parents=True)
    (d / f"{CC}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    code = "\n".join(exercise_cells(d))
    assert "Y[i, j] = (X[i:i + h, j:j + w] * K).sum()" in code and "def helper():" in code
    assert "def try_it():" not in code            # the locked setup cell
    assert 'check("corr2d", corr2d)' not in code  # a graded test cell


def test_only_the_most_similar_pairs_are_drawn_side_by_side(report, monkeypatch):
    from autograder.reports import similarity
    pairs, counts, _ = report
    monkeypatch.setattr(similarity, "MAX_SIDE_BY_SIDE", 1)
    text = similarity.html_report(pairs, counts)
    assert text.count('<div class="sides">') == 1 and 'href="#pair-2"' not in text
    assert "Only the 1 most similar pairs" in text
