"""The layout is the architecture (docs/ARCHITECTURE.md): a grade flows one way, and each
package imports only the packages below it. Read from the syntax trees; nothing is imported."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "autograder"
# Bottom to top. ``worker`` is the far side of the isolation boundary: it imports nothing of the
# kit's. The top package (``autograder/__init__.py``, ``__main__``) sits above everything.
LAYERS = ["worker", "core", "checks", "assignments", "submission", "sandbox", "results",
          "engine", "reports", "classroom", "integrations", "cli"]
# The only imports of the kit's own modules inside a function, and why they are not at the top.
LAZY_OK = {
    # The command tree loads a command's module when it runs, so that `ids` and `--help` stay
    # instant (no torch), and the student kit's command works without the instructor's modules.
    "cli/__init__.py": "*",
    # ``check`` in a notebook: ``import autograder`` alone must not import torch.
    "__init__.py": "*",
    # distributed is imported only for a run on a Dask cluster.
    "classroom/run.py": "classroom.cluster",
}


def _modules():
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG)
        yield p, rel


def _layer(parts: tuple) -> int:
    if parts and parts[0] in LAYERS:
        return LAYERS.index(parts[0])
    if parts[:1] == ("_kit",):   # the student kit's marker (tools/build_student_kit.py): data only
        return -1
    return len(LAYERS)           # autograder/__init__.py (``check``), __main__.py


def _name(layer: int) -> str:
    return LAYERS[layer] if 0 <= layer < len(LAYERS) else "the top package"


def _targets(p: Path, rel: Path, node) -> list[tuple[str, ...]]:
    """The kit's modules an import statement names, as parts under the package."""
    here = list(rel.parent.parts)
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            mod = base + (node.module.split(".") if node.module else [])
        elif (node.module or "").split(".")[0] in ("autograder", "convkit"):
            mod = node.module.split(".")[1:]
        else:
            return []
        out = []
        for a in node.names:
            sub = mod + [a.name]
            if (PKG.joinpath(*sub).with_suffix(".py").exists() or PKG.joinpath(*sub).is_dir()):
                out.append(tuple(sub))
            else:
                out.append(tuple(mod))
        return out
    return [tuple(a.name.split(".")[1:]) for a in node.names
            if a.name.split(".")[0] in ("autograder", "convkit")]


def _imports():
    for p, rel in _modules():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        in_function = set()
        for f in ast.walk(tree):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                in_function |= {id(n) for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for t in _targets(p, rel, node):
                    yield rel, node, t, id(node) not in in_function


def test_no_module_imports_from_a_layer_above_it():
    wrong = []
    for rel, node, target, _ in _imports():
        if not target:
            continue
        mine = _layer(rel.parts if len(rel.parts) > 1 else ())
        theirs = _layer(target)
        if rel.parts[0] == "worker" and target[0] != "worker":
            wrong.append(f"{rel}:{node.lineno} imports {'.'.join(target)} (worker/ imports nothing of the kit)")
        elif theirs > mine:
            wrong.append(f"{rel}:{node.lineno} ({_name(mine)}) "
                         f"imports {'.'.join(target)} ({_name(theirs)})")
    assert not wrong, "imports from a layer above:\n" + "\n".join(wrong)


def test_the_kit_imports_itself_at_the_top_of_its_modules():
    lazy = []
    for rel, node, target, at_top in _imports():
        if at_top or not target:
            continue
        allowed = LAZY_OK.get(rel.as_posix())
        if allowed in ("*", ".".join(target)) or rel.parts[0] == "worker":
            continue
        lazy.append(f"{rel}:{node.lineno} imports {'.'.join(target)} inside a function")
    assert not lazy, "\n".join(lazy)


def test_no_private_name_is_used_outside_its_module():
    used = []
    modules_bound: dict = {}     # file -> local names bound to a kit module by an import
    for rel, node, target, _ in _imports():
        if rel.parts[0] == "worker" or target[:1] == ("_kit",):
            continue
        for a in node.names:
            last = a.name.split(".")[-1]
            if target and target[-1] == last:           # the import binds a module
                modules_bound.setdefault(rel, set()).add(a.asname or last)
            elif isinstance(node, ast.ImportFrom) and last.startswith("_") \
                    and not last.startswith("__"):
                used.append(f"{rel}:{node.lineno} imports {last} from {'.'.join(target)}")
    for rel, names in modules_bound.items():
        tree = ast.parse((PKG / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in names and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                used.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not used, "\n".join(sorted(set(used)))


@pytest.mark.parametrize("package", [d.name for d in sorted(PKG.iterdir())
                                     if d.is_dir() and (d / "__init__.py").exists()])
def test_every_package_says_what_it_owns(package):
    doc = ast.get_docstring(ast.parse((PKG / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 40, f"autograder/{package}/__init__.py has no docstring"
