"""results.json has a JSON Schema (autograder/results/schema.py), and what the kit writes meets
it: a graded submission's results, one that could not be graded, Gradescope's form of them, and
the results a class run left on disk."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder.assignments import ids
from autograder.engine.grade import could_not_grade, grade
from autograder.integrations.gradescope import to_gradescope
from autograder.results.schema import SCHEMA, InvalidResults, validate
from autograder.results.scoring import by_exercise, exercise_scores

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"


@pytest.fixture(scope="module")
def graded():
    out = {}
    for a in ids()[:2]:
        for f in sorted((CORPUS / a).glob("*.py"))[:3]:
            out[f"{a}/{f.name}"] = grade(f, a, isolation="none")
    return out


def test_graded_results_meet_the_schema(graded):
    assert len(graded) == 6
    for name, results in graded.items():
        assert validate(results) is results, name
        assert validate(to_gradescope(results)), name


def test_results_of_a_submission_that_could_not_be_graded_meet_it():
    validate(could_not_grade(ids()[0], "the sandbox did not start"))


def test_exercise_scores_sum_to_the_score(graded):
    for results in graded.values():
        assert sum(exercise_scores(results).values()) == pytest.approx(results["score"])
        assert list(by_exercise(results)) == list(exercise_scores(results))


@pytest.mark.parametrize("break_it, where", [
    (lambda r: r.pop("score"), "(top)"),
    (lambda r: r["tests"][0].update(status="ok"), "tests/0/status"),
    (lambda r: r["tests"][1].update(tags=[]), "tests/1/tags"),
    (lambda r: r["tests"][0].update(score=-1), "tests/0/score"),
])
def test_a_broken_results_json_is_refused_with_where(graded, break_it, where):
    results = json.loads(json.dumps(next(iter(graded.values()))))
    break_it(results)
    with pytest.raises(InvalidResults, match=re.escape(f"at {where}:")):
        validate(results)


def test_the_schema_names_every_field_the_kit_writes(graded):
    results = next(iter(graded.values()))
    assert set(results) <= set(SCHEMA["properties"])
    assert set(results["tests"][0]) <= set(SCHEMA["properties"]["tests"]["items"]["properties"])
    gs = to_gradescope(results)
    assert set(gs) <= set(SCHEMA["properties"])
