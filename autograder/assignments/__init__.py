"""The course's assignments: one module per assignment, each defining ``ASSIGNMENT``.

This package is the course's one source: which assignments exist (the module names, which are the
ids), their order in the book (``Assignment.section``), titles, exercises and points. Everything
else (collect, release, the demo, the benchmark, the class report's column order, the tests)
derives them from here. Adding an assignment means adding a module here (and its notebook under
``solutions/``); nothing outside this package names an id (``tests/test_one_source.py``).
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from ..core.declarations import Assignment, Exercise


def _section_key(section: str | None) -> tuple:
    """"6.10" after "6.9": a section compares as its numbers. An assignment beyond the book (no
    section) comes after the book's."""
    if not section:
        return (1, ())
    return (0, tuple(int(p) if p.isdigit() else p for p in section.split(".")))


def _declared_section(path: Path) -> str | None:
    """The ``section="..."`` of the ``Assignment(...)`` a module declares, read from its source
    (``ids`` must not import torch, which every assignment module does)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Assignment":
            for kw in node.keywords:
                if kw.arg == "section" and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return None


@lru_cache(maxsize=None)
def ids() -> tuple[str, ...]:
    """The assignment ids in teaching order, without importing any assignment (so without torch):
    the module names of this package, ordered by the section each declares. ``in_order`` is the
    same list read from the imported declarations (a test checks they agree)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg or info.name.startswith("_"):
            continue
        section = _declared_section(Path(__path__[0]) / f"{info.name}.py")
        # A module without a section (beyond the book) sorts last, by name, rather than vanishing.
        found.append((_section_key(section), info.name))
    return tuple(name for _, name in sorted(found))


@lru_cache(maxsize=None)
def all_assignments() -> dict[str, Assignment]:
    """Every assignment, by id, in teaching order (a dict keeps it)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        a = getattr(module, "ASSIGNMENT", None)
        if isinstance(a, Assignment):
            # The module name is the id collect and make release see without importing.
            if a.id != info.name:
                raise ValueError(f"assignments/{info.name}.py declares id {a.id!r}: name the "
                                 f"module after its id")
            found.append(a)
    found.sort(key=lambda a: (_section_key(a.section), a.id))
    return {a.id: a for a in found}


def in_order() -> list[Assignment]:
    """The assignments in the book's order (by ``section``)."""
    return list(all_assignments().values())


def teaching_order(assignment_id: str) -> tuple:
    """Sort key: a known id by its section, an unknown one after them all, by name."""
    order = ids()
    return (order.index(assignment_id), "") if assignment_id in order else (len(order), assignment_id)


def get(assignment_id: str) -> Assignment:
    found = all_assignments()
    if assignment_id not in found:
        known = ", ".join(found)
        raise KeyError(f"unknown assignment {assignment_id!r} (known: {known})")
    return found[assignment_id]


def find_exercise(name: str) -> tuple[Assignment, Exercise]:
    for a in all_assignments().values():
        for e in a.exercises:
            if e.name == name:
                return a, e
    raise KeyError(f"unknown exercise {name!r}")
