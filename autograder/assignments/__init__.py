"""The course's assignments: one module per assignment, each defining ``ASSIGNMENT``.

Adding an assignment means adding a module here (and its notebook under ``solutions/``); the engine
finds it by listing this package.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ..exercise import Assignment, Exercise


@lru_cache(maxsize=None)
def all_assignments() -> dict[str, Assignment]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        a = getattr(module, "ASSIGNMENT", None)
        if isinstance(a, Assignment):
            found[a.id] = a
    return found


def get(assignment_id: str) -> Assignment:
    found = all_assignments()
    if assignment_id not in found:
        known = ", ".join(sorted(found))
        raise KeyError(f"unknown assignment {assignment_id!r} (known: {known})")
    return found[assignment_id]


def find_exercise(name: str) -> tuple[Assignment, Exercise]:
    for a in all_assignments().values():
        for e in a.exercises:
            if e.name == name:
                return a, e
    raise KeyError(f"unknown exercise {name!r}")
