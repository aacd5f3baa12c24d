"""Write ``autograder/reports/usual_ops.json``: per exercise, the torch functions the reference solution
and the correct corpus submissions (``tests/corpus/*/ok_*.py``) call at the top level.

The class report flags a submission whose exercise called anything outside this set (an
unusual op), for a human to look at where no rule decides. Run after adding a correct corpus
file or changing a solution: ``python tools/usual_ops.py``.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import assignments  # noqa: E402
from autograder.engine.grade import grade  # noqa: E402
from autograder.core.notebook import notebook_cells  # noqa: E402

OUT = ROOT / "autograder" / "reports" / "usual_ops.json"


def main() -> None:
    usual: dict[str, set] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for a in assignments.ids():
            cells, _ = notebook_cells(ROOT / "solutions" / a / f"{a}.ipynb")
            ref = Path(tmp) / f"{a}_reference.py"
            ref.write_text("\n\n".join(src for _, src in cells))
            files = [ref] + sorted((ROOT / "tests" / "corpus" / a).glob("ok_*.py"))
            for path in files:
                called = grade(path, a, isolation="none").get("extra_data", {}).get("called", {})
                for ex, names in called.items():
                    usual.setdefault(ex, set()).update(names)
                print(path.name, file=sys.stderr)
    OUT.write_text(json.dumps({ex: sorted(v) for ex, v in sorted(usual.items())}, indent=1) + "\n")


if __name__ == "__main__":
    main()
