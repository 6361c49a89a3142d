"""Property-based tests of the parsers of administrators' input: the risk policy, a process
definition and the org CSV import.  Whatever arrives (JSON-like values, what YAML gives,
CSV text) yields a result or ``ValidationFailed``/``DomainError`` whose details carry
paths, never another exception (api.md: never a 500 for bad input)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date
from typing import Any
from unittest import mock

from flask_babel.speaklater import LazyString
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.org import importer
from riskctl.process import services as process_services
from riskctl.process.definition import CATEGORIES, NODE_KINDS
from riskctl.process.validation import validate
from riskctl.risk.policy import Policy, default_body, merged
from riskctl.risk.rules import REGISTRY

# Bounded: each property runs in a second or two, in every CI run.  No example database
# (.hypothesis/ in the tree): a failure prints the example and its @reproduce_failure.
BOUNDED = settings(
    max_examples=200, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip

UNITS = {"czj", "CZJ-01", "91110000MA01ABCD2X"}

# ---------------------------------------------------------------- values

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)  # fmt: skip
# What YAML gives besides JSON's values (riskctl's loader turns them into text, but a
# caller in Python may pass them on).
yaml_scalars = scalars | st.dates() | st.datetimes(timezones=st.just(UTC))


def documents(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str]) -> Any:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


json_like = documents(scalars, st.text(max_size=8))
yaml_like = documents(yaml_scalars, st.text(max_size=8))


def one_of_or_anything(*choices: Any) -> Any:
    return st.sampled_from(choices) | yaml_like


def is_words(message: Any) -> bool:
    """A message: text, or a translation put into words when it is read."""
    return isinstance(message, str | LazyString) and bool(str(message))


def assert_paths(error: DomainError) -> None:
    assert error.details, error
    for detail in error.details:
        assert isinstance(detail.get("path"), str), detail
        assert isinstance(detail.get("message"), str) and detail["message"], detail


# ---------------------------------------------------------------- the policy

days = (
    st.dates().map(date.isoformat) | st.dates() | st.datetimes()
    | st.integers(min_value=0, max_value=99_999_999) | st.sampled_from(["20260101", "2026-W01-1"])
    | yaml_like
)  # fmt: skip


@st.composite
def rule_settings(draw: Any, code: str) -> Any:
    rule = REGISTRY[code]
    names = st.sampled_from(sorted(rule.params)) | st.text(max_size=6)
    entry = st.fixed_dictionaries(
        {},
        optional={
            "from": days,
            "unit": st.sampled_from([None, *UNITS, "czj-01", "nowhere"]) | yaml_like,
            "values": st.dictionaries(names, yaml_like, max_size=3) | yaml_like,
        },
    )
    settings_ = st.fixed_dictionaries(
        {},
        optional={
            "enabled": st.booleans() | yaml_like,
            "freeze_on_red": st.booleans() | yaml_like,
            "params": st.lists(entry, max_size=3) | yaml_like,
        },
    )
    return draw(settings_ | yaml_like)


@st.composite
def policy_changes(draw: Any) -> Any:
    defaults = default_body()
    sections = draw(st.sets(st.sampled_from([*defaults, "other"]), max_size=4))
    change: dict[str, Any] = {}
    for section in sections:
        if section == "rules":
            codes = draw(st.sets(st.sampled_from(sorted(REGISTRY)) | st.text(max_size=5),
                                 max_size=3))  # fmt: skip
            change["rules"] = {c: draw(rule_settings(c)) if c in REGISTRY else draw(yaml_like)
                               for c in codes}  # fmt: skip
        else:
            change[section] = draw(st.just(defaults.get(section)) | yaml_like)
    return draw(st.just(change) | yaml_like)


@BOUNDED
@given(policy_changes())
def test_any_policy_change_is_merged_or_refused_with_paths(change: Any) -> None:
    try:
        body = merged(default_body(), change, set(UNITS)) if isinstance(change, dict) else None
    except ValidationFailed as refused:
        assert_paths(refused)
        return
    if body is None:
        return
    json.dumps(body)  # stored as JSON: dates are text by now
    policy = Policy(1, body, {1: "czj", 2: "CZJ-01"}, {1: "county", 2: "central"})
    for code in REGISTRY:
        for unit_id in (1, 2, 3):
            policy.params(code, unit_id, date(2026, 6, 1))
    assert merged(body, {}, set(UNITS)) == body


# ---------------------------------------------------------------- process definitions

KEYS = st.sampled_from(["start", "a", "b", "route", "end", "Bad Key", ""])


@st.composite
def definitions(draw: Any) -> Any:
    node = st.fixed_dictionaries(
        {"key": KEYS | yaml_like},
        optional={
            "kind": one_of_or_anything(*NODE_KINDS),
            "name": st.text(max_size=6) | yaml_like,
            "post": one_of_or_anything("purchaser", "leader"),
            "limit": one_of_or_anything("2wd", "1d", "3h", "0wd", "wd"),
            "risk": st.integers(min_value=-1, max_value=7) | yaml_like,
            "edits": st.lists(one_of_or_anything("amount", "x"), max_size=2) | yaml_like,
            "decisions": st.lists(one_of_or_anything("approve", "reject"), max_size=2) | yaml_like,
            "watch": st.booleans() | yaml_like,
            "result": one_of_or_anything("completed", "rejected"),
            "members": st.lists(one_of_or_anything("leader", "purchaser"), max_size=3) | yaml_like,
            "chair": one_of_or_anything("leader", "nobody"),
            "observer": yaml_like,
            "quorum": one_of_or_anything(0.5, 2, "2/3"),
        },
    )
    condition = documents(
        scalars,
        st.sampled_from(["decision", "field", "op", "value", "all", "any", "x"]),
    )
    edge = st.lists(KEYS, min_size=0, max_size=3) | st.fixed_dictionaries(
        {"from": KEYS | yaml_like, "to": KEYS | yaml_like},
        optional={"when": condition, "default": st.booleans() | yaml_like},
    )
    field_ = st.fixed_dictionaries(
        {"key": one_of_or_anything("amount", "supplier", "when")},
        optional={
            "label": st.text(max_size=6) | yaml_like,
            "type": one_of_or_anything("money", "text", "int", "date", "choice", "bool"),
            "required": st.booleans() | yaml_like,
            "choices": yaml_like,
        },
    )
    rule = st.fixed_dictionaries(
        {"nodes": st.lists(KEYS, max_size=3) | yaml_like},
        optional={"mode": one_of_or_anything("block", "flag"), "basis": yaml_like},
    )
    body = st.fixed_dictionaries(
        {},
        optional={
            "key": one_of_or_anything("small-purchase", "Bad Key"),
            "name": st.text(max_size=6) | yaml_like,
            "category": one_of_or_anything(*CATEGORIES),
            "risk": st.integers(min_value=-1, max_value=7) | yaml_like,
            "fields": st.lists(field_, max_size=3) | yaml_like,
            "nodes": st.lists(node, max_size=5) | yaml_like,
            "edges": st.lists(edge, max_size=5) | yaml_like,
            "incompatible": st.lists(rule, max_size=2) | yaml_like,
            "conflict_of_interest": one_of_or_anything("block", "flag", "off"),
        },
    )
    return draw(body | yaml_like)


@BOUNDED
@given(definitions(), st.none() | st.just(["purchaser", "leader"]))
def test_any_definition_is_read_or_refused_with_paths(raw: Any, posts: Any) -> None:
    checked = validate(raw, posts)
    for problem in checked.problems:
        assert isinstance(problem.path, str) and is_words(problem.message), problem
        assert problem.message
    assert checked.ok or checked.problems


@BOUNDED
@given(st.text(max_size=200) | json_like.map(json.dumps))
def test_any_uploaded_text_is_read_or_refused_with_a_path(text: str) -> None:
    try:
        raw = process_services.read_text(text)
    except ValidationFailed as refused:
        assert_paths(refused)
        return
    json.dumps(raw)  # what is read is what JSON holds: the body is stored as JSON
    validate(raw)


# ---------------------------------------------------------------- the org CSV import


class _NoDatabase:
    """What the importer asks of a session when the services are stubbed."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}

    def begin_nested(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


@contextlib.contextmanager
def stubbed_services() -> Iterator[list[Any]]:
    """The parts' appliers record what they were given instead of writing it."""
    applied: list[Any] = []

    def apply(session: Any, principal: Any, data: dict[str, Any]) -> bool:
        applied.append(data)
        return True

    parts = {name: (convert, schema, apply) for name, (convert, schema, _) in
             importer._PARTS.items()}  # fmt: skip
    with mock.patch.dict(importer._PARTS, parts):
        yield applied


CELLS = st.sampled_from([
    "czj", "CZJ-01", "91110000MA01ABCD2X", "cashier", "部门", "乡镇", "县级", "staff;inspector",
    "纪检组长", "+8613900000012", "cashier:2026-01-01:2026-12-31", "cashier:2026-13-01",
    "cashier::", "3", "9", "是", "", " ", '"', "a,b", "x\ny", "\x00", "ＡＢＣ",
]) | st.text(max_size=10)  # fmt: skip


@st.composite
def csv_parts(draw: Any) -> tuple[str, str]:
    part = draw(st.sampled_from(importer.PARTS))
    required, optional = importer.COLUMNS[part]
    header = draw(st.just([*required, *optional]) | st.lists(
        st.sampled_from([*required, *optional, "colour", ""]), max_size=8))  # fmt: skip
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    return part, draw(st.just(text) | st.text(max_size=60).map(lambda t, s=text: s + t))


def _check_result(result: importer.ImportResult) -> None:
    for error in result.errors:
        assert set(error) == {"file", "row", "path", "message"}, error
        assert isinstance(error["path"], str) and is_words(error["message"]), error
        assert isinstance(error["row"], int) and error["row"] >= 1, error


@BOUNDED
@given(csv_parts())
def test_any_csv_is_read_row_by_row_with_paths(given_part: tuple[str, str]) -> None:
    part, text = given_part
    result = importer.ImportResult()
    with stubbed_services() as applied:
        importer._import_part(_NoDatabase(), SYSTEM_ADMIN, part, text, result)  # type: ignore[arg-type]
    _check_result(result)
    for data in applied:  # what reaches the services was validated by the schemas
        assert isinstance(data, dict)
        json.dumps(data, default=str)


@BOUNDED
@given(st.binary(max_size=80))
def test_any_bytes_are_decoded_or_refused_with_a_path(raw: bytes) -> None:
    try:
        text = importer.decode(raw)
    except ValidationFailed as refused:
        assert_paths(refused)
        return
    result = importer.ImportResult()
    with stubbed_services():
        importer._import_part(_NoDatabase(), SYSTEM_ADMIN, "units", text, result)  # type: ignore[arg-type]
    _check_result(result)


def test_a_yaml_day_is_a_day_in_a_policy_entry() -> None:
    # The smallest of the cases above, kept as an example.
    entry = {"from": date(2026, 1, 1), "values": {"severity": 60}}
    body = merged(default_body(), {"rules": {"meeting_quorum_missing": {"params": [entry]}}},
                  set())  # fmt: skip
    assert body["rules"]["meeting_quorum_missing"]["params"][0]["from"] == "2026-01-01"
