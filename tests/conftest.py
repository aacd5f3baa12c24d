"""What every test process shares: its own private folders, the speed tiers, and the grouping
that lets pytest-xdist build each expensive fixture once.

- Private folders. Each pytest process (each pytest-xdist worker) gets its own Jupyter,
  IPython, matplotlib and XDG config/cache folders under a temporary root of its own, set before
  any test module is imported: two workers never share a kernel's connection files, a Chromium
  profile or a font cache, and no user configuration reaches a kernel or a browser. HOME stays
  (tests look for files an attack may have left there); the tests that run nbgrader give it an
  empty HOME of their own. The tests' own files live under ``tmp_path``/``tmp_path_factory``,
  which pytest-xdist already keeps per worker.
- Tiers. Tests marked ``kernel`` (start a Jupyter kernel), ``nbgrader`` (run nbgrader),
  ``dask`` (start a LocalCluster) or ``classrun`` (grade a whole class, build a wheel or a venv)
  are also marked ``slow``, and so is every file of the corpus and hostile sweeps outside a
  sample (``SWEEPS``); ``make test-fast`` runs ``-m "not slow"``, ``make test`` runs everything.
- Groups. Under ``--dist loadgroup`` the tests that use the same module- or session-scoped
  fixture of this folder (directly or through another fixture) get one ``xdist_group``, so that
  fixture is built once, on one worker, instead of once per worker. Tests that share nothing
  (or only a fixture in ``PER_WORKER``) stay free to run on either worker.
- Order. Modules with the longest fixtures (nbgrader, then Dask and kernels) are handed out
  first (with ``--no-loadscope-reorder``), so no long run is left to start at the end.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest

SLOW_MARKS = ("kernel", "nbgrader", "dask", "classrun")
# The sweeps over every corpus and hostile file: ``make test-fast`` keeps a sample of each (the
# first file of every assignment, every SAMPLE_EVERY-th attack); ``make test`` runs them all.
SWEEPS = ("tests/test_engine.py::test_correct_alternative_gets_full_marks",
          "tests/test_engine.py::test_bug_loses_points_only_where_it_is",
          "tests/test_isolation.py::test_hostile_submission_is_withstood")
SAMPLE_EVERY = 8
# Per-process folders: where Jupyter, IPython, matplotlib and Chromium keep state.
PRIVATE_DIRS = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
_PRIVATE_ROOT: list[str] = []
# Shared fixtures cheap enough to build once per worker (a zygote, a sandboxed worker: about a
# second): the many tests that use them may then run on both workers.
PER_WORKER = {"test_isolation.env", "test_enforcement.worker",
              "test_enforcement.no_autograd_worker"}


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    root = tempfile.mkdtemp(prefix=f"convkit-tests-{worker}-")
    _PRIVATE_ROOT.append(root)
    for var in PRIVATE_DIRS:
        d = os.path.join(root, var.lower())
        os.makedirs(d)
        os.environ[var] = d
    # Only the private folders above: a user's Jupyter search path would reach the kernels.
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH"):
        os.environ.pop(var, None)


def pytest_unconfigure(config):
    for root in _PRIVATE_ROOT:
        shutil.rmtree(root, ignore_errors=True)


def _shared_fixtures(item) -> set[str]:
    """The module- and session-scoped fixtures of this folder that ``item`` uses."""
    info = getattr(item, "_fixtureinfo", None)
    out = set()
    for name in getattr(info, "names_closure", ()):
        for fd in info.name2fixturedefs.get(name, ())[-1:]:
            if fd.scope != "function" and fd.baseid.startswith("tests"):
                module = fd.baseid.rsplit("/", 1)[-1].removesuffix(".py")
                if f"{module}.{name}" not in PER_WORKER:
                    out.add(f"{module}.{name}")
    return out


def _sample_sweeps(items) -> None:
    """Mark ``slow`` every sweep item outside the sample (see ``SWEEPS``)."""
    seen: dict = {}
    for item in items:
        base, _, param = item.nodeid.partition("[")
        if base not in SWEEPS or not param:
            continue
        if "/" in param:                  # "<assignment>/<file>]": the first file of each
            group = (base, param.split("/", 1)[0])
            keep = group not in seen
            seen[group] = True
        else:
            n = seen.setdefault(base, 0)
            seen[base] = n + 1
            keep = n % SAMPLE_EVERY == 0
        if not keep:
            item.add_marker(pytest.mark.slow)


def _module_rank(items) -> int:
    """0: a module that is all nbgrader (its fixture runs nbgrader for minutes); 1: one with
    any slow test; 2: the rest."""
    if all(it.get_closest_marker("nbgrader") for it in items):
        return 0
    return 1 if any(it.get_closest_marker("slow") for it in items) else 2


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(m) for m in SLOW_MARKS):
            item.add_marker(pytest.mark.slow)
    _sample_sweeps(items)

    # Tests linked by a shared fixture, transitively, form one group (union-find).
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    uses = {}
    for item in items:
        shared = sorted(_shared_fixtures(item))
        uses[item.nodeid] = shared
        for other in shared[1:]:
            parent[find(other)] = find(shared[0])
    for item in items:
        if uses[item.nodeid] and not item.get_closest_marker("xdist_group"):
            group = find(uses[item.nodeid][0])
            item.add_marker(pytest.mark.xdist_group(group))

    # Longest first; a stable sort by module keeps each module's tests together (its module
    # fixtures are built once).
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    rank = {m: _module_rank(its) for m, its in modules.items()}
    items.sort(key=lambda it: rank[it.nodeid.split("::")[0]])
