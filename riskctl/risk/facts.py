"""The facts rules judge, read set-based from the database for one scan.

One instance per scan (or preview): each query runs once, whatever number of rules ask
for its answer.  Every query sees the database *as of* ``scope.at`` — items started by
then, tasks open then, steps and control hits up to then, field values rewound through
later steps' changes — so that a preview at a past time is a back-test, not a guess.

``scope.item_ids``/``scope.unit_ids`` narrow an incremental scan to what changed.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from riskctl.controls.models import ControlHit
from riskctl.core.db import DbSession
from riskctl.process.models import ProcessDefinition
from riskctl.workflow import rule_fields
from riskctl.workflow.models import RUNNING_ITEMS, Item, ItemStatus, Step, StepKind, Task

T = TypeVar("T")
# Rows fetched at a time on the reads of tens of thousands of items: row by row, the
# cursor's fetchone costs more than the SQL (SQLite).
PART = 5000


class _DaysAfter(FunctionElement[date]):
    """``day + n`` days, for a day column: SQLite keeps days as ISO text (``date()``
    answers the same text form), PostgreSQL as dates."""

    type = Date()
    inherit_cache = True
    name = "days_after"


@compiles(_DaysAfter, "sqlite")
def _days_after_sqlite(element: _DaysAfter, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


@compiles(_DaysAfter, "postgresql")
def _days_after_postgresql(element: _DaysAfter, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


def days_after(day: Any, days: int) -> Any:
    """The day ``days`` calendar days after the day column ``day`` (in SQL)."""
    return _DaysAfter(day, sa.literal(int(days), sa.Integer))


def money_field(name: str) -> Any:
    """A money field of ``item.fields`` as a number in SQL (prefilters only: the rules
    compare exact decimals)."""
    return sa.cast(Item.fields[name].as_string(), sa.Float)


def text_field(name: str) -> Any:
    return Item.fields[name].as_string()


@dataclass(frozen=True)
class Scope:
    at: datetime
    item_ids: frozenset[int] | None = None  # None: every item
    unit_ids: frozenset[int] | None = None  # None: every unit
    due_since: datetime | None = None  # incremental: tasks that fell due after this
    historic: bool = False  # ``at`` is in the past: rewind field values

    @property
    def full(self) -> bool:
        return self.item_ids is None and self.unit_ids is None


class ItemFact(NamedTuple):
    """One item as the rules see it.  A named tuple, not a frozen dataclass: a full scan
    makes one per item of a category (60,000 at bench/scan.py's size), and a frozen
    dataclass's ``__init__`` costs four times as much."""

    id: int
    unit_id: int
    definition_id: int
    process: str
    category: str
    status: str
    started_at: datetime
    started_by_id: int
    # The typed fields (riskctl.workflow.rule_fields): money as Decimal, days as dates.
    fields: Mapping[str, Any]
    started_day: date  # local (the calendar's zone): the day whose parameters apply


@dataclass(frozen=True)
class TaskFact:
    id: int
    item_id: int
    unit_id: int
    definition_id: int
    node: str
    post: str
    due_at: datetime
    assignee_id: int | None


@dataclass(frozen=True)
class HitFact:
    id: int
    kind: str
    rule: str
    rule_name: str
    outcome: str
    unit_id: int
    person_id: int | None
    item_id: int | None
    definition_id: int | None
    node: str | None
    evidence: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class StepFact:
    id: int
    item_id: int
    node: str
    kind: str
    person_id: int
    post: str | None
    decision: str | None
    task_id: int | None
    at: datetime


@dataclass
class ScanData:
    session: DbSession
    scope: Scope
    policy: Any = None  # riskctl.risk.policy.Policy (not imported: it imports the rules)
    calendar: Any = None  # riskctl.core.calendar.WorkingCalendar
    _cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        if self.calendar is None:
            return self.scope.at.date()
        return self.calendar.local_date(self.scope.at)  # type: ignore[no-any-return]

    def _local_day(self, moment: datetime) -> date:
        if self.calendar is None:
            return moment.date()
        return self.calendar.local_date(moment)  # type: ignore[no-any-return]

    def _execute(self, stmt: Any) -> Any:
        # Core, not the ORM: these are column rows, and the ORM's result machinery would
        # cost more than the query on a full scan.
        return self.session.connection().execute(stmt)

    def _rows(self, stmt: Any) -> Iterator[Sequence[Any]]:
        """The rows of a SELECT, read from the driver's cursor in parts, each value through
        its column type's own result processor (what SQLAlchemy's rows would hold): on
        the reads of tens of thousands of items, building SQLAlchemy's rows cost about as
        much as the driver's fetch."""
        result = self._execute(stmt)
        dialect = self.session.get_bind().dialect
        processors = [
            (n, process)
            for n, column in enumerate(stmt.selected_columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]
        cursor = result.cursor
        try:
            while part := cursor.fetchmany(PART):
                if not processors:
                    yield from part
                    continue
                for raw in part:
                    row = list(raw)
                    for n, process in processors:
                        if row[n] is not None:
                            row[n] = process(row[n])
                    yield row
        finally:
            result.close()

    def _once(self, key: Any, load: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = load()
        return cast(T, self._cache[key])

    # -- narrowing ---------------------------------------------------------------------

    def _items_in_scope(self, column: Any) -> Any:
        """The WHERE clause of an incremental scan: the changed items."""
        ids = self.scope.item_ids
        return sa.true() if ids is None else self.among(column, ids)

    def _started_by_then(self) -> Any:
        """Items started by ``at``: a condition for a back-test only.  In a present scan
        every item has (one started since is judged as it is now), and the condition
        itself, a range over nearly the whole ``started_at`` index, led SQLite to read a
        category's items through that index rather than by their process: 10 times
        slower for the asset disposals of bench/scan.py."""
        return Item.started_at <= self.scope.at if self.scope.historic else sa.true()

    def among(self, column: Any, ids: Iterable[int]) -> Any:
        """``column IN ids``; on PostgreSQL one array parameter (``= ANY``), which spares
        rendering and parsing a parameter per id on every scan."""
        values = sorted(set(ids))
        if self.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(sa.Integer)))
        return column.in_(values or [-1])

    # -- items -------------------------------------------------------------------------

    def items(
        self,
        category: str,
        *,
        where: Any = None,
        name: str = "",
        narrow: bool = True,
        raw: bool = False,
        fields: tuple[str, ...] | None = None,
    ) -> list[ItemFact]:
        """A category's items (not cancelled) — one read per category and scan, shared by
        every rule that judges them in Python.  ``where`` (named, for the cache): a rule
        that needs particular items; ``narrow=False``: whatever changed (a lookup by id);
        ``raw``: the whole JSON too (a field that is not kept typed), typed fields typed;
        ``fields``: the typed fields to read (default: every one a rule of the category
        declares)."""
        names = _declared_fields(category) if fields is None else fields
        return self._once(
            ("items", category, name, raw, names),
            lambda: self._items(category, where, narrow, raw, names),
        )

    def items_for(self, rule: Any, category: str) -> list[ItemFact]:
        """The items of ``category`` that ``rule`` (a riskctl.risk.rules.Rule) judges.

        A present full scan reads a category twice at most: the items the rules that
        weigh all of them need (a sum, a share), with only those rules' fields, and the
        items some other rule could find a problem with (the rules' ``candidates``, in
        SQL on the typed columns), with theirs.  Reading every item with every field for
        rules that find one item in a hundred was most of a steady scan.  A back-test
        reads them all (the typed columns hold today's values, not those of then), and
        an incremental scan the changed ones."""
        if self.scope.item_ids is not None or self.scope.historic:
            return self.items(category)
        weighing, wanted, fields = self._once(("reads", category), lambda: self._reads(category))
        if rule.candidates(self) is None:
            own = _in_column_order({*weighing, *rule.fields})
            return self.items(category, name="all", fields=own)
        return self.items(category, where=wanted, name="candidates", fields=fields)

    def _reads(self, category: str) -> tuple[tuple[str, ...], Any, tuple[str, ...]]:
        """A category's two reads in a full scan, worked out once: the fields of the rules
        that weigh every item, and the union of the others' candidates with their fields."""
        conditions = {r: r.candidates(self) for r in _readers(category)}
        choosy = [r for r, condition in conditions.items() if condition is not None]
        weighing = _in_column_order(
            {f for r, condition in conditions.items() if condition is None for f in r.fields}
        )
        wanted = sa.or_(sa.false(), *[conditions[r] for r in choosy])
        return weighing, wanted, _in_column_order({f for r in choosy for f in r.fields})

    def forget_items(self, category: str) -> None:
        """Let a category's items go once no rule left in the scan reads them."""
        for key in [
            k for k in self._cache if isinstance(k, tuple) and k[:2] == ("items", category)
        ]:
            del self._cache[key]

    def values(self, code: str, param: str) -> list[Any]:
        """Every value a rule parameter takes in the policy (any unit, any date), for
        prefilters that must hold under all of them."""
        if self.policy is None:
            from riskctl.risk.rules import REGISTRY

            rule = REGISTRY[code]
            return [rule.defaults(level)[param] for level in ("central", None)]
        return list(self.policy.all_values(code, param))

    def definitions(self) -> dict[int, tuple[str, str]]:
        """Process definition id → (key, category); a small table, read once."""
        return self._once(
            "definitions",
            lambda: {
                r[0]: (r[1], r[2])
                for r in self._execute(
                    sa.select(
                        ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.category
                    )
                )
            },
        )

    def _items(
        self, category: str, where: Any, narrow: bool, raw: bool, names: tuple[str, ...]
    ) -> list[ItemFact]:
        if narrow and where is None and not raw and self.scope.item_ids is not None:
            # An incremental scan: the few changed items, read once for all categories.
            changed = self._once("changed items", lambda: self._read_items(None, None, True))
            return [f for f in changed if f.category == category]
        return self._read_items(category, where, narrow, raw, names)

    def _read_items(
        self,
        category: str | None,
        where: Any,
        narrow: bool,
        raw: bool = False,
        names: tuple[str, ...] | None = None,
    ) -> list[ItemFact]:
        at = self.scope.at
        definitions = self.definitions()
        ids = sorted(d for d, (_key, cat) in definitions.items() if category in (None, cat))
        # The status an item had at ``at``: it ended later, so it was running then.
        # As the stored text: an ItemStatus member per row only to take its value back
        # cost a tenth of the read.
        status = sa.case(
            (sa.and_(Item.ended_at.is_not(None), Item.ended_at <= at),
             sa.type_coerce(Item.status, sa.String)),
            else_=sa.literal(ItemStatus.RUNNING.value),
        )  # fmt: skip
        # The fields the rules judge from their typed columns: decoding every item's
        # JSON was most of a full scan.  A past ``at`` rewinds the JSON through later
        # steps' changes, so it reads the JSON and types it here.
        historic = self.scope.historic or raw
        names = _declared_fields(category) if names is None else names
        index = rule_fields.index_of(names)
        fields = [Item.fields] if historic else [getattr(Item, f"f_{n}") for n in names]
        stmt = (
            sa.select(
                Item.id, Item.unit_id, Item.definition_id, status, Item.started_at,
                Item.started_by_id, *fields,
            )
            .where(
                # The index on definition_id, not a join with the definitions: faster.
                sa.true() if category is None else Item.definition_id.in_(ids or [-1]),
                self._started_by_then(),
                Item.status != ItemStatus.CANCELLED.value,
                self._items_in_scope(Item.id) if narrow else sa.true(),
                sa.true() if where is None else where,
            )
        )  # fmt: skip
        typed = rule_fields.TypedFields
        # The local day inline (calendar.local_date): two calls fewer per item.
        zone = self.calendar.zone if self.calendar is not None else UTC
        facts = [
            ItemFact(
                r[0], r[1], r[2], definitions[r[2]][0], definitions[r[2]][1],
                r[3], r[4], r[5],
                dict(r[6] or {}) if historic else typed(tuple(r[6:]), index),
                r[4].astimezone(zone).date(),
            )
            for r in self._rows(stmt)
        ]  # fmt: skip
        if self.scope.historic and facts:
            self._rewind(facts)
        if raw:
            facts = [f._replace(fields=typed_fields(f.fields)) for f in facts]
        elif historic:
            facts = [f._replace(fields=typed.of(f.fields)) for f in facts]
        return facts

    def _rewind(self, facts: list[ItemFact]) -> None:
        """Undo, newest first, the field changes steps made after ``at``."""
        by_id = {f.id: f for f in facts}
        later = self._execute(
            sa.select(Step.item_id, Step.changes)
            .where(
                Step.item_id.in_(sorted(by_id)), Step.at > self.scope.at, Step.changes.is_not(None)
            )
            .order_by(Step.id.desc())
        )
        for item_id, changes in later:
            fields = cast(dict[str, Any], by_id[item_id].fields)  # still the JSON here
            for name, (old, _new) in (changes or {}).items():
                if old is None:
                    fields.pop(name, None)
                else:
                    fields[name] = old

    def running_items(self, where: Any = None) -> list[ItemFact]:
        """The items running at ``at``, whatever their category (the item-overdue rule;
        ``where``: its prefilter)."""
        return self._once("running", lambda: self._running_items(where))

    def _running_items(self, where: Any = None) -> list[ItemFact]:
        at = self.scope.at
        stmt = (
            sa.select(
                Item.id, Item.unit_id, Item.definition_id, ProcessDefinition.key,
                ProcessDefinition.category, Item.started_at, Item.started_by_id,
            )
            .join(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
            .where(
                self._started_by_then(),
                # In the words of the partial index on the running items, which then
                # serves the rule's range on their start (riskctl.workflow.models).
                sa.text(f"item.{RUNNING_ITEMS}")
                if not self.scope.historic
                else sa.or_(
                    Item.status.in_([ItemStatus.RUNNING.value, ItemStatus.FROZEN.value]),
                    Item.ended_at > at,
                ),
                self._items_in_scope(Item.id),
                sa.true() if where is None else where,
            )
        )  # fmt: skip
        return [
            ItemFact(r[0], r[1], r[2], r[3], r[4], "running", r[5], r[6], {}, self._local_day(r[5]))
            for part in self._execute(stmt).partitions(PART)
            for r in part
        ]

    # -- tasks -------------------------------------------------------------------------

    def overdue_tasks(self) -> list[TaskFact]:
        """Tasks open at ``at`` whose due time had passed: one range scan on
        (status, due_at) for the present, open-at-``at`` tasks for the past."""
        return self._once("overdue", self._overdue_tasks)

    def _overdue_tasks(self) -> list[TaskFact]:
        scope, at = self.scope, self.scope.at
        if scope.historic:
            open_then = sa.and_(
                Task.opened_at <= at, sa.or_(Task.closed_at.is_(None), Task.closed_at > at)
            )
        else:
            open_then = Task.status == "open"
        narrowing: sa.ColumnElement[bool] = sa.true()
        if scope.item_ids is not None:
            narrowing = self.among(Task.item_id, scope.item_ids)
            if scope.due_since is not None:
                narrowing = sa.or_(narrowing, Task.due_at > scope.due_since)
        tasks = self._execute(
            sa.select(
                Task.id, Task.item_id, Task.node, Task.post, Task.due_at, Task.assignee_id
            ).where(open_then, Task.due_at < at, narrowing)
        ).all()
        # Their items in a second query, by id: joined in one, PostgreSQL hashed the whole
        # item table for a handful of tasks.
        owners = self._owners(r[1] for r in tasks)
        return [
            TaskFact(r[0], r[1], *owners[r[1]], r[2], r[3], r[4], r[5])
            for r in tasks if r[1] in owners
        ]  # fmt: skip

    def _owners(self, item_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Item id → (unit id, definition id)."""
        wanted = set(item_ids)
        if not wanted:
            return {}
        rows = self._execute(
            sa.select(Item.id, Item.unit_id, Item.definition_id).where(self.among(Item.id, wanted))
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    # -- control hits ------------------------------------------------------------------

    def control_hits(self) -> list[HitFact]:
        return self._once("hits", self._control_hits)

    def _control_hits(self) -> list[HitFact]:
        scope = self.scope
        narrowing: sa.ColumnElement[bool] = sa.true()
        if not scope.full:
            # Hits about an item follow the item; static hits (no item) follow the unit.
            narrowing = sa.or_(
                self.among(ControlHit.item_id, scope.item_ids or ()),
                sa.and_(
                    ControlHit.item_id.is_(None),
                    ControlHit.unit_id.in_(sorted(scope.unit_ids or ())),
                ),
            )
        stmt = (
            sa.select(
                ControlHit.id, ControlHit.kind, ControlHit.rule, ControlHit.rule_name,
                ControlHit.outcome, ControlHit.unit_id, ControlHit.person_id,
                ControlHit.item_id, Item.definition_id, ControlHit.node, ControlHit.evidence,
                ControlHit.at,
            )
            .outerjoin(Item, Item.id == ControlHit.item_id)
            .where(ControlHit.at <= scope.at, ControlHit.outcome != "refused", narrowing)
        )  # fmt: skip
        return [
            HitFact(
                r[0], r[1].value, r[2], r[3], r[4].value, r[5], r[6], r[7], r[8], r[9],
                dict(r[10] or {}), r[11],
            )
            for r in self._execute(stmt)
        ]  # fmt: skip

    # -- steps -------------------------------------------------------------------------

    def steps(self, item_ids: Iterable[int]) -> dict[int, list[StepFact]]:
        """The steps (to ``at``) of some items, oldest first, by item.  Kept for the scan:
        rules and the scoring ask for overlapping sets, and each item is read once."""
        known: dict[int, list[StepFact]] = self._cache.setdefault("steps", {})
        wanted = set(item_ids)
        missing = sorted(wanted - known.keys())
        for item_id in missing:
            known[item_id] = []
        for item_id, found in self._step_rows(missing).items():
            known[item_id] = found
        return {item_id: known[item_id] for item_id in wanted if known[item_id]}

    def completions(
        self, item_ids: Iterable[int], nodes: Iterable[str]
    ) -> dict[int, list[StepFact]]:
        """The completions (to ``at``) of ``nodes`` on some items, oldest first, by item:
        who did the node a signal is attributed to.  A few rows an item, where its steps
        are ten and more (the scoring of a full scan asks for thousands of items)."""
        return self._step_rows(
            set(item_ids), Step.kind == StepKind.COMPLETE.value,
            Step.node.in_(sorted(set(nodes)) or [""]),
        )  # fmt: skip

    def _step_rows(self, item_ids: Iterable[int], *where: Any) -> dict[int, list[StepFact]]:
        """The steps (to ``at``) of some items that meet ``where``, oldest first, by item."""
        found: dict[int, list[StepFact]] = defaultdict(list)
        for chunk in _chunks(sorted(item_ids), 5000):
            rows = self._execute(
                sa.select(
                    Step.id, Step.item_id, Step.node, Step.kind, Step.person_id, Step.post,
                    Step.decision, Step.task_id, Step.at,
                )
                .where(self.among(Step.item_id, chunk), Step.at <= self.scope.at, *where)
                .order_by(Step.item_id, Step.id)
            )  # fmt: skip
            for part in rows.partitions(PART):  # not row by row: the cursor's fetchone
                for r in part:
                    found[r[1]].append(
                        StepFact(r[0], r[1], r[2], r[3].value, r[4], r[5], r[6], r[7], r[8])
                    )  # fmt: skip
        return dict(found)

    def completed_at(self, nodes: Iterable[str]) -> set[int]:
        """Items with a completion of one of ``nodes`` (to ``at``): one range of the
        (node, item) index per node."""
        wanted = tuple(sorted(set(nodes)))
        return self._once(("completed_at", wanted), lambda: {
            r[0] for r in self._execute(self.completed_at_query(wanted))
        })  # fmt: skip

    def completed_at_query(self, nodes: Iterable[str]) -> Any:
        """The same as SQL, for a rule's candidates."""
        return (
            sa.select(Step.item_id)
            .distinct()
            .where(
                Step.node.in_(sorted(set(nodes)) or [""]),
                Step.kind == StepKind.COMPLETE.value,
                Step.at <= self.scope.at,
                self._items_in_scope(Step.item_id),
            )
        )

    def handling(self) -> list[HandlingFact]:
        """Per item, what irregular handling needs: returns, steps recorded after the
        item ended, steps back-dated before an earlier one, completions without a task."""
        return self._once("handling", self._handling)

    def _handling(self) -> list[HandlingFact]:
        if self.scope.item_ids is not None:
            return self._handling_of(self.scope.item_ids)
        # Every item: each part reads only the steps it is about, through a partial index
        # where it can (returns; completions without a task), so that a full judgement
        # does not read every step; back-dating needs each step's predecessor (a window).
        at, narrowed = self.scope.at, self._items_in_scope(Step.item_id)
        counts: dict[int, dict[str, int]] = defaultdict(dict)

        def tally(kind: str, stmt: Any) -> None:
            for item_id, n in self._execute(stmt):
                counts[item_id][kind] = int(n)

        tally("returns", sa.select(Step.item_id, sa.func.count())
              .where(Step.decision == "return", Step.at <= at, narrowed)
              .group_by(Step.item_id))  # fmt: skip
        tally("untasked", sa.select(Step.item_id, sa.func.count())
              .where(Step.task_id.is_(None), Step.kind == StepKind.COMPLETE.value,
                     Step.at <= at, narrowed)
              .group_by(Step.item_id))  # fmt: skip
        tally("after_end", sa.select(Step.item_id, sa.func.count())
              .join(Item, Item.id == Step.item_id)
              .where(Item.ended_at.is_not(None), Item.ended_at <= at, Step.at > Item.ended_at,
                     Step.at <= at, Step.kind != StepKind.CANCEL.value, narrowed)
              .group_by(Step.item_id))  # fmt: skip
        previous_at = sa.func.max(Step.at).over(
            partition_by=Step.item_id, order_by=Step.id, rows=(None, -1)
        )
        ordered = (
            sa.select(Step.item_id, Step.at, previous_at.label("previous_at"))
            .where(Step.at <= at, narrowed)
            .subquery()
        )
        tally("backdated", sa.select(ordered.c.item_id, sa.func.count())
              .where(ordered.c.at < ordered.c.previous_at).group_by(ordered.c.item_id))  # fmt: skip
        if not counts:
            return []
        owners = dict(
            (r[0], (r[1], r[2]))
            for r in self._execute(
                sa.select(Item.id, Item.unit_id, Item.definition_id).where(
                    Item.id.in_(sorted(counts))
                )
            )
        )
        return [
            HandlingFact(item_id, owners[item_id][0], owners[item_id][1], found.get("returns", 0),
                         found.get("after_end", 0), found.get("untasked", 0),
                         found.get("backdated", 0))
            for item_id, found in sorted(counts.items()) if item_id in owners
        ]  # fmt: skip

    def _handling_of(self, item_ids: Iterable[int]) -> list[HandlingFact]:
        """The same, for a few items: their steps (read once per scan) judged here."""
        steps = self.steps(item_ids)
        if not steps:
            return []
        items = {
            r[0]: (r[1], r[2], r[3])
            for r in self._execute(
                sa.select(Item.id, Item.unit_id, Item.definition_id, Item.ended_at).where(
                    self.among(Item.id, steps)
                )
            )
        }
        facts = []
        for item_id, found in sorted(steps.items()):
            if item_id not in items:
                continue
            unit_id, definition_id, ended = items[item_id]
            ended = ended if ended is not None and ended <= self.scope.at else None
            returns = sum(1 for s in found if s.decision == "return")
            after_end = sum(1 for s in found if ended and s.at > ended and s.kind != "cancel")
            untasked = sum(1 for s in found if s.kind == "complete" and s.task_id is None)
            backdated, latest = 0, None
            for s in found:  # oldest first, by id
                if latest is not None and s.at < latest:
                    backdated += 1
                latest = s.at if latest is None else max(latest, s.at)
            if returns or after_end or untasked or backdated:
                facts.append(HandlingFact(item_id, unit_id, definition_id, returns, after_end,
                                          untasked, backdated))  # fmt: skip
        return facts

    def last_activity(self) -> dict[int, datetime | None]:
        """Per unit (every unit in scope), the time of its latest step up to ``at``."""
        return self._once("activity", self._last_activity)

    def _last_activity(self) -> dict[int, datetime | None]:
        from riskctl.org.models import Unit, UnitKind

        units = sa.select(Unit.id).where(Unit.kind != UnitKind.COMMISSION)
        if self.scope.unit_ids is not None:
            units = units.where(Unit.id.in_(sorted(self.scope.unit_ids)))
        found: dict[int, datetime | None] = {uid: None for uid in self.session.scalars(units)}
        # An item's updated_at is its latest step's time (the engine sets both at once);
        # per unit, the newest by the updated_at index — found at once for an active unit.
        for unit_id in found:
            found[unit_id] = self._execute(
                sa.select(Item.updated_at)
                .where(Item.unit_id == unit_id, Item.updated_at <= self.scope.at)
                .order_by(Item.updated_at.desc())
                .limit(1)
            ).scalar()
        return found

    def unit_opened(self) -> dict[int, datetime]:
        """When each unit came onto the platform (its creation)."""
        from riskctl.org.models import Unit

        return self._once(
            "opened", lambda: dict(self._execute(sa.select(Unit.id, Unit.created_at)).all())
        )


@functools.cache
def _readers(category: str) -> tuple[Any, ...]:
    """The rules that read the items of ``category``."""
    from riskctl.risk.rules import REGISTRY

    return tuple(rule for rule in REGISTRY.values() if category in rule.reads)


def _in_column_order(names: Iterable[str]) -> tuple[str, ...]:
    wanted = set(names)
    return tuple(name for name in rule_fields.NAMES if name in wanted)


@functools.cache
def _declared_fields(category: str | None) -> tuple[str, ...]:
    """The typed fields some rule reading ``category`` (None: any) declares, in their
    columns' order: a full scan reads 60,000 items, and each column costs."""
    from riskctl.risk.rules import REGISTRY

    wanted = {
        name
        for rule in REGISTRY.values()
        if category is None or category in rule.reads
        for name in rule.fields
    }
    return tuple(name for name in rule_fields.NAMES if name in wanted)


def typed_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON with the typed fields' values typed (absent where the rules see none)."""
    found = {k: v for k, v in data.items() if k not in rule_fields.FIELDS}
    found.update(rule_fields.TypedFields.of(data).items())
    return found


@dataclass(frozen=True)
class HandlingFact:
    item_id: int
    unit_id: int
    definition_id: int
    returns: int
    after_end: int
    untasked: int
    backdated: int


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
