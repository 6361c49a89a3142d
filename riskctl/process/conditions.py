"""Conditions on edges: structured data that our code evaluates — never ``eval``.

    {field: amount, op: ">=", value: "1000000"}
    {decision: reject}                    # or {decision: [reject, return]}
    {all: [cond, …]}   {any: [cond, …]}

A field test on a field with no value is false, except ``!=`` and ``not_in``, which are
true: an empty amount is not "at least a million", and it is "not 公开招标".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import Text, message_of
from riskctl.process.fields import ORDERED_TYPES, FieldSpec, check_value, typed

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
ORDERING = frozenset({">", ">=", "<", "<="})


@dataclass(frozen=True)
class FieldTest:
    field: FieldSpec
    op: str
    value: Any  # stored-form value, or a tuple of them for in / not_in

    def holds(self, values: Mapping[str, Any], decision: str | None) -> bool:
        current = values.get(self.field.key)
        if current is None:
            return self.op in ("!=", "not_in")
        left = typed(self.field, current)
        if self.op in ("in", "not_in"):
            right: Any = tuple(typed(self.field, v) for v in self.value)
        else:
            right = typed(self.field, self.value)
        return OPERATORS[self.op](left, right)


@dataclass(frozen=True)
class DecisionTest:
    decisions: frozenset[str]

    def holds(self, values: Mapping[str, Any], decision: str | None) -> bool:
        return decision in self.decisions


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def holds(self, values: Mapping[str, Any], decision: str | None) -> bool:
        return all(part.holds(values, decision) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def holds(self, values: Mapping[str, Any], decision: str | None) -> bool:
        return any(part.holds(values, decision) for part in self.parts)


Condition: TypeAlias = FieldTest | DecisionTest | AllOf | AnyOf


@dataclass(frozen=True)
class Problem:
    path: str
    message: Text  # put into words when read (riskctl.core.errors)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": str(self.message)}


def parse_condition(
    raw: Any, fields: Mapping[str, FieldSpec], path: str, problems: list[Problem]
) -> Condition | None:
    """The condition ``raw`` stands for, or None after adding what is wrong to ``problems``."""
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(path, _l("must be a condition such as {field, op, value}")))
        return None
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        _no_other_keys(raw, {key}, path, problems)
        parts_raw = raw[key]
        if not isinstance(parts_raw, list) or not parts_raw:
            problems.append(Problem(f"{path}.{key}", _l("must be a non-empty list of conditions")))
            return None
        parts = [
            parse_condition(p, fields, f"{path}.{key}[{i}]", problems)
            for i, p in enumerate(parts_raw)
        ]
        if any(p is None for p in parts):
            return None
        found = tuple(p for p in parts if p is not None)
        return AllOf(found) if key == "all" else AnyOf(found)
    if "decision" in raw:
        _no_other_keys(raw, {"decision"}, path, problems)
        wanted = raw["decision"]
        names = wanted if isinstance(wanted, list) else [wanted]
        if not names or not all(isinstance(n, str) and n for n in names):
            problems.append(Problem(f"{path}.decision", _l("must be a decision or a list of them")))
            return None
        return DecisionTest(frozenset(names))
    return _field_test(raw, fields, path, problems)


def _field_test(
    raw: dict[str, Any], fields: Mapping[str, FieldSpec], path: str, problems: list[Problem]
) -> FieldTest | None:
    _no_other_keys(raw, {"field", "op", "value"}, path, problems)
    before = len(problems)
    name, op = raw.get("field"), raw.get("op", "==")
    spec = fields.get(name) if isinstance(name, str) else None
    if "field" not in raw:
        problems.append(Problem(path, _l("needs 'field' (or 'decision', 'all', 'any')")))
    elif spec is None:
        problems.append(Problem(f"{path}.field", _l("unknown field %(name)s", name=repr(name))))
    if not isinstance(op, str) or op not in OPERATORS:
        why = _l("unknown operator %(op)s; use one of %(choices)s", op=repr(op),
                 choices=" ".join(OPERATORS))  # fmt: skip
        problems.append(Problem(f"{path}.op", why))
    elif spec is not None and op in ORDERING and spec.type not in ORDERED_TYPES:
        why = _l("'%(op)s' compares amounts, numbers and dates, not %(type)s", op=op,
                 type=spec.type)  # fmt: skip
        problems.append(Problem(f"{path}.op", why))
    if "value" not in raw:
        problems.append(Problem(f"{path}.value", _l("is required")))
    if len(problems) > before or spec is None:
        return None
    value = raw["value"]
    try:
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise ValueError(_l("'%(op)s' needs a non-empty list", op=op))
            stored: Any = tuple(check_value(spec, v) for v in value)
        else:
            stored = check_value(spec, value)
            if stored is None:
                raise ValueError(_l("must not be empty"))
    except ValueError as exc:
        problems.append(Problem(f"{path}.value", message_of(exc)))
        return None
    return FieldTest(spec, op, stored)


def _no_other_keys(raw: dict[str, Any], allowed: set[str], path: str, out: list[Problem]) -> None:
    for key in raw:
        if key not in allowed:
            out.append(Problem(f"{path}.{key}", _l("unknown key in a condition")))


def decisions_in(condition: Condition) -> frozenset[str]:
    """Every decision a condition mentions."""
    if isinstance(condition, DecisionTest):
        return condition.decisions
    if isinstance(condition, AllOf | AnyOf):
        return frozenset().union(*(decisions_in(p) for p in condition.parts))
    return frozenset()


def is_pure_decision(condition: Condition) -> bool:
    """True for ``{decision: …}`` alone (then it routes by decision only)."""
    return isinstance(condition, DecisionTest)
