"""Find code that could switch off the forbidden-routine guard, before any of it runs.

The guard (``worker/guard.py``) runs in the student's own process, so code there can in principle
disable it: ``torch._C.DisableTorchFunction()`` hides every torch call from it, and the guard's
tables can be reached through ``sys.modules`` or ``gc``. No CNN exercise needs any of these, so
the grader reads the submission's syntax tree (it runs nothing) and an exercise whose definition
(or a helper it calls, transitively) uses one of them scores 0 with a message naming it, exactly
like a forbidden routine. Module-level code is left to the guard's own defences (it works from a
frozen copy of its tables).
"""
from __future__ import annotations

import ast

# Names (attributes, identifiers, imported modules, or string literals) that reach the guard's
# switches or its tables. Deliberately narrow: ordinary teaching code never touches them.
TAMPERING = {
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch",
    "_disabled_torch_function_impl", "_disable_torch_function", "TorchFunctionMode",
    "_pop_mode", "_push_mode", "_pop_torch_function_stack", "_push_on_torch_function_stack",
    "_set_torch_function_mode", "_get_function_stack_at", "_len_torch_function_stack",
    "_is_torch_function_mode_enabled", "TorchDispatchMode", "torch.overrides", "overrides",
    "TORCH_FORBIDDEN", "OTHER_FORBIDDEN", "convkit_worker", "setprofile", "settrace",
    "get_objects", "get_referrers", "gc", "ctypes",
}


def _terms(node: ast.AST) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and n.attr in TAMPERING:
            found.add(n.attr)
        elif isinstance(n, ast.Name) and n.id in TAMPERING:
            found.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] + ([n.module] if getattr(n, "module", None) else [])
            for m in mods:
                if m in TAMPERING or m.split(".")[0] in ("gc", "ctypes") or m == "torch.overrides":
                    found.add(m)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in TAMPERING:
            found.add(repr(n.value))
    return found


def _refs(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def scan(cells) -> dict[str, str]:
    """Map each top-level name whose code (or whose helpers' code) tampers to one offending term."""
    defs: dict[str, ast.AST] = {}
    for _, source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[node.name] = node      # the last definition wins, as when the cells run
    own = {name: _terms(node) for name, node in defs.items()}
    calls = {name: _refs(node) & set(defs) for name, node in defs.items()}
    flagged = {}
    for name in defs:
        seen, todo, terms = set(), [name], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            terms |= own[n]
            todo.extend(calls[n] - seen)
        if terms:
            flagged[name] = sorted(terms)[0]
    return flagged
