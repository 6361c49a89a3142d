"""Property-based: whatever a framework document or an evaluation's inputs hold, the
reader gives a framework or problems with paths, and scoring gives a result or problems
with paths — never another exception (api.md: never a 500 for bad input)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskctl.assessment import scoring, spec

BOUNDED = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip
FRAMEWORK, RAW = spec.shipped()["dept_overall_expenditure"]
KEYS = [i.key for i in FRAMEWORK.indicators]


@BOUNDED
@given(values)
def test_any_framework_document_gives_a_framework_or_problems_with_paths(raw: Any) -> None:
    framework, problems = spec.parse(raw)
    assert (framework is None) == bool(problems)
    assert all(isinstance(p.path, str) and p.message for p in problems)


@BOUNDED
@given(st.sampled_from(["groups", "grades", "deductions", "max", "version", "key"]), values)
def test_a_shipped_framework_with_one_part_replaced_never_breaks_the_reader(part, value):
    raw = copy.deepcopy(RAW)
    raw[part] = value
    spec.parse(raw)  # a framework or problems, never an exception


@BOUNDED
@given(
    st.dictionaries(st.sampled_from([*KEYS, "major_violation", "x"]), values, max_size=6),
    st.none() | st.dictionaries(st.sampled_from([*KEYS, "y"]), scalars, max_size=4),
)
def test_any_inputs_give_a_result_or_problems_at_their_paths(inputs, recorded):  # fmt: skip
    outcome = scoring.evaluate(FRAMEWORK, inputs, recorded)
    for problem in outcome.problems:
        assert problem.path.split(".")[0] in ("inputs", "recorded")
        assert str(problem.message)
    if not outcome.problems and not outcome.missing:
        assert outcome.result["total"] is not None
