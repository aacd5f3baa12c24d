"""Build the demo class that ships with the kit (nbgrader layout).

    python demo/make_demo.py                  # assignments/ -> demo/course/submitted/
    python demo/make_demo.py --release R --out O --students S

Inputs
  * the released student notebooks ``<release>/<a>/<a>.ipynb`` (nbgrader ``release/``);
  * one folder per student, ``<students>/<student>/<a>.py``.  Each file's module docstring says
    what the student did (it is not copied); every top-level ``def``/``class`` named after an
    exercise replaces the ``def``/``class`` of that name in the exercise cell (``nbgrader.solution``)
    that defines it (keeping the release's docstrings where the student's version has none, as a
    student editing the stub would).  Code between two definitions (an import, a comment) goes
    with the definition below it.  An exercise the file does not define keeps the release's stub; a file
    with no definition is an untouched notebook; a missing file is a missing submission.

Output: ``<out>/submitted/<student>/<a>/<a>.ipynb``.  Every other cell, the notebook metadata and
cell ids are kept as in the release; edited cells get no outputs and no execution count.  The
output is a pure function of the inputs (same bytes on every run), written the way ``nbformat``
writes notebooks.  The built assignments' folders under ``<out>/submitted`` are rebuilt from
scratch; nothing else under ``<out>`` is touched.
"""
from __future__ import annotations

import argparse
import ast
import json
import shutil
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parent
ROOT = DEMO.parent
sys.path.insert(0, str(ROOT))     # run as a script from anywhere: the kit's own package
from autograder.assignments import ids  # noqa: E402  (reads module names only: no torch)

ASSIGNMENTS = ids()


class DemoError(Exception):
    pass


