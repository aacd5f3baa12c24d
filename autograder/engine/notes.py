"""What the grader says about a submission as a whole, beside the checks' own messages: the cells
that failed to load (a syntax error with its caret, apart from the errors it causes) and, where one
bug costs once, which exercises were checked with a correct helper in place of the student's."""
from __future__ import annotations

import ast
import re


def load_note(problems: list[dict], cells=()) -> str:
    """The cells that failed to run: syntax errors first, with the line and a caret, then the
    rest; a NameError for a name whose defining cell has a syntax error says it follows from it."""
    broken = [p for p in problems if p.get("type") == "SyntaxError"]
    lines = []
    for p in broken + [p for p in problems if p.get("type") != "SyntaxError"]:
        where = p.get("cell", "")
        line = f"{where}: {p.get('type')}: {p.get('message')}".strip(": ")
        if p in broken and p.get("trace"):
            line += "\n" + "\n".join("    " + t for t in p["trace"].rstrip().splitlines())
        m = re.match(r"name '(\w+)' is not defined", str(p.get("message")))
        if p.get("type") == "NameError" and m:
            origin = _defined_in(cells, m.group(1))
            if origin in {b.get("cell") for b in broken}:
                line += f" (this follows from the syntax error in {origin})"
        lines.append(line)
    return "\n".join(lines)


def _defined_in(cells, name: str) -> str | None:
    """The cell whose source defines ``name`` (by text: a cell with a syntax error cannot be
    parsed), or None."""
    pattern = re.compile(rf"^\s*(def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*=", re.M)
    found = None
    for cell, source in cells:
        if pattern.search(source):
            found = cell            # the last definition wins, as when the cells run
    return found


def missing_note(name: str, cells, problems: list[dict]) -> str:
    """Why ``name`` is not defined, when a cell that failed to run is the reason: its syntax error
    (with the line and a caret) apart from the errors it causes in later cells."""
    where = _defined_in(cells, name)
    failed = {p.get("cell"): p for p in problems}
    if where is None or where not in failed:
        return ""
    p = failed[where]
    text = f"`{name}` is not defined because the cell that defines it, {where}, did not run: "
    if p.get("type") == "SyntaxError":
        text += f"it has a syntax error ({p.get('message')}):\n"
        text += "\n".join("    " + t for t in (p.get("trace") or "").rstrip().splitlines())
        later = [q for q in problems if q.get("type") == "NameError" and q.get("cell") != where]
        if later:
            text += ("\nFix it first: the NameErrors in "
                     + ", ".join(str(q.get("cell")) for q in later) + " follow from it.")
        return text
    return text + f"{p.get('type')}: {p.get('message')}"


def refers_to(cells, name: str, helper: str) -> bool | None:
    """Whether the code of the last definition of ``name`` in ``cells`` mentions ``helper``
    (None: no cell that parses defines it)."""
    found = None
    for _, source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                    node.name == name:
                found = any(isinstance(n, ast.Name) and n.id == helper or
                            isinstance(n, ast.Attribute) and n.attr == helper
                            for n in ast.walk(node))
    return found


def inherited(assignment, results, cells=()) -> list[str]:
    """One bug costs once: say where an exercise was checked with a correct helper (the book's
    code, or the kit's where the assignment goes beyond the book) in place of a helper of the
    student's that fails its own checks (notes for passed exercises; failed ones also carry it in
    their messages). Said only where the exercise's own code calls that helper (or where that
    cannot be told): otherwise the helper made no difference to it."""
    by_name = {r.name: r for r in results}
    notes = []
    for ex in assignment.exercises:
        r = by_name.get(ex.name)
        wrong = [d.name for d in ex.builds_on
                 if d.name in by_name and by_name[d.name].earned < d.points
                 and refers_to(cells, ex.name, d.name) is not False]
        if r is None or not wrong or r.forbidden or r.note:
            continue
        helpers = " and ".join(f"`{n}`" for n in wrong)
        if r.earned >= r.points:
            notes.append(f"Your `{ex.name}` is right: it calls {helpers}, and was checked with a "
                         f"correct {helpers} in place of yours, so the bug in {helpers} costs "
                         f"points only under {helpers}.")
            continue
        for c in r.checks:
            if c.earned < c.points:
                c.message = (f"(`{ex.name}` was checked with a correct {helpers} in place of "
                             f"yours, which fails its own checks: what fails here is `{ex.name}`'s "
                             f"own.)\n" + c.message)
    return notes
