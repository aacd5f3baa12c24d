"""Normalise released (student) notebooks so that `make release` is byte-for-byte reproducible.

`nbgrader generate_assignment` already produces the same notebook on every run with the same
nbgrader/nbformat versions, but its byte layout (key order, `\\uXXXX` escapes of the Chinese terms,
file mode) is the JSON writer's, not ours. This script rewrites each released notebook in one
canonical form that does not depend on the writer:

* outputs cleared and execution counts reset on every code cell (a release never carries outputs);
* JSON with sorted keys, one-space indentation, UTF-8 text kept as is (readable Chinese), and a
  final newline;
* file mode 0o644.

Nothing else changes: cell ids, sources, nbgrader metadata and checksums are kept exactly as
nbgrader wrote them (the checksums are what autograde uses to detect edited locked cells).

Usage: python tools/release.py NOTEBOOK.ipynb [...]
The tests (tests/test_notebooks.py) import `normalise_text` to apply the same normalisation.
"""
from __future__ import annotations

import json
import os
import sys


def normalise_text(text: str) -> str:
    """Return the canonical text of the notebook whose JSON text is `text`."""
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def normalise_file(path: str) -> bool:
    """Normalise `path` in place; return True when its bytes changed."""
    with open(path, encoding="utf-8") as f:
        old = f.read()
    new = normalise_text(old)
    if new != old:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(new)
    os.chmod(path, 0o644)
    return new != old


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    for path in argv:
        changed = normalise_file(path)
        print(f"{path}: {'normalised' if changed else 'already canonical'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