# ----------------------------------------------------------------------------- notebooks
def load_notebook(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dumps_notebook(nb: dict) -> str:
    """Serialise like ``nbformat.write`` (indent 1, sorted keys, sources split into lines)."""
    return json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def is_exercise(cell: dict) -> bool:
    return cell.get("cell_type") == "code" and bool(
        cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def top_level_names(source: str) -> dict[str, ast.AST]:
    """Top-level def/class nodes of a cell, by name ({} when the cell does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {n.name: n for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def exercise_cells(nb: dict) -> dict[str, int]:
    """Map each name defined by an exercise cell to that cell's index."""
    found: dict[str, int] = {}
    for idx, cell in enumerate(nb["cells"]):
        if is_exercise(cell):
            for name in top_level_names(cell_source(cell)):
                if name in found:
                    raise DemoError(f"{name!r} is defined by two exercise cells")
                found[name] = idx
    return found


def _span(node: ast.AST) -> tuple[int, int]:
    """1-based first and last line of a definition, decorators included."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno


def replace_definition(source: str, name: str, new_code: str) -> str:
    """Replace the top-level definition of ``name`` in a cell by ``new_code``; keep the rest."""
    node = top_level_names(source)[name]
    first, last = _span(node)
    lines = source.splitlines(keepends=True)
    before, after = lines[:first - 1], lines[last:]
    new = new_code.rstrip("\n")
    if lines[last - 1].endswith("\n"):  # keep the line break that ended the old definition
        new += "\n"
    return "".join(before) + new + "".join(after)


def _docstring_span(node: ast.AST) -> tuple[int, int] | None:
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].lineno, body[0].end_lineno
    return None


def keep_release_docstrings(release_source: str, name: str, code: str) -> str:
    """Students edit the stub's body and keep its docstring: give ``code``'s definition of ``name``
    (and, for a class, its methods) the release's docstring wherever ``code`` has none."""
    rel_lines = release_source.splitlines(keepends=True)

    def pairs(rel_node, new_node):
        yield rel_node, new_node
        if isinstance(rel_node, ast.ClassDef) and isinstance(new_node, ast.ClassDef):
            new_methods = {n.name: n for n in new_node.body
                           if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for n in rel_node.body:
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in new_methods:
                    yield n, new_methods[n.name]

    new_tree = ast.parse(code)
    new_node = next(n for n in new_tree.body if getattr(n, "name", None) == name)
    inserts = []  # (0-based line index in code, lines to insert)
    for rel, new in pairs(top_level_names(release_source)[name], new_node):
        span = _docstring_span(rel)
        if span is None or _docstring_span(new) is not None:
            continue
        doc = rel_lines[span[0] - 1:span[1]]
        shift = new.body[0].col_offset - rel.body[0].col_offset
        if shift > 0:
            doc = [" " * shift + line if line.strip() else line for line in doc]
        elif shift < 0:
            doc = [line[-shift:] if line[:-shift].isspace() else line for line in doc]
        doc[-1] = doc[-1].rstrip("\n") + "\n"
        if isinstance(new, ast.ClassDef):
            doc.append("\n")  # a blank line between a class docstring and its first method
        inserts.append((new.body[0].lineno - 1, doc))
    lines = code.splitlines(keepends=True)
    for at, doc in sorted(inserts, reverse=True):
        lines[at:at] = doc
    return "".join(lines)


def split_source_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# ----------------------------------------------------------------------------- students
def parse_student_file(path: Path) -> tuple[str, dict[str, str]]:
    """(docstring, {exercise name: code to put in its cell}) for one student's assignment."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    lines = text.splitlines(keepends=True)
    body = list(tree.body)
    doc = ""
    start = 1  # first line (1-based) of the next chunk
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        doc = body[0].value.value
        start = body[0].end_lineno + 1
        body = body[1:]
    chunks: dict[str, str] = {}
    pending = False
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first, last = _span(node)
            code = "".join(lines[start - 1:last]).strip("\n")
            if node.name in chunks:
                raise DemoError(f"{path}: {node.name} defined twice")
            chunks[node.name] = code + "\n"
            start = last + 1
            pending = False
        else:
            pending = True  # an import or assignment: travels with the next definition
    if pending:
        raise DemoError(f"{path}: code after the last definition has no cell to go to")
    return doc.strip(), chunks


def student_names(students_dir: Path) -> list[str]:
    return sorted(p.name for p in students_dir.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")))


# ----------------------------------------------------------------------------- build
def fill_notebook(release_nb: dict, chunks: dict[str, str], where: str = "") -> dict:
    nb = json.loads(json.dumps(release_nb))  # deep copy
    cells_by_name = exercise_cells(nb)
    for name, code in chunks.items():
        if name not in cells_by_name:
            raise DemoError(f"{where}: {name!r} is not defined by any exercise cell of the release "
                            f"(exercise cells define {sorted(cells_by_name)})")
        cell = nb["cells"][cells_by_name[name]]
        code = keep_release_docstrings(cell_source(cell), name, code)
        new = replace_definition(cell_source(cell), name, code)
        cell["source"] = split_source_lines(new)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def build(release_dir: Path, students_dir: Path, out_dir: Path,
          assignments: tuple[str, ...] = ASSIGNMENTS) -> list[Path]:
    """Write the class under ``out_dir/submitted``; return the notebooks written (sorted)."""
    releases = {}
    for a in assignments:
        path = release_dir / a / f"{a}.ipynb"
        if not path.is_file():
            raise DemoError(f"released notebook missing: {path}")
        releases[a] = load_notebook(path)
    # Compute everything before touching the output folder.
    outputs: dict[Path, str] = {}
    for student in student_names(students_dir):
        for a in assignments:
            src = students_dir / student / f"{a}.py"
            if not src.is_file():
                continue  # this student did not submit this assignment
            _, chunks = parse_student_file(src)
            nb = fill_notebook(releases[a], chunks, where=str(src))
            outputs[Path("submitted") / student / a / f"{a}.ipynb"] = dumps_notebook(nb)
    submitted = out_dir / "submitted"
    if submitted.is_dir():  # drop stale submissions of the assignments being built
        for student_dir in sorted(submitted.iterdir()):
            for a in assignments:
                if (student_dir / a).is_dir():
                    shutil.rmtree(student_dir / a)
            if student_dir.is_dir() and not any(student_dir.iterdir()):
                student_dir.rmdir()
    written = []
    for rel, text in sorted(outputs.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", type=Path, default=ROOT / "assignments",
                    help="folder holding <a>/<a>.ipynb (default: assignments/)")
    ap.add_argument("--students", type=Path, default=DEMO / "students",
                    help="folder holding <student>/<a>.py (default: demo/students/)")
    ap.add_argument("--out", type=Path, default=DEMO / "course",
                    help="nbgrader course folder to write submitted/ into (default: demo/course/)")
    ap.add_argument("--assignment", action="append", choices=ASSIGNMENTS,
                    help="only these assignments (repeatable; default: all three)")
    args = ap.parse_args(argv)
    try:
        written = build(args.release, args.students, args.out,
                        tuple(args.assignment) if args.assignment else ASSIGNMENTS)
    except DemoError as e:
        print(f"make_demo: {e}", file=sys.stderr)
        return 1
    print(f"make_demo: wrote {len(written)} notebooks under {args.out / 'submitted'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
