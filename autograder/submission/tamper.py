"""Find code that could switch off the forbidden-routine guard, before any of it runs.

The guard (``worker/guard.py``) runs in the student's own process, so code there can in principle
disable it: ``torch._C.DisableTorchFunction()`` hides every torch call from it, and the guard's
tables can be reached through ``sys.modules`` or ``gc``. No CNN exercise needs any of these, so
the grader reads the submission's syntax tree (it runs nothing) and an exercise whose definition
(or a helper it calls, transitively) uses one of them scores 0 with a message naming it, exactly
like a forbidden routine. A top-level statement that binds a name (``D =
torch._C.DisableTorchFunction``, ``import gc``) counts as a helper of the code that uses the name;
other module-level code is left to the guard's own defences (it works from a frozen copy of its
tables). A name built at run time (``getattr(torch._C, "Disable" + ...)``) escapes any static scan:
in-process detection cannot be airtight against code written to defeat it; in an isolated worker
the rule therefore rests on ``worker/enforce.py`` (refusals below Python), and this scan only
gives an early, clear verdict for the plain spellings.
"""
from __future__ import annotations

import ast

# Names (attributes, identifiers, or string literals) that reach the guard's switches or its
# tables. Deliberately narrow: ordinary teaching code never touches them.
TAMPERING = {
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch",
    "_disabled_torch_function_impl", "_disable_torch_function", "TorchFunctionMode",
    "_pop_mode", "_push_mode", "_pop_torch_function_stack", "_push_on_torch_function_stack",
    "_set_torch_function_mode", "_get_function_stack_at", "_len_torch_function_stack",
    "_is_torch_function_mode_enabled", "TorchDispatchMode",
    "TORCH_FORBIDDEN", "OTHER_FORBIDDEN", "convkit_worker", "setprofile", "settrace",
    "get_objects", "get_referrers",
}
# Modules that only matter here when imported (a local variable called ``gc`` is harmless).
TAMPERING_MODULES = {"gc", "ctypes", "torch.overrides"}


def _terms(node: ast.AST) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and (n.attr in TAMPERING or (
                n.attr == "overrides" and isinstance(n.value, ast.Name) and n.value.id == "torch")):
            found.add("torch.overrides" if n.attr == "overrides" else n.attr)
        elif isinstance(n, ast.Name) and n.id in TAMPERING:
            found.add(n.id)
        elif isinstance(n, ast.Import):
            found |= {a.name for a in n.names if a.name in TAMPERING_MODULES}
        elif isinstance(n, ast.ImportFrom):
            if n.module in TAMPERING_MODULES:
                found.add(n.module)
            elif n.module == "torch" and any(a.name == "overrides" for a in n.names):
                found.add("torch.overrides")
            found |= {a.name for a in n.names if a.name in TAMPERING}
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in TAMPERING:
            found.add(repr(n.value))
    return found


def _bound(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


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
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                # ``import torch, gc``: each name is judged by its own module only.
                for alias in node.names:
                    one = type(node)(names=[alias], **({"module": node.module, "level": node.level}
                                                       if isinstance(node, ast.ImportFrom) else {}))
                    defs[(alias.asname or alias.name).split(".")[0]] = one
            else:
                # A top-level statement that binds names (``D = torch._C.DisableTorchFunction``)
                # is a helper of whatever refers to those names.
                for name in _bound(node):
                    defs[name] = node
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
