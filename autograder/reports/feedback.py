"""Per-submission feedback pages built from a ``results.json`` dict: text, Markdown and HTML."""
from __future__ import annotations

import re

from ..checks.show import indent
from ..results.scoring import by_exercise


def whole_note(tests: list) -> str:
    """The one message every check of an exercise failed with (missing, the stub, forbidden), or ''."""
    outs = {t["output"] for t in tests}
    if len(tests) > 1 and all(t["status"] == "failed" for t in tests) and len(outs) == 1:
        return outs.pop()
    return ""


NOT_ASSESSED = "not assessed:"


def not_assessed(t: dict) -> bool:
    """A property check that could not be judged (no input it was tried on had right values):
    neither a pass nor a failure; its points are not earned until it can be."""
    return t.get("status") != "passed" and str(t.get("output", "")).startswith(NOT_ASSESSED)


def state(t: dict) -> str:
    """"pass", "FAIL" or "not assessed"."""
    if t.get("status") == "passed":
        return "pass"
    return "not assessed" if not_assessed(t) else "FAIL"


def text_feedback(results: dict, total: bool = True) -> str:
    """The feedback as plain text: what the notebook's ``check()``, ``make check`` and the
    terminal show (the pages below show the same, laid out)."""
    lines = []
    if results.get("output"):
        lines += [results["output"], ""]
    for ex, tests in by_exercise(results).items():
        got = sum(t["score"] for t in tests)
        top = sum(t["max_score"] for t in tests)
        lines.append(f"{ex}: {got:g} / {top:g} points")
        whole = whole_note(tests)
        if whole:
            lines.append(indent(whole, "  "))
            continue
        shown = {}
        for t in tests:
            mark = {"pass": "PASS", "FAIL": "FAIL"}.get(state(t), "not assessed")
            check = t["tags"][1] if len(t["tags"]) > 1 else t["name"]
            lines.append(f"  [{mark}] {check} ({t['score']:g}/{t['max_score']:g})")
            if t["status"] == "failed" and t["output"]:
                if t["output"] in shown:
                    lines.append(f"         (the same message as \u201c{shown[t['output']]}\u201d)")
                else:
                    shown[t["output"]] = check
                    lines.append(indent(t["output"], "         "))
    if total:
        lines.append(f"Total: {results['score']:g} / {results.get('max_score', 0):g}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Markdown and HTML pages (autograder/reports/templates/feedback.{md,html}.j2), one per submission.

def _pts(x) -> str:
    try:
        return f"{float(x):g}"
    except (TypeError, ValueError):
        return str(x)


def environment(autoescape: bool):
    from jinja2 import Environment, PackageLoader, StrictUndefined
    env = Environment(loader=PackageLoader(__package__, "templates"), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["pts"] = _pts
    env.filters["fence"] = lambda s: "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", str(s))), default=0))
    env.filters["mdcell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["ticks"] = _ticks
    return env


def _ticks(text):
    """Escaped HTML with Markdown's `code` spans shown as code (the notes are written in
    Markdown, for the Markdown page and Gradescope)."""
    from markupsafe import Markup, escape
    parts = re.split(r"`([^`\n]+)`", str(text))
    return Markup("".join(f"<code>{escape(p)}</code>" if i % 2 else str(escape(p))
                          for i, p in enumerate(parts)))


def hidden(t: dict) -> bool:
    """A hidden check's result (``Check.hidden``): graded and counted, its details shown to the
    student only once the instructor releases the assignment (``c.Convkit.released``)."""
    return t.get("visibility", "visible") != "visible"


def late_words(seconds: float) -> str:
    days, rest = divmod(int(round(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
    parts += [f"{minutes} min"] * bool(minutes and not days)
    return " ".join(parts) or f"{int(round(seconds))} s"


def feedback_context(results: dict, assignment: str = "", student: str = "", title: str = "",
                     exercise_titles: dict | None = None, when: str = "", late: dict | None = None,
                     released: bool = True) -> dict:
    """What the feedback templates show: per exercise its score and checks, the failing checks'
    messages (a message repeated by several checks of one exercise is printed once); a hidden
    check, until ``released``, only as a count and its points; ``late`` (``results.late.Late``
    as a dict), the lateness and the score after its penalty."""
    exercise_titles = exercise_titles or {}
    exercises = []
    for ex, all_tests in by_exercise(results).items():
        tests = [t for t in all_tests if released or not hidden(t)]
        withheld = [t for t in all_tests if t not in tests]
        checks, seen = [], {}
        for t in tests:
            name = t["tags"][1] if len(t["tags"]) > 1 else t["name"]
            passed = t["status"] == "passed"
            msg = "" if passed else (t.get("output") or "(no message)")
            same_as = seen.get(msg) if msg else None
            if msg and same_as is None:
                seen[msg] = name
            checks.append({"name": name, "passed": passed, "score": t["score"],
                           "max_score": t["max_score"], "message": msg, "same_as": same_as,
                           "state": state(t)})
        whole = whole_note(all_tests)
        if whole:
            for c in checks:
                c["message"], c["same_as"] = "", None
        exercises.append({"name": ex, "title": exercise_titles.get(ex, ""), "checks": checks,
                          "note": whole,
                          "hidden": {"n": len(withheld), "score": sum(t["score"] for t in withheld),
                                     "max_score": sum(t["max_score"] for t in withheld)}
                          if withheld else None,
                          "score": sum(t["score"] for t in all_tests),
                          "max_score": sum(t["max_score"] for t in all_tests)})
    score = results.get("score", 0)
    if late:
        late = dict(late, late_for=late_words(late["seconds_late"]),
                    final=max(0.0, round(float(score) - float(late["penalty"]), 4)))
    return {"title": title or f"Feedback: {assignment}", "assignment": assignment,
            "student": student, "score": score,
            "max_score": results.get("max_score", 0), "note": results.get("output", ""),
            "exercises": exercises, "when": when, "late": late}


def markdown_feedback(results: dict, **context) -> str:
    """A Markdown page for one submission (keyword arguments as for ``feedback_context``)."""
    return environment(False).get_template("feedback.md.j2").render(**feedback_context(results, **context))


def html_feedback(results: dict, **context) -> str:
    """A self-contained HTML page for one submission (keyword arguments as for
    ``feedback_context``); every student-controlled string is escaped."""
    return environment(True).get_template("feedback.html.j2").render(**feedback_context(results, **context))
