"""The risk scan: rules judge the facts, signals are scored, events are reconciled.

    score = min(100, severity × f(process) × f(node) × f(post) × f(person))

One scan writes in one transaction: killed half-way, it leaves nothing; run twice, the second
finds every event already there (identity = rule, item, node, person, subject; the
partial unique index on active identities makes a duplicate impossible even for two
scans at once, and on PostgreSQL a transaction-scoped advisory lock makes the second
wait instead of fail).

Incremental: between two scans of the same day under the same policy, only what
changed since the previous scan is judged again — changed items (item-reach rules),
their units (unit-reach rules), tasks that fell due since.  The first scan of a day,
and any scan after a policy change, is full: lateness grows by days.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from riskctl.alerts.outbox import Notifier
from riskctl.controls.models import ControlHit
from riskctl.core import audit, calendar_store
from riskctl.core.bulk import UnnestInsert
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession, read_phase
from riskctl.core.errors import Conflict
from riskctl.org.models import Person, Post, Unit
from riskctl.process.definition import Definition
from riskctl.process.services import published_by_id
from riskctl.risk.facts import ScanData, Scope, StepFact
from riskctl.risk.models import (
    ACTIVE,
    CLOSED_BY_PERSON,
    EventStatus,
    Level,
    RiskEvent,
    RiskScan,
    RiskValue,
)
from riskctl.risk.policy import Policy
from riskctl.risk.rules import REGISTRY, Context, Rule, Signal
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item, Task

# Changes committed a little after a scan's snapshot may carry an earlier updated_at;
# looking back this far past the watermark catches them (a scan is idempotent).
OVERLAP = timedelta(minutes=2)
SCAN_LOCK = 0x5249534B  # "RISK": the advisory lock key that serialises scans


@dataclass(frozen=True)
class Scored:
    """A signal scored: what an event is, or would be, made of."""

    signal: Signal
    identity: str
    node: str | None
    person_id: int | None
    post: str | None
    score: float
    level: Level | None
    factors: Mapping[str, Any]


@dataclass
class ScanResult:
    mode: str
    at: datetime
    scanned: int = 0  # signals found and scored
    raised: int = 0
    updated: int = 0
    closed: int = 0
    hints: int = 0  # scored under the lowest threshold: recorded nowhere, counted here
    # found again, but a person resolved or dismissed it and nothing material changed
    kept_closed: int = 0
    watched: int = 0  # tasks opened at watched risk nodes (风险节点提醒)
    frozen: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "at": self.at, "scanned": self.scanned, "raised": self.raised,
                "updated": self.updated, "closed": self.closed, "hints": self.hints,
                "kept_closed": self.kept_closed}  # fmt: skip


# ---------------------------------------------------------------- judging and scoring


class Weights:
    """Risk values of processes, nodes, posts and people, read once per scan."""

    def __init__(self, session: DbSession) -> None:
        self.session = session
        self.overrides = {
            (u, p, n): r
            for u, p, n, r in session.execute(
                sa.select(RiskValue.unit_id, RiskValue.process, RiskValue.node, RiskValue.risk)
            )
        }
        self.posts = {
            (u, c): r for u, c, r in session.execute(sa.select(Post.unit_id, Post.code, Post.risk))
        }
        self.people = dict(session.execute(sa.select(Person.id, Person.risk)).all())  # type: ignore[arg-type]
        self._definitions: dict[int, Definition] = {}

    def definition(self, definition_id: int | None) -> Definition | None:
        if definition_id is None:
            return None
        found = self._definitions.get(definition_id)
        if found is None:
            found = published_by_id(self.session, definition_id).definition
            self._definitions[definition_id] = found
        return found

    def editors(self, definition_id: int, field_key: str) -> tuple[str, ...]:
        definition = self.definition(definition_id)
        if definition is None:
            return ()
        return tuple(n.key for n in definition.nodes if field_key in n.edits)

    def node_risk(self, unit_id: int, definition: Definition, node: str) -> int:
        spec = definition.node_map.get(node)
        default = spec.risk if spec is not None else 3
        return self.overrides.get((unit_id, definition.key, node), default)

    def values(
        self, signal: Signal, node: str | None, post: str | None, person_id: int | None
    ) -> dict[str, int]:
        definition = self.definition(signal.definition_id)
        process_risk = node_risk = 3
        if definition is not None:
            process_risk = self.overrides.get((signal.unit_id, definition.key, ""), definition.risk)
            spec = definition.node_map.get(node) if node else None
            if spec is not None:
                node_risk = self.overrides.get(
                    (signal.unit_id, definition.key, spec.key), spec.risk
                )
                post = post or spec.post
        post_risk = self.posts.get((signal.unit_id, post), 3) if post else 3
        person_risk = self.people.get(person_id, 3) if person_id else 3
        return {
            "process": process_risk,
            "node": node_risk,
            "post": post_risk,
            "person": person_risk,
        }


def _attribute(
    signal: Signal, steps: Mapping[int, list[StepFact]]
) -> tuple[str | None, int | None, str | None]:
    """(node, person, post) of a signal: as the rule said, or the last person who
    completed one of the nodes it names on the item."""
    if not signal.attribute_to or signal.item_id is None:
        return signal.node, signal.person_id, signal.post
    for step in reversed(steps.get(signal.item_id, [])):
        if step.kind == "complete" and step.node in signal.attribute_to:
            return step.node, step.person_id, step.post
    return signal.attribute_to[0], None, None


def score_signals(
    signals: Sequence[Signal], policy: Policy, weights: Weights, data: ScanData
) -> list[Scored]:
    # Who completed the nodes the field rules' signals are attributed to: those
    # completions only, not every step of the items.
    items = {s.item_id for s in signals if s.attribute_to and s.item_id is not None}
    nodes = {n for s in signals if s.attribute_to for n in s.attribute_to}
    steps = data.completions(items, nodes) if items else {}
    scored = []
    for signal in signals:
        node, person_id, post = _attribute(signal, steps)
        risks = weights.values(signal, node, post, person_id)
        product = float(signal.severity)
        for risk in risks.values():
            product *= policy.factor(risk)
        score = round(min(100.0, product), 2)
        factors: dict[str, Any] = {"severity": signal.severity}
        factors.update({k: {"risk": v, "factor": policy.factor(v)} for k, v in risks.items()})
        # The situation is the rule's own (its item, node, person, subject): the person
        # found by attribution is who is told and weighed, not part of what the situation
        # is.  With them in it, a warning raised before anyone completed the node came
        # back as a second warning once someone had (one closed, one raised: two SMS).
        scored.append(
            Scored(signal, signal.identity, node, person_id, post, score,
                   policy.level(score), factors)
        )  # fmt: skip
    return scored


def judge(
    session: DbSession,
    policy: Policy,
    scope: Scope,
    rules: Iterable[Rule],
    calendar: WorkingCalendar,
    sticky_scope: Scope | None = None,
) -> tuple[list[Scored], ScanData, Weights]:
    """Every rule's signals for ``scope`` (sticky rules: ``sticky_scope``), scored.
    Reads only."""
    data = ScanData(session, scope, policy, calendar)
    # An incremental scan judges the sticky rules on the same changed items: one read.
    sticky = data
    if sticky_scope is not None and sticky_scope != scope:
        sticky = ScanData(session, sticky_scope, policy, calendar)
    weights = Weights(session)
    signals: list[Signal] = []
    # The rules of one category run together; its items go once the last has run.
    order = sorted(rules, key=lambda r: r.reads[-1] if r.reads else "")
    last_use = {category: n for n, rule in enumerate(order) for category in rule.reads}
    for n, rule in enumerate(order):
        ctx = Context(
            scope.at, calendar,
            params_for=functools.partial(policy.params, rule.code),
            editors=weights.editors,
        )  # fmt: skip
        signals.extend(rule.evaluate(rule.collect(sticky if rule.sticky else data), ctx))
        for category in rule.reads:
            if last_use[category] == n:
                data.forget_items(category)
    # One signal per identity: several facts may point at one event (the worst wins).
    best: dict[str, Scored] = {}
    for scored in score_signals(signals, policy, weights, data):
        kept = best.get(scored.identity)
        if kept is None or scored.score > kept.score:
            best[scored.identity] = scored
    return list(best.values()), data, weights


# ---------------------------------------------------------------- the scan


def _changed_since(session: DbSession, since: datetime) -> tuple[frozenset[int], frozenset[int]]:
    rows = session.execute(sa.select(Item.id, Item.unit_id).where(Item.updated_at > since)).all()
    hits = session.execute(
        sa.select(ControlHit.item_id, ControlHit.unit_id).where(ControlHit.at > since)
    ).all()
    items = {r[0] for r in rows} | {h[0] for h in hits if h[0] is not None}
    units = {r[1] for r in rows} | {h[1] for h in hits}
    for rule in REGISTRY.values():  # the facts of rules about other domains (study …)
        units |= rule.changed_units(session, since)
    return frozenset(items), frozenset(units)


def _last_scan(session: DbSession) -> RiskScan | None:
    return session.scalars(
        sa.select(RiskScan)
        .where(RiskScan.finished_at.is_not(None))
        .order_by(RiskScan.id.desc())
        .limit(1)
    ).first()


def run_scan(
    session: DbSession, policy: Policy, *, at: datetime | None = None, full: bool = False
) -> ScanResult:
    """Judge, score and reconcile; the caller commits.  See the module docstring."""
    at = at or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(SCAN_LOCK)))
    calendar = calendar_store.working_calendar(session)
    previous = _last_scan(session)
    same_policy = (
        previous is not None and previous.policy_version == policy.version and previous.at <= at
    )
    incremental = (
        not full and same_policy and previous is not None
        and calendar.local_date(previous.at) == calendar.local_date(at)
    )  # fmt: skip
    # Rules that weigh a whole unit's year together are judged in full scans only.
    rules = [r for r in REGISTRY.values() if policy.enabled(r.code)]
    if incremental:
        rules = [r for r in rules if r.incremental]
    scope = sticky_scope = Scope(at)
    if same_policy and previous is not None:
        items, units = _changed_since(session, previous.at - OVERLAP)
        sticky_scope = Scope(at, items, units, due_since=previous.at - OVERLAP)
        if incremental:
            scope = sticky_scope
    result = ScanResult("incremental" if incremental else "full", at)
    started = utcnow()
    # Judging is most of a scan and only reads: on SQLite it runs without the write
    # lock (seconds at scale), and the reconciliation below takes it briefly.  Facts
    # committed meanwhile are judged by the next scan (they are newer than ``at``).
    with read_phase(session):
        scored, _data, weights = judge(session, policy, scope, rules, calendar, sticky_scope)
    scan = RiskScan(mode=result.mode, at=at, policy_version=policy.version, started_at=started)
    session.add(scan)
    result.scanned = len(scored)
    try:
        with session.begin_nested():
            _reconcile(session, policy, scope, rules, scored, result)
    except IntegrityError as exc:
        raise Conflict(
            _l("another scan raised the same events at the same time; nothing was written"),
            code="concurrent_scan",
        ) from exc
    since = previous.at - OVERLAP if previous is not None else at - timedelta(days=1)
    # Tasks open on items that change: the items changed since the last scan hold them.
    changed = sticky_scope.item_ids if same_policy and previous is not None else None
    result.watched = _watch(session, policy, weights, since, at, changed)
    scan.raised, scan.updated, scan.closed = result.raised, result.updated, result.closed
    scan.scanned = result.scanned
    scan.finished_at = utcnow()
    return result


def _watch(
    session: DbSession, policy: Policy, weights: Weights, since: datetime, at: datetime,
    item_ids: frozenset[int] | None,
) -> int:  # fmt: skip
    """风险节点提醒: tasks opened since the last scan at nodes whose risk value reaches the
    policy's ``watch.min_risk`` tell the unit's discipline leader, while the work is
    under way (design.md §6).  Each task once (the notifications' dedupe keys)."""
    min_risk = policy.alerts["watch"]["min_risk"]
    if not min_risk:
        return 0
    query = (
        sa.select(Task.id, Task.node, Item.id, Item.unit_id, Item.definition_id, Item.title)
        .join(Item, Item.id == Task.item_id)
        .where(Task.opened_at >= since, Task.opened_at <= at)
    )
    if item_ids is not None:
        if not item_ids:
            return 0
        query = query.where(Task.item_id.in_(sorted(item_ids)))
    opened = session.execute(query).all()
    notifier = Notifier(session, policy, at)
    watched = 0
    for task_id, node, item_id, unit_id, definition_id, title in opened:
        definition = weights.definition(definition_id)
        if definition is None:
            continue
        risk = weights.node_risk(unit_id, definition, node)
        if risk < min_risk:
            continue
        spec = definition.node_map.get(node)
        notifier.watch(task_id, unit_id, item_id, title, definition.name,
                       spec.name if spec else node, risk)  # fmt: skip
        watched += 1
    notifier.flush()
    return watched


def _covered(scope: Scope, rules: Sequence[Rule]) -> Any:
    """The active events this scan judged again (and so may close); never those of
    sticky rules, whose findings do not go away."""
    rules = [r for r in rules if not r.sticky]
    if scope.full:
        return RiskEvent.rule.in_([r.code for r in rules])
    clauses = []
    item_rules = [r.code for r in rules if r.reach == "item"]
    unit_rules = [r.code for r in rules if r.reach == "unit"]
    if item_rules and scope.item_ids:
        clauses.append(
            sa.and_(RiskEvent.rule.in_(item_rules), RiskEvent.item_id.in_(sorted(scope.item_ids)))
        )
    if unit_rules and scope.unit_ids:
        clauses.append(
            sa.and_(RiskEvent.rule.in_(unit_rules), RiskEvent.unit_id.in_(sorted(scope.unit_ids)))
        )
    return sa.or_(*clauses) if clauses else sa.false()


def _reconcile(
    session: DbSession, policy: Policy, scope: Scope, rules: Sequence[Rule],
    scored: Sequence[Scored], result: ScanResult,
) -> None:  # fmt: skip
    now = scope.at
    found = {s.identity: s for s in scored if s.level is not None}
    result.hints = sum(1 for s in scored if s.level is None)
    # The covered active events as rows first: a steady daily scan finds thousands
    # exactly as they are, and loading each as an object (its factors, evidence …) was
    # a tenth of the scan.  Objects only for those the scan changes, closes or freezes.
    rows = session.execute(
        sa.select(*_JUDGED).where(
            RiskEvent.status.in_([s.value for s in ACTIVE]), _covered(scope, rules)
        )
    ).all()
    unchanged = {
        row.identity
        for row in rows
        if row.identity in found and not _changes(row, found[row.identity])
        and not (row.level is Level.RED and policy.freezes(row.rule))
    }  # fmt: skip
    covered_ids = {row.id for row in rows}
    settled = {  # reds whose cause is gone, already marked so: they wait for a person
        row.identity
        for row in rows
        if row.identity not in found and row.level is Level.RED
        and row.cause_cleared_at is not None
    }  # fmt: skip
    active = _events(
        session, [r.id for r in rows if r.identity not in unchanged and r.identity not in settled]
    )
    # Signals outside the covered set (an overdue task of an unchanged item) may match
    # an active event too, and a signal without an active event may be a situation a
    # person closed: fetch both by identity.
    covered_identities = {row.identity for row in rows}
    missing = [i for i in found if i not in covered_identities]
    closed = _last_closed(session, missing, active)
    notifier = Notifier(session, policy, now)
    new_rows: list[RiskEvent] = []
    for identity, s in found.items():
        if identity in unchanged:
            continue
        existing = active.get(identity)
        if existing is None:
            event = _new_event(s, policy, now)
            earlier = closed.get(identity)
            if earlier is not None:
                reason = _recurrence(earlier, s)
                if reason is None:
                    result.kept_closed += 1
                    continue
                event.reopens_id, event.reopen_reason = earlier.id, reason
            new_rows.append(event)
            continue
        event = existing
        before, before_person = event.level, event.person_id
        if _update(session, event, s, now):
            result.updated += 1
            if event.level.rank > before.rank:  # a downgrade never pages
                notifier.raised(event, "upgrade")
            elif event.person_id is not None and event.person_id != before_person:
                notifier.attributed(event)
        if event.level is Level.RED and policy.freezes(event.rule):
            _freeze(session, event, result)
    if new_rows:
        _insert_events(session, new_rows)
        result.raised += len(new_rows)
        notifier.prefetch(new_rows)
        audit.record_many(session, [
            audit.Event("risk_event.raise", "risk_event", event.id, event.unit_id,
                        after=_raised(event))
            for event in new_rows
        ])  # fmt: skip
        for event in new_rows:
            notifier.raised(event)
            if event.level is Level.RED and policy.freezes(event.rule):
                _freeze(session, event, result)
    for identity, event in active.items():
        if identity in found:
            continue
        if event.id not in covered_ids:
            continue
        if event.level is Level.RED:
            # A red waits for an inspector's disposition even when its cause is gone.
            if event.cause_cleared_at is None:
                event.cause_cleared_at = now
                event.updated_at = now
                result.updated += 1
            continue
        event.status = EventStatus.AUTO_CLOSED
        event.closed_at = now
        event.updated_at = now
        result.closed += 1
        audit.record(
            session, "risk_event.auto_close", target_type="risk_event", target_id=event.id,
            unit_id=event.unit_id, after={"status": "auto_closed"},
        )  # fmt: skip
        notifier.closed(event)
    notifier.flush()


def _raised(event: RiskEvent) -> dict[str, Any]:
    """What the audit record of a raised event says."""
    raised: dict[str, Any] = {"rule": event.rule, "level": event.level.value, "score": event.score}
    if event.reopens_id is not None:
        raised |= {"reopens": event.reopens_id, "because": event.reopen_reason}
    return raised


_EVENT_TABLE: sa.Table = RiskEvent.__table__  # type: ignore[assignment]
# Attribute key → column name of every column but the id.
_EVENT_COLUMNS = {
    prop.key: prop.columns[0].name
    for prop in sa.inspect(RiskEvent).column_attrs
    if prop.columns[0].name != "id"
}
_EVENT_DEFAULTS = {
    key: column.default.arg  # type: ignore[attr-defined]
    for key, name in _EVENT_COLUMNS.items()
    if (column := _EVENT_TABLE.c[name]).default is not None and column.default.is_scalar
}
_EVENT_UNNEST = UnnestInsert(_EVENT_TABLE, list(_EVENT_COLUMNS.values()),
                             returning=["id", "identity"])  # fmt: skip


def _insert_events(session: DbSession, events: list[RiskEvent]) -> None:
    """Write new events and give them their ids.  On PostgreSQL in one statement
    (``riskctl.core.bulk``: the ORM's multi-row inserts were a cost of a first scan
    raising thousands); the events then join the session as if loaded, every column
    set, so that nothing reads them back.  As before, a second active event of an
    identity fails on the partial unique index (a concurrent scan)."""
    session.flush()  # what the scan changed before, in the order it did
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.add_all(events)
        session.flush()
        return
    rows = []
    for event in events:
        values = {key: event.__dict__.get(key, _EVENT_DEFAULTS.get(key)) for key in _EVENT_COLUMNS}
        for key, value in values.items():
            setattr(event, key, value)
        rows.append({_EVENT_COLUMNS[key]: value for key, value in values.items()})
    ids = {row.identity: row.id for row in _EVENT_UNNEST.execute(connection, rows)}
    for event in events:
        event.id = ids[event.identity]
        orm.make_transient_to_detached(event)
        session.add(event)


@dataclass(frozen=True)
class _Closed:
    """The last event of a situation, closed by a person."""

    id: int
    status: EventStatus
    level: Level
    evidence: Mapping[str, Any]


def _last_closed(
    session: DbSession, identities: Sequence[str], active: dict[str, RiskEvent]
) -> dict[str, _Closed]:
    """For each identity: its active event goes into ``active``; else its latest event,
    when a person resolved or dismissed it (an auto-closed one ended because its cause
    went away: the situation found again is new)."""
    latest: dict[str, Any] = {}
    for chunk in (identities[n : n + 500] for n in range(0, len(identities), 500)):
        rows = session.execute(
            sa.select(RiskEvent.id, RiskEvent.identity, RiskEvent.status)
            .where(RiskEvent.identity.in_(chunk))
            .order_by(RiskEvent.id)
        ).all()
        actives = [r.id for r in rows if r.status in ACTIVE]
        if actives:
            for event in session.scalars(sa.select(RiskEvent).where(RiskEvent.id.in_(actives))):
                active[event.identity] = event
        for row in rows:
            if row.status not in ACTIVE:
                latest[row.identity] = row
    wanted = [r.id for i, r in latest.items() if i not in active and r.status in CLOSED_BY_PERSON]
    found: dict[str, _Closed] = {}
    for chunk in (wanted[n : n + 500] for n in range(0, len(wanted), 500)):
        for row in session.execute(
            sa.select(RiskEvent.id, RiskEvent.identity, RiskEvent.status, RiskEvent.level,
                      RiskEvent.evidence).where(RiskEvent.id.in_(chunk))
        ):  # fmt: skip
            found[row.identity] = _Closed(row.id, row.status, row.level, row.evidence or {})
    return found


def kept_closed(session: DbSession, scored: Sequence[Scored]) -> set[str]:
    """The identities among ``scored`` that a scan would leave closed (a person closed
    the situation and nothing material changed) — for previews."""
    active: dict[str, RiskEvent] = {}
    closed = _last_closed(session, [s.identity for s in scored], active)
    return {
        s.identity
        for s in scored
        if s.identity not in active and s.identity in closed
        and _recurrence(closed[s.identity], s) is None
    }  # fmt: skip


def _recurrence(closed: _Closed, s: Scored) -> dict[str, Any] | None:
    """Why a situation a person closed is raised again — its rule's material facts
    changed, or it is graver now — or None: it stays closed."""
    assert s.level is not None
    rule = REGISTRY.get(s.signal.rule)
    change = rule.recurrence(closed.evidence, s.signal.evidence) if rule is not None else None
    if change is None and s.level.rank > closed.level.rank:
        change = {"key": "level", "how": "more", "label": "风险等级", "label_en": "level",
                  "before": closed.level.value, "after": s.level.value}  # fmt: skip
    if change is None:
        return None
    return {"event": closed.id, "closed_as": closed.status.value, **change}


def _new_event(s: Scored, policy: Policy, now: datetime) -> RiskEvent:
    assert s.level is not None
    return RiskEvent(
        identity=s.identity, rule=s.signal.rule, unit_id=s.signal.unit_id,
        item_id=s.signal.item_id, node=s.node, person_id=s.person_id, post=s.post,
        subject=s.signal.subject, severity=s.signal.severity, score=s.score, level=s.level,
        factors=dict(s.factors), evidence=dict(s.signal.evidence), status=EventStatus.OPEN,
        policy_version=policy.version, level_since=now, created_at=now, updated_at=now,
    )  # fmt: skip


# What ``_changes`` compares, and what a row of a covered event needs besides.
_JUDGED = (
    RiskEvent.id, RiskEvent.identity, RiskEvent.rule, RiskEvent.level, RiskEvent.escalated,
    RiskEvent.score, RiskEvent.severity, RiskEvent.evidence, RiskEvent.cause_cleared_at,
    RiskEvent.node, RiskEvent.person_id, RiskEvent.post,
)  # fmt: skip


def _changes(event: Any, s: Scored) -> bool:
    """Whether re-scoring the active ``event`` (an object or a row of ``_JUDGED``) with
    what the scan found changes it."""
    assert s.level is not None
    level = Level.RED if event.escalated else s.level
    return bool(
        event.score != s.score or event.level is not level or event.severity != s.signal.severity
        or event.evidence != dict(s.signal.evidence) or event.cause_cleared_at is not None
        or (event.node, event.person_id, event.post) != (s.node, s.person_id, s.post)
    )  # fmt: skip


def _events(session: DbSession, ids: Sequence[int]) -> dict[str, RiskEvent]:
    """Identity → event, for these ids."""
    found: dict[str, RiskEvent] = {}
    for n in range(0, len(ids), 500):
        chunk = ids[n : n + 500]
        for event in session.scalars(sa.select(RiskEvent).where(RiskEvent.id.in_(chunk))):
            found[event.identity] = event
    return found


def _update(session: DbSession, event: RiskEvent, s: Scored, now: datetime) -> bool:
    """Re-score an active event; True when anything changed.  An escalated event stays
    red; an upgrade restarts the escalation wait, a downgrade does not."""
    assert s.level is not None
    level = Level.RED if event.escalated else s.level
    if not _changes(event, s):
        return False
    if level.rank > event.level.rank:
        event.level_since = now
    if level is not event.level:
        audit.record(
            session, "risk_event.regrade", target_type="risk_event", target_id=event.id,
            unit_id=event.unit_id, before={"level": event.level.value, "score": event.score},
            after={"level": level.value, "score": s.score},
        )  # fmt: skip
    event.level, event.score, event.severity = level, s.score, s.signal.severity
    # Whom the scan attributes it to now (someone completed the node that writes the
    # field): the same warning, told to nobody again.
    event.node, event.person_id, event.post = s.node, s.person_id, s.post
    event.factors, event.evidence = dict(s.factors), dict(s.signal.evidence)
    event.cause_cleared_at = None
    event.updated_at = now
    return True


def _freeze(session: DbSession, event: RiskEvent, result: ScanResult) -> None:
    """Stop work on the item until an inspector disposes of the red (policy per rule)."""
    if event.item_id is None:
        return
    because = {"risk_event": event.id, "rule": event.rule}
    if workflow.set_frozen(session, event.item_id, True, unit_id=event.unit_id, because=because):
        result.frozen.append(event.item_id)


# ---------------------------------------------------------------- escalation


def escalate(session: DbSession, policy: Policy, *, at: datetime | None = None) -> int:
    """Oranges not explained within the policy's wait become red."""
    at = at or utcnow()
    calendar = calendar_store.working_calendar(session)
    wait = policy.explain_within
    candidates = session.scalars(
        sa.select(RiskEvent).where(
            RiskEvent.level == Level.ORANGE,
            RiskEvent.status.in_([EventStatus.OPEN.value, EventStatus.ACKNOWLEDGED.value]),
        )
    ).all()
    count = 0
    notifier = Notifier(session, policy, at)
    for event in candidates:
        if calendar.due_at(event.level_since, wait) > at:
            continue
        event.level, event.escalated, event.level_since, event.updated_at = Level.RED, True, at, at
        count += 1
        audit.record(
            session, "risk_event.escalate", target_type="risk_event", target_id=event.id,
            unit_id=event.unit_id, before={"level": "orange"},
            after={"level": "red", "reason": f"not explained within {wait}"},
        )  # fmt: skip
        notifier.raised(event, "escalated")
        if policy.freezes(event.rule):
            _freeze(session, event, ScanResult("escalation", at))
    notifier.flush()
    return count


def unit_codes(session: DbSession) -> dict[int, str]:
    return dict(session.execute(sa.select(Unit.id, Unit.code)).all())  # type: ignore[arg-type]


def unit_levels(session: DbSession) -> dict[int, str]:
    rows = session.execute(sa.select(Unit.id, Unit.level)).all()
    return {unit_id: str(level.value) for unit_id, level in rows}


def group_by_level(scored: Iterable[Scored]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for s in scored:
        if s.level is not None:
            counts[s.level.value] += 1
    return dict(counts)
