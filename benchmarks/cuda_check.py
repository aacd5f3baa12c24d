"""Every exercise's checks on CUDA, for the reference solutions and one mutant per exercise.

    .venv/bin/python benchmarks/cuda_check.py [--isolation none process] [--assignment ID ...]

For a GPU machine (none here: without CUDA it says so and exits 2). Per assignment it grades

* the reference notebook (``solutions/<id>/<id>.ipynb``): every exercise must earn full points
  on CUDA, as on the CPU;
* one mutant per exercise from ``tests/corpus/<id>/`` (the file whose ``# breaks:`` header names
  the exercise, preferring one about dtypes or devices): its points per exercise on CUDA must be
  its points on the CPU (the bug is caught on the GPU as it is on the CPU, and nothing else is);

with ``grade(..., device="cuda")`` in each isolation asked for (``none``: in this process, as a
notebook's ``check()`` runs; ``process``: a forked worker that initialises CUDA after the fork, as
``make grade --device cuda`` without bubblewrap). Then ``check()`` runs on the reference's own
definitions: its CUDA pass (the dtype-and-device checks with the inputs on the GPU, TF32 off, the
float64 oracle on the CPU) must pass. Prints one line per run and every difference; exits 1 if
there is one.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

# A mutant about dtypes or devices is the one the CUDA run says most about.
PREFER = re.compile(r"float32|zeros|dtype|device")


def mutants(assignment) -> dict:
    """exercise name -> one corpus file whose header says it breaks that exercise."""
    found: dict = {}
    for path in sorted((ROOT / "tests" / "corpus" / assignment.id).glob("bug_*.py")):
        m = re.search(r"^# breaks: *(.+)$", path.read_text(encoding="utf-8"), re.M)
        for name in (m.group(1).replace(",", " ").split() if m else ()):
            best = found.get(name)
            if best is None or (PREFER.search(path.name) and not PREFER.search(best.name)):
                found[name] = path
    return {e.name: found[e.name] for e in assignment.exercises if e.name in found}


def per_exercise(results: dict) -> dict:
    points: dict = {}
    for t in results["tests"]:
        points[t["tags"][0]] = points.get(t["tags"][0], 0.0) + t["score"]
    return points


def failures(results: dict) -> dict:
    return {f"{t['tags'][0]}: {t['tags'][1]}": (t.get("output") or "")[:400]
            for t in results["tests"] if t["status"] != "passed"}


def compare(label: str, cuda: dict, want: dict, results: dict) -> list[str]:
    got = per_exercise(cuda)
    diffs = [f"{label}: {ex} earned {got.get(ex)} on CUDA, {pts} expected"
             for ex, pts in want.items() if abs(got.get(ex, -1.0) - pts) > 1e-9]
    if diffs:
        for check, message in failures(cuda).items():
            if check not in failures(results):
                diffs.append(f"    failed on CUDA only: {check}\n      "
                             + message.replace("\n", "\n      "))
    return diffs


def check_pass(assignment, device: str) -> list[str]:
    """check() on the reference's definitions: full points, and its CUDA pass passes."""
    from autograder.checks import reference
    from autograder.cli import selfcheck
    out = []
    for ex in assignment.exercises:
        obj = reference.solution(ex.name)
        if obj is None:
            out.append(f"check({ex.name!r}): no reference definition")
            continue
        with contextlib.redirect_stdout(io.StringIO()) as text:
            pts = selfcheck.check(ex.name, obj)
        failed = [r for r in pts.cuda_rows if not r.passed]
        print(f"  check({ex.name!r}): {float(pts):g}/{ex.points:g}, CUDA pass: "
              f"{len(pts.cuda_rows) - len(failed)}/{len(pts.cuda_rows)} checks")
        unrun = device == "cuda" and bool(selfcheck.device_checks(ex)) and \
            "CUDA checks on" not in text.getvalue()
        if float(pts) != ex.points or failed or unrun:
            out.append(f"check({ex.name!r}) on the reference:\n" + text.getvalue())
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--isolation", nargs="+", default=["none", "process"],
                   choices=["none", "process", "sandbox"])
    p.add_argument("--assignment", nargs="+", help="only these (default: every assignment)")
    p.add_argument("--device", default="cuda", help="cuda; cpu tries the script itself on a "
                   "machine without a GPU (every comparison then is CPU against CPU)")
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        built = (f"built with CUDA {torch.version.cuda}" if torch.version.cuda
                 else "a CPU-only build")
        print(f"cuda_check: no CUDA device here (torch {torch.__version__}, {built}): nothing was "
              f"checked. Run this on a machine with an NVIDIA GPU and a CUDA build of torch.",
              file=sys.stderr)
        return 2
    from autograder import assignments
    from autograder.cli import _held_back
    from autograder.engine.grade import grade

    def graded(path, aid, isolation, device):
        with _held_back():      # what the notebook's own cells print
            return grade(path, aid, isolation=isolation, device=device)
    if args.device.startswith("cuda"):
        print(f"CUDA device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    diffs: list[str] = []
    chosen = args.assignment or list(assignments.ids())
    for a in (assignments.get(i) for i in chosen):
        ref = ROOT / "solutions" / a.id / f"{a.id}.ipynb"
        full = {e.name: e.points for e in a.exercises}
        runs = [("reference", ref, None)] + [(f"mutant of {name}", path, name)
                                             for name, path in mutants(a).items()]
        missing = [e.name for e in a.exercises if e.name not in mutants(a)]
        if missing:
            print(f"{a.id}: no mutant in tests/corpus for {', '.join(missing)}")
        for label, path, _ in runs:
            cpu = graded(path, a.id, "none", "cpu")
            want = full if label == "reference" else per_exercise(cpu)
            if label == "reference" and per_exercise(cpu) != full:
                diffs.append(f"{a.id} reference: not full points on the CPU: {per_exercise(cpu)}")
            for iso in args.isolation:
                t0 = time.monotonic()
                cuda = graded(path, a.id, iso, args.device)
                found = compare(f"{a.id} {label} ({path.name}, {iso})", cuda, want, cpu)
                print(f"{a.id:18s} {label:34s} {iso:8s} {cuda['score']:g}/{cuda['max_score']:g} "
                      f"({time.monotonic() - t0:.1f} s){'  DIFFERS' if found else ''}")
                diffs += found
        diffs += check_pass(a, args.device)
    print("\n".join(diffs) if diffs else f"every check agrees on {args.device}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
