"""Per-submission feedback pages built from a ``results.json`` dict: text, Markdown and HTML."""
from __future__ import annotations

from .show import indent


def _by_exercise(results: dict) -> dict[str, list]:
    by: dict[str, list] = {}
    for t in results["tests"]:
        by.setdefault(t["tags"][0], []).append(t)
    return by


def text_feedback(results: dict) -> str:
    lines = []
    if results.get("output"):
        lines += [results["output"], ""]
    for ex, tests in _by_exercise(results).items():
        got = sum(t["score"] for t in tests)
        top = sum(t["max_score"] for t in tests)
        lines.append(f"{ex}: {got:g} / {top:g} points")
        shown = set()
        for t in tests:
            mark = "PASS" if t["status"] == "passed" else "FAIL"
            lines.append(f"  [{mark}] {t['tags'][1]} ({t['score']:g}/{t['max_score']:g})")
            if t["status"] == "failed" and t["output"] and t["output"] not in shown:
                shown.add(t["output"])
                lines.append(indent(t["output"], "         "))
    lines.append(f"Total: {results['score']:g} / {results.get('max_score', 0):g}")
    return "\n".join(lines)
