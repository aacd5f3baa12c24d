"""The JSON Schema of ``results.json`` (``SCHEMA``; ``python -m autograder.results.schema``
prints it): what every writer of results (a class run, ``grade --json``, the Gradescope run)
checks before it writes, and what the tests hold every written result to. Gradescope's own
fields are in it too; a field it does not name is allowed (Gradescope reads more than the kit
writes)."""
from __future__ import annotations

import json
from functools import lru_cache

import jsonschema

from ..core.settings import VISIBILITIES

_POINTS = {"type": "number", "minimum": 0}
_TEXT = {"type": "string"}
_FORMAT = {"enum": ["text", "md", "html", "simple_format", "ansi"]}    # Gradescope's
_VISIBILITY = {"enum": list(VISIBILITIES)}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "convkit/results.schema.json",
    "title": "convkit results.json",
    "description": "What grading one submission writes: Gradescope's results.json format "
                   "(docs/CONTRACT.md). One test per check, or per part of a split check, named "
                   "'<exercise>: <check>' and tagged [exercise, check]; summing an exercise's "
                   "tests gives its score.",
    "type": "object",
    "required": ["score", "max_score", "tests"],
    "properties": {
        "score": _POINTS,
        "max_score": _POINTS,
        "output": _TEXT,
        "output_format": _FORMAT,
        "test_output_format": _FORMAT,
        "execution_time": _POINTS,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {
            "type": "object",
            "properties": {
                "student_code_seconds": _POINTS,
                # What each exercise's code called: torch functions, for the class report.
                "called": {"type": "object",
                           "additionalProperties": {"type": "array", "items": _TEXT}},
            },
        },
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output", "tags"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "score": _POINTS,
                    "max_score": _POINTS,
                    "status": {"enum": ["passed", "failed"]},
                    "output": _TEXT,
                    "output_format": _FORMAT,
                    "tags": {"type": "array", "items": _TEXT, "minItems": 1},
                    "visibility": _VISIBILITY,
                },
            },
        },
    },
}


@lru_cache(maxsize=None)
def _validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


class InvalidResults(ValueError):
    """A results dict that is not a valid results.json (a bug in the kit, never the student's)."""


def validate(results: dict) -> dict:
    """``results`` unchanged when it is a valid results.json; else ``InvalidResults`` naming
    where and why."""
    errors = sorted(_validator().iter_errors(results), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        raise InvalidResults(f"results.json is not valid at {where}: {e.message}"
                             + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    return results


if __name__ == "__main__":
    print(json.dumps(SCHEMA, indent=2))
