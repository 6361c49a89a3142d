"""What every rule is: parameters, facts in, signals out.

A rule is a small class.  ``collect`` asks ``ScanData`` for the facts it needs (the
set-based SQL lives there, shared by all rules); ``evaluate`` is pure — plain facts and a
context in, signals out — so that each rule is tested for a hit, a miss and its boundary
without a database, and the same code answers a scan, a what-if preview and a back-test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from flask_babel import lazy_gettext as _l

from riskctl.core import inputs
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.errors import Text

if TYPE_CHECKING:
    from riskctl.risk.evidence import Explanation, Words
    from riskctl.risk.facts import ScanData

ParamKind = Literal[
    "int", "number", "share", "money", "money_list", "text_list", "money_map", "int_map"
]


@dataclass(frozen=True)
class Param:
    default: Any
    kind: ParamKind
    help: str = ""

    def check(self, value: Any) -> Text | None:
        """Why ``value`` is not acceptable for this parameter (in the reader's words,
        riskctl.core.errors), or None."""
        if self.kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            return None if ok else _l("must be a whole number ≥ 0")
        if self.kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            return None if ok else _l("must be a number ≥ 0")
        if self.kind == "share":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
            return None if ok else _l("must be a share between 0 (exclusive) and 1")
        if self.kind == "money":
            ok = money(value) is not None
            return None if ok else _l('must be an amount in yuan, e.g. "1000000"')
        if self.kind == "money_list":
            ok = isinstance(value, list) and all(money(v) is not None for v in value)
            return None if ok else _l("must be a list of amounts in yuan")
        if self.kind == "text_list":
            ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            return None if ok else _l("must be a list of texts")
        if self.kind == "money_map":
            ok = isinstance(value, dict) and all(
                isinstance(k, str) and money(v) is not None for k, v in value.items()
            )
            return None if ok else _l("must map names to amounts in yuan")
        if self.kind == "int_map":
            ok = isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for k, v in value.items()
            )
            return None if ok else _l("must map names to whole numbers ≥ 0")
        return f"unknown parameter kind {self.kind}"  # pragma: no cover


# Stored values as the rules read them (shared with the typed copy the engine writes,
# riskctl.workflow.rule_fields, so that both read a value alike).
money = inputs.stored_money
day = inputs.stored_day


def grow(base: float, per: float, amount: float) -> int:
    """A severity that starts at ``base`` and grows by ``per`` for each unit of
    ``amount`` (days late, percent over …), capped at 100."""
    return max(0, min(100, round(base + per * max(0.0, amount))))


UNIT_RULE = "单位内部管理规定（无上位法依据）"
INTERNAL_CONTROL = (
    "《行政事业单位内部控制规范（试行）》（财会〔2012〕21号）第十五条（不相容岗位相互分离）"
)


@dataclass(frozen=True)
class Material:
    """An evidence value whose change makes a situation that a person closed (resolved
    or dismissed) worth raising again: ``more`` — a larger amount or count; ``new`` —
    entries (steps, items, tasks) that were not there; ``changed`` — any other value."""

    key: str
    how: Literal["more", "new", "changed"]
    label: str  # what the value is, in Chinese, as a person reads it …
    label_en: str  # … and in English

    def change(self, closed: Mapping[str, Any], found: Mapping[str, Any]) -> dict[str, Any] | None:
        before, after = closed.get(self.key), found.get(self.key)
        if self.how == "more":
            old, new = _number(before), _number(after)
            changed = new is not None and (old is None or new > old)
        elif self.how == "new":
            old_set = {_key(v) for v in _entries(before)}
            changed = any(_key(v) not in old_set for v in _entries(after))
        else:
            changed = before != after
        if not changed:
            return None
        return {"key": self.key, "how": self.how, "label": self.label, "label_en": self.label_en,
                "before": before, "after": after}  # fmt: skip


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _entries(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _key(value: Any) -> str:
    return repr(sorted(value.items())) if isinstance(value, dict) else repr(value)


@dataclass(frozen=True)
class Signal:
    """A situation found by a rule, before scoring.  ``attribute_to`` asks the scan to
    name the person (and node) from the item's steps: the last one who completed one of
    those nodes — a rule about field values knows which node writes a field, not who."""

    rule: str
    unit_id: int
    severity: int
    evidence: Mapping[str, Any]
    item_id: int | None = None
    definition_id: int | None = None
    node: str | None = None
    person_id: int | None = None
    post: str | None = None
    subject: str | None = None
    attribute_to: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        parts = (self.rule, self.item_id, self.node, self.person_id, self.subject)
        return "|".join("" if p is None else str(p) for p in parts)[:300]


@dataclass(frozen=True)
class Context:
    """What ``evaluate`` may know besides its facts: the time it judges, the working
    calendar, and the rule's parameters for a unit on a day (thresholds are
    effective-dated and may differ by jurisdiction)."""

    at: datetime
    calendar: WorkingCalendar
    params_for: Callable[[int, date], Mapping[str, Any]]
    # Which nodes of a process definition edit a field (for attributing a signal).
    editors: Callable[[int, str], tuple[str, ...]] = field(default=lambda _d, _f: ())
    _params: dict[tuple[int, date], Mapping[str, Any]] = field(default_factory=dict, repr=False)

    @cached_property
    def today(self) -> date:
        return self.calendar.local_date(self.at)

    def params(self, unit_id: int, on: date | None = None) -> Mapping[str, Any]:
        # Asked once per fact: a plain dict in front of the policy's resolution.
        key = (unit_id, on or self.today)
        found = self._params.get(key)
        if found is None:
            found = self._params[key] = self.params_for(*key)
        return found


class Rule:
    """Subclasses set the class attributes and implement ``collect`` and ``evaluate``."""

    code: ClassVar[str]
    name: ClassVar[str]  # Chinese, as the monitor shows it
    name_en: ClassVar[str]
    description: ClassVar[str]
    description_en: ClassVar[str]
    # What the rule rests on, as a warning cites it: the law and article, or that it is
    # the unit's own rule.  Only sources checked against their text (docs/legal_basis.md).
    basis: ClassVar[str] = UNIT_RULE
    params: ClassVar[Mapping[str, Param]] = {}
    # "item": its facts change only when an item changes, so an incremental scan looks
    # at the changed items; "unit": it weighs several items of a unit together, so it
    # looks at every item of the changed units.  ``daily``: the passing of time alone
    # changes its answer (lateness counted in days), so it is also judged in full at
    # the first scan of each day.
    reach: ClassVar[Literal["item", "unit"]] = "item"
    daily: ClassVar[bool] = False
    # Its findings are permanent facts of the record: its events never auto-close, and
    # even a full scan judges only what changed since the previous scan.
    sticky: ClassVar[bool] = False
    # False: it weighs all of a unit's items of a year or a window together (splitting,
    # supplier shares, budget lines), which no narrow read can answer; it is judged in
    # full scans only — the first scan of each day, or one asked for.
    incremental: ClassVar[bool] = True
    # The process categories whose items ``collect`` reads: the scan runs the rules of a
    # category together and lets its items go after the last of them (peak memory).
    reads: ClassVar[tuple[str, ...]] = ()
    # The typed form fields (riskctl.workflow.rule_fields) it reads of those items: the
    # scan reads only the columns some rule of the category asks for.
    fields: ClassVar[tuple[str, ...]] = ()
    # A red on this rule may freeze the item (when the policy says so for this rule).
    can_freeze: ClassVar[bool] = False
    # What makes a situation a person closed come back: see ``recurrence``.
    material: ClassVar[tuple[Material, ...]] = ()
    # Evidence keys that name people (ids) to tell of the warning besides its level's
    # route (riskctl.alerts.outbox): who disposed the warning a late follow-up came from.
    notify_also: ClassVar[tuple[str, ...]] = ()

    # Defaults that differ by a unit's government level: "central" for central units,
    # "local" for every other level (the province sets those figures: 政府采购法 第八条).
    level_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    def defaults(self, level: str | None = None) -> dict[str, Any]:
        values = {key: p.default for key, p in self.params.items()}
        group = "central" if level == "central" else "local"
        values.update(self.level_defaults.get(group, {}))
        return values

    def upgrade(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parameter values a stored policy gives, in today's names and shapes: a rule
        that renamed or reshaped a parameter translates the old one here."""
        return dict(values)

    def collect(self, data: ScanData) -> Any:
        """By default: the items of the one category the rule reads (one read per scan,
        shared by every rule of that category; ``ScanData.items_for``)."""
        if len(self.reads) != 1:
            raise NotImplementedError(f"{type(self).__name__} must say what it collects")
        return data.items_for(self, self.reads[0])

    def candidates(self, data: ScanData) -> Any:
        """An SQL condition on the items' typed columns (``Item.f_<name>``) that holds for
        every item of ``reads`` this rule could find a problem with, under every value the
        policy gives its parameters (``data.values``) — a superset, ``evaluate`` still
        judges each — so that a full scan reads those items only; None: the rule weighs
        every item (a sum, a share).  Tested against a read of every item
        (tests/integration/test_scan_candidates.py)."""
        return None

    def evaluate(self, facts: Any, ctx: Context) -> Sequence[Signal]:
        raise NotImplementedError

    def changed_units(self, session: Any, since: datetime) -> frozenset[int]:
        """Units whose facts for this rule changed since ``since`` although none of their
        items did (a rule about another domain: study, talks): an incremental scan
        judges them again, so that its events close soon after their cause is gone."""
        return frozenset()

    def recurrence(
        self, closed: Mapping[str, Any], found: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """What changed materially between the evidence of an event a person resolved or
        dismissed and the same situation found again — or None: it stays closed (the
        scan also raises it again when its level is higher than the closed event's)."""
        for material in self.material:
            change = material.change(closed, found)
            if change is not None:
                return change
        return None

    def cites(self, evidence: Mapping[str, Any]) -> dict[str, set[int]]:
        """The items, steps, meetings, tasks and people the evidence names by id, for the
        caller to resolve into ``Names`` before ``explain``."""
        from riskctl.risk.evidence import citations

        return citations(evidence)

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        """The evidence in the reader's words (each rule says what its own keys mean).
        By default: one row per value, each key named by ``material`` or the word table."""
        labels = {m.key: (m.label, m.label_en) for m in self.material}
        return words.generic(evidence, labels, skip=("pair_basis",))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        """What the warning is about, in a list's subtitle.  The stored subject is the
        event's identity (``procurement:request~accept``, ``meeting:5``): a code, never
        shown; a rule whose subject means something to a reader says it here."""
        if not subject or "~" in subject or re.fullmatch(r"[A-Za-z0-9_.]+(?::\S*)?", subject):
            return ""
        return subject
