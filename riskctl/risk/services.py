"""Risk policy, risk values, scans and previews, the events' lifecycle and statistics.

Who may do what with an event (分级处置):
- the handler (the person the event is about, or the holders of its post when nobody
  is named) explains;
- the unit's discipline team leader acknowledges, and resolves or dismisses yellow and
  orange; inspectors whose scope holds the unit do all of that and alone close red;
- nobody acts on an event about their own work (they are its person or took a step on
  its item), and an event about a discipline team leader goes to the commission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.alerts.outbox import Notifier
from riskctl.core import audit, calendar_store, formatting, inputs
from riskctl.core.access import Action, Principal, Role, require, visible_units
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org.models import Person, PersonRole, Post, Unit
from riskctl.org.services import filter_unit, person_labels, person_names, unit_by_code
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.process.services import published_by_id
from riskctl.risk import evidence as evidence_words
from riskctl.risk import scan as scanning
from riskctl.risk import signals
from riskctl.risk.evidence import Explanation
from riskctl.risk.facts import Scope
from riskctl.risk.labels import LevelLabels, default_labels
from riskctl.risk.labels import in_force as labels_in_force
from riskctl.risk.models import (
    ACTIVE,
    FORMS,
    Disposition,
    EventStatus,
    Level,
    RiskEvent,
    RiskPolicy,
    RiskValue,
)
from riskctl.risk.policy import Policy, default_alerts, default_body, merged
from riskctl.risk.rules import REGISTRY
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item, Step
from riskctl.workflow.services import actor_for

# ---------------------------------------------------------------- policy


def current_policy(session: DbSession) -> Policy:
    row = session.scalars(
        sa.select(RiskPolicy).order_by(RiskPolicy.version.desc()).limit(1)
    ).first()
    body = default_body() if row is None else _with_new_rules(row.body)
    return Policy(0 if row is None else row.version, body, scanning.unit_codes(session),
                  scanning.unit_levels(session))  # fmt: skip


def _with_new_rules(body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored policy, plus the rules added to the platform since it was written."""
    full = dict(body)
    rules = dict(full.get("rules", {}))
    for code, settings in default_body()["rules"].items():
        rules.setdefault(code, settings)
    full["rules"] = rules
    full.setdefault("alerts", default_alerts())
    full.setdefault("labels", default_labels())
    return full


def policy_view(session: DbSession, principal: Principal) -> dict[str, Any]:
    require(principal, Action.VIEW_POLICY)
    policy = current_policy(session)
    row = session.get(RiskPolicy, policy.version) if policy.version else None
    author = session.get(Person, row.created_by_id) if row and row.created_by_id else None
    return {
        "version": policy.version,
        "created_at": row.created_at if row else None,
        "created_by": author.username if author else None,
        "comment": row.comment if row else None,
        **{k: policy.body[k] for k in ("factors", "thresholds", "escalation", "routing", "alerts")},
        "labels": policy.labels.as_dict(),
        "rules": {
            code: {
                "name": rule.name, "name_en": rule.name_en, "description": rule.description,
                "description_en": rule.description_en, "basis": rule.basis,
                "can_freeze": rule.can_freeze,
                "defaults": rule.defaults(),
                # Where central units' figures differ (国办发〔2019〕55号).
                **({"defaults_central": rule.defaults("central")} if rule.level_defaults else {}),
                **policy.body["rules"][code],
            }
            for code, rule in REGISTRY.items()
        },
    }  # fmt: skip


def save_policy(
    session: DbSession, principal: Principal, change: Mapping[str, Any], comment: str | None
) -> Policy:
    """A new version: the current one with the sections ``change`` gives replaced."""
    require(principal, Action.MANAGE_POLICY)
    current = current_policy(session)
    codes = set(scanning.unit_codes(session).values())
    body = merged(current.body, change, codes)
    if body == current.body:
        raise ValidationFailed.at("", _l("nothing changed: the policy is already so"))
    version = current.version + 1
    session.add(
        RiskPolicy(
            version=version, body=body, comment=comment, created_at=utcnow(),
            created_by_id=principal.person_id or None,
        )
    )  # fmt: skip
    session.flush()
    audit.record(
        session, "policy.update", target_type="risk_policy", target_id=version,
        before={"version": current.version, **{k: current.body[k] for k in change}},
        after={"version": version, "comment": comment, **{k: body[k] for k in change}},
    )  # fmt: skip
    return Policy(version, body, scanning.unit_codes(session), scanning.unit_levels(session))


def draft_policy(session: DbSession, change: Mapping[str, Any] | None) -> Policy:
    current = current_policy(session)
    if not change:
        return current
    codes = set(scanning.unit_codes(session).values())
    return Policy(-1, merged(current.body, change, codes), current.unit_codes, current.unit_levels)


# ---------------------------------------------------------------- risk values


TARGETS = ("process", "node", "post", "person")


def set_risk_value(
    session: DbSession, principal: Principal, *, unit: str, target: str, risk: int,
    process: str | None = None, node: str | None = None, post: str | None = None,
    person: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """风险值 on one of the four levels (1–5).  Process and node values are the unit's
    own grading, kept beside the immutable published versions."""
    require(principal, Action.MANAGE_RISK_VALUES)
    if target not in TARGETS:
        raise ValidationFailed.at(
            "target", _l("must be one of %(choices)s", choices=", ".join(TARGETS))
        )
    if not isinstance(risk, int) or isinstance(risk, bool) or not 1 <= risk <= 5:
        raise ValidationFailed.at("risk", inputs.whole_number_range(1, 5))
    found = unit_by_code(session, unit)
    if found is None:
        raise NotFound(_l("no unit '%(code)s'", code=unit), code="unknown_unit")
    if target in ("process", "node"):
        if not process:
            raise ValidationFailed.at("process", _l("say which process"))
        latest = session.scalar(
            sa.select(ProcessDefinition.id).where(
                ProcessDefinition.unit_id == found.id, ProcessDefinition.key == process,
                ProcessDefinition.status != ProcessStatus.DRAFT,
            ).order_by(ProcessDefinition.version.desc()).limit(1)
        )  # fmt: skip
        if latest is None:
            raise NotFound(
                _l("no published process '%(process)s' in %(unit)s", process=process, unit=unit),
                code="unknown_process",
            )
        node_key = ""
        if target == "node":
            definition = published_by_id(session, latest).definition
            spec = definition.node_map.get(node or "")
            if spec is None or not spec.is_task:
                raise ValidationFailed.at(
                    "node",
                    _l("no task node %(node)s in %(process)s", node=repr(node), process=process),
                )
            node_key = spec.key
        row = session.scalar(
            sa.select(RiskValue).where(
                RiskValue.unit_id == found.id,
                RiskValue.process == process,
                RiskValue.node == node_key,
            )
        )
        if row is None:
            session.add(RiskValue(unit_id=found.id, process=process, node=node_key, risk=risk))
        else:
            row.risk = risk
    elif target == "post":
        row_post = session.scalar(
            sa.select(Post).where(Post.unit_id == found.id, Post.code == post)
        )
        if row_post is None:
            raise ValidationFailed.at(
                "post", _l("no post %(post)s in %(unit)s", post=repr(post), unit=unit)
            )
        row_post.risk = risk
    else:
        row_person = session.scalar(sa.select(Person).where(Person.username == person))
        if row_person is None or row_person.unit_id != found.id:
            raise ValidationFailed.at(
                "person", _l("no person %(person)s in %(unit)s", person=repr(person), unit=unit)
            )
        row_person.risk = risk
    session.flush()
    return {"unit": unit, "target": target, "process": process, "node": node, "post": post,
            "person": person, "risk": risk}  # fmt: skip


def risk_values(session: DbSession, principal: Principal, unit: str) -> dict[str, Any]:
    """A unit's risk values on the four levels, as scoring uses them."""
    found = filter_unit(session, principal, Action.VIEW_PROCESSES, unit)
    overrides = {
        (r.process, r.node): r.risk
        for r in session.scalars(sa.select(RiskValue).where(RiskValue.unit_id == found.id))
    }
    processes = []
    rows = session.scalars(
        sa.select(ProcessDefinition).where(
            ProcessDefinition.unit_id == found.id,
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
        ).order_by(ProcessDefinition.key)
    )  # fmt: skip
    for row in rows:
        definition = published_by_id(session, row.id).definition
        processes.append({
            "process": row.key, "name": row.name,
            "risk": overrides.get((row.key, ""), definition.risk),
            "nodes": [
                {"node": n.key, "name": n.name, "post": n.post,
                 "risk": overrides.get((row.key, n.key), n.risk)}
                for n in definition.nodes if n.is_task
            ],
        })  # fmt: skip
    posts = session.scalars(sa.select(Post).where(Post.unit_id == found.id).order_by(Post.code))
    people = session.scalars(
        sa.select(Person).where(Person.unit_id == found.id).order_by(Person.username)
    )
    return {
        "unit": found.code,
        "processes": processes,
        "posts": [{"post": p.code, "name": p.name, "risk": p.risk} for p in posts],
        "people": [{"person": p.username, "name": p.name, "risk": p.risk} for p in people],
    }


# ---------------------------------------------------------------- scans


def scan_now(
    session: DbSession, principal: Principal, *, full: bool = False, at: datetime | None = None
) -> scanning.ScanResult:
    require(principal, Action.RUN_SCAN)
    return scanning.run_scan(session, current_policy(session), at=at, full=full)


def escalate_now(session: DbSession, *, at: datetime | None = None) -> int:
    return scanning.escalate(session, current_policy(session), at=at)


MAX_BACKTEST_DAYS = 92


def preview(
    session: DbSession, principal: Principal, *, at: datetime | None = None,
    policy: Mapping[str, Any] | None = None, start: date | None = None, end: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What a scan would raise at ``at`` under ``policy`` (what-if), or at the end of
    each day from ``start`` to ``end`` (back-test).  Reads only."""
    require(principal, Action.PREVIEW_POLICY)
    now = utcnow()
    draft = draft_policy(session, policy)
    calendar = calendar_store.working_calendar(session)
    reach = visible_units(principal, Action.PREVIEW_POLICY)
    rules = [r for r in REGISTRY.values() if draft.enabled(r.code)]
    if (start is None) != (end is None):
        raise ValidationFailed.at("from" if start is None else "to", _l("give both from and to"))
    if start is not None and end is not None:
        if end < start:
            raise ValidationFailed.at("to", _l("must not be before from"))
        if (end - start).days >= MAX_BACKTEST_DAYS:
            raise ValidationFailed.at(
                "to", _l("a back-test covers at most %(days)s days", days=MAX_BACKTEST_DAYS)
            )
        days: list[dict[str, Any]] = []
        seen: dict[str, scanning.Scored] = {}
        for offset in range((end - start).days + 1):
            moment = min(
                calendar.end_of_day(start + timedelta(days=offset)) - timedelta(seconds=1), now
            )
            scored = _visible(_judge(session, draft, moment, now, rules, calendar), reach)
            days.append({"day": (start + timedelta(days=offset)).isoformat(), "at": moment,
                         "by_level": scanning.group_by_level(scored),
                         "events": len(scored)})  # fmt: skip
            for s in scored:
                kept = seen.get(s.identity)
                if kept is None or s.score > kept.score:
                    seen[s.identity] = s
        return {"policy_version": draft.version, "from": start, "to": end, "days": days,
                "events": _scored_views(session, _newest(seen.values())),
                "summary": _summary(seen.values())}  # fmt: skip
    moment = at or now
    scored = _visible(_judge(session, draft, moment, now, rules, calendar), reach)
    active = set(
        session.scalars(
            sa.select(RiskEvent.identity).where(RiskEvent.status.in_([s.value for s in ACTIVE]))
        )
    )
    newest = _newest(scored)
    stays_closed = scanning.kept_closed(session, newest)
    events = [
        view | {"existing": s.identity in active, "kept_closed": s.identity in stays_closed}
        for s, view in zip(newest, _scored_views(session, newest), strict=True)
    ]
    return {"policy_version": draft.version, "at": moment, "events": events,
            "summary": _summary(scored)}  # fmt: skip


def _judge(session: DbSession, policy: Policy, at: datetime, now: datetime, rules: Any,
           calendar: Any) -> list[scanning.Scored]:  # fmt: skip
    scope = Scope(at, historic=at < now - timedelta(minutes=1))
    scored, _data, _weights = scanning.judge(session, policy, scope, rules, calendar)
    return [s for s in scored if s.level is not None]


def _visible(scored: list[scanning.Scored], reach: Any) -> list[scanning.Scored]:
    return [s for s in scored if s.signal.unit_id in reach]


def _newest(scored: Any) -> list[scanning.Scored]:
    return sorted(scored, key=lambda s: (-s.score, s.identity))


def _summary(scored: Any) -> dict[str, Any]:
    by_rule: dict[str, int] = defaultdict(int)
    for s in scored:
        by_rule[s.signal.rule] += 1
    return {"total": sum(by_rule.values()), "by_level": scanning.group_by_level(scored),
            "by_rule": dict(sorted(by_rule.items()))}  # fmt: skip


def _scored_views(session: DbSession, scored: Sequence[scanning.Scored]) -> list[dict[str, Any]]:
    """The preview's rows: names and unit codes read once for all of them (one query per
    row made a preview of 15,000 events run for minutes)."""
    names = person_names(session, {s.person_id for s in scored if s.person_id})
    units = _unit_codes(session)
    unit_names = {uid: name for uid, name in session.execute(sa.select(Unit.id, Unit.name))}
    zh, en = evidence_words.Words("zh"), evidence_words.Words("en")
    views = []
    for s in scored:
        rule = REGISTRY[s.signal.rule]
        evidence = dict(s.signal.evidence)
        views.append({
            "rule": rule.code, "rule_name": rule.name, "rule_name_en": rule.name_en,
            "level": s.level.value if s.level else None,
            "score": s.score, "factors": dict(s.factors), "evidence": evidence,
            "unit": units.get(s.signal.unit_id), "unit_name": unit_names.get(s.signal.unit_id),
            "item_id": s.signal.item_id, "node": s.node,
            "person": names.get(s.person_id, (None, None))[0] if s.person_id else None,
            "post": s.post, "subject": s.signal.subject,
            # The subject in words, as on the warning pages (the stored one is a key).
            "subject_text": rule.subject_text(s.signal.subject, evidence, zh),
            "subject_text_en": rule.subject_text(s.signal.subject, evidence, en),
        })  # fmt: skip
    return views


# ---------------------------------------------------------------- reading events


def _unit_codes(session: DbSession) -> dict[int, str]:
    return scanning.unit_codes(session)


def _own_events(principal: Principal, session: DbSession) -> Any:
    """Staff see the events about their own work: naming them, or their post when the
    event names nobody (an open task of their post)."""
    posts = actor_for(session, principal).posts
    return sa.or_(
        RiskEvent.person_id == principal.person_id,
        sa.and_(
            RiskEvent.person_id.is_(None), RiskEvent.unit_id == principal.unit_id,
            RiskEvent.post.in_(sorted(posts) or [""]),
        ),
    )  # fmt: skip


def _visibility(session: DbSession, principal: Principal) -> Any:
    clauses = [unit_filter(principal, Action.VIEW_RISK, RiskEvent.unit_id)]
    if principal.unit_id is not None and Role.STAFF in principal.roles:
        clauses.append(_own_events(principal, session))
    return sa.or_(*clauses)


def list_events(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    level: str | None = None, status: str | None = None, rule: str | None = None,
    item_id: int | None = None, start: datetime | None = None, end: datetime | None = None,
    process: str | None = None, node: str | None = None, mine: bool = False,
    limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """The events the caller may see, newest first; ``mine``: only those about the caller's
    own work (the workbench), whatever else their roles let them see."""
    stmt = sa.select(RiskEvent).where(_visibility(session, principal))
    if mine:
        if principal.unit_id is None:
            return Page([], 0, limit, offset)
        stmt = stmt.where(_own_events(principal, session))
    if unit is not None:
        if Role.STAFF in principal.roles and not visible_units(principal, Action.VIEW_RISK):
            found = filter_unit(session, principal, Action.VIEW_ITEMS, unit)
        else:
            found = filter_unit(session, principal, Action.VIEW_RISK, unit)
        stmt = stmt.where(RiskEvent.unit_id == found.id)
    if level is not None:
        stmt = stmt.where(RiskEvent.level == level)
    if status is not None:
        stmt = stmt.where(RiskEvent.status == status)
    if rule is not None:
        if rule not in REGISTRY:
            raise ValidationFailed.at("rule", _l("no rule '%(rule)s'", rule=rule))
        stmt = stmt.where(RiskEvent.rule == rule)
    if item_id is not None:
        stmt = stmt.where(RiskEvent.item_id == item_id)
    if process is not None:
        stmt = stmt.where(
            RiskEvent.item_id.in_(
                sa.select(Item.id)
                .join(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
                .where(ProcessDefinition.key == process)
            )
        )
    if node is not None:
        stmt = stmt.where(RiskEvent.node == node)
    if start is not None:
        stmt = stmt.where(RiskEvent.created_at >= start)
    if end is not None:
        stmt = stmt.where(RiskEvent.created_at < end)
    return paginate(session, stmt.order_by(RiskEvent.id.desc()), limit, offset)


def event_views(session: DbSession, events: Any) -> list[dict[str, Any]]:
    events = list(events)
    ids: set[int] = set()
    for e in events:
        ids.update(
            i for i in (e.person_id, e.explained_by_id, e.acknowledged_by_id, e.closed_by_id) if i
        )
    names = person_names(session, ids)
    known = person_labels(session, ids)  # 王芳（区财政局·经办人）: pages show these
    units = _unit_codes(session)
    labels = labels_in_force(session)

    def name(person_id: int | None) -> str | None:
        return names[person_id][0] if person_id in names else None

    zh, en = evidence_words.Words("zh"), evidence_words.Words("en")
    views = []
    for e in events:
        rule = REGISTRY.get(e.rule)
        views.append({
            "id": e.id, "rule": e.rule, "rule_name": rule.name if rule else e.rule,
            "rule_name_en": rule.name_en if rule else e.rule,
            # A process's incompatible pair may name its own basis (evidence pair_basis).
            "basis": (e.evidence or {}).get("pair_basis") or (rule.basis if rule else None),
            "level": e.level.value, "level_label": labels.name(e.level, "zh"),
            "level_label_en": labels.name(e.level, "en"), "score": e.score, "factors": e.factors,
            "evidence": e.evidence, "status": e.status.value, "unit": units.get(e.unit_id),
            "item_id": e.item_id, "node": e.node, "person": name(e.person_id),
            "person_name": names[e.person_id][1] if e.person_id in names else None,
            "person_label": known.get(e.person_id) if e.person_id else None,
            "post": e.post, "subject": e.subject, "escalated": e.escalated,
            # The subject in words (the stored one is the event's identity, often a code).
            "subject_text": (
                rule.subject_text(e.subject, e.evidence or {}, zh) if rule else e.subject or ""
            ),
            "subject_text_en": (
                rule.subject_text(e.subject, e.evidence or {}, en) if rule else e.subject or ""
            ),
            "level_since": e.level_since, "cause_cleared_at": e.cause_cleared_at,
            "explanation": e.explanation, "explained_by": name(e.explained_by_id),
            "explained_at": e.explained_at, "acknowledged_by": name(e.acknowledged_by_id),
            "acknowledged_at": e.acknowledged_at,
            # The API keeps the usernames above; a reader sees who they are.
            "explained_by_label": known.get(e.explained_by_id) if e.explained_by_id else None,
            "acknowledged_by_label": (
                known.get(e.acknowledged_by_id) if e.acknowledged_by_id else None
            ),
            "closed_by_label": known.get(e.closed_by_id) if e.closed_by_id else None,
            "disposition": e.disposition.value if e.disposition else None,
            "disposition_form": e.disposition_form,
            "closing_note": e.closing_note, "closed_by": name(e.closed_by_id),
            "closed_at": e.closed_at, "created_at": e.created_at, "updated_at": e.updated_at,
            "policy_version": e.policy_version,
            "reopens": e.reopens_id, "reopen_reason": e.reopen_reason,
        })  # fmt: skip
    return views


def explained_evidence(
    session: DbSession, event: RiskEvent, lang: str,
    item_href: Callable[[int], str | None] = lambda _id: None,
) -> Explanation:  # fmt: skip
    """The event's evidence in the reader's words (``Rule.explain``), with the items,
    steps, meetings and people it cites named; ``item_href`` gives an item's address."""
    evidence = event.evidence or {}
    rule = REGISTRY.get(event.rule)
    cited = rule.cites(evidence) if rule else evidence_words.citations(evidence)
    names = _evidence_names(session, event, cited, item_href)
    words = evidence_words.Words(lang, names, calendar_store.zone())
    if rule is None:
        return words.generic(evidence)
    try:
        return rule.explain(evidence, evidence_words.Words(lang, names, words.zone, strict=True))
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        # Evidence an older version of the rule wrote, in another shape: still in words.
        labels = {m.key: (m.label, m.label_en) for m in rule.material}
        return words.generic(evidence, labels, skip=("pair_basis",))


def _evidence_names(
    session: DbSession, event: RiskEvent, cited: Mapping[str, set[int]],
    item_href: Callable[[int], str | None],
) -> evidence_words.Names:  # fmt: skip
    from riskctl.meetings.models import Meeting
    from riskctl.org.models import PostAssignment
    from riskctl.workflow.models import Task

    Ref = evidence_words.Ref
    steps = {r.id: r for r in session.execute(
        sa.select(Step.id, Step.item_id, Step.node, Step.person_id)
        .where(Step.id.in_(sorted(cited.get("steps", ())) or [-1])))}  # fmt: skip
    meetings = {r.id: r for r in session.execute(
        sa.select(Meeting.id, Meeting.item_id, Meeting.node)
        .where(Meeting.id.in_(sorted(cited.get("meetings", ())) or [-1])))}  # fmt: skip
    tasks = {r.id: r for r in session.execute(
        sa.select(Task.id, Task.item_id, Task.node)
        .where(Task.id.in_(sorted(cited.get("tasks", ())) or [-1])))}  # fmt: skip
    item_ids = set(cited.get("items", ())) | ({event.item_id} if event.item_id else set())
    item_ids |= {r.item_id for r in (*steps.values(), *meetings.values(), *tasks.values())}
    items = {r.id: r for r in session.execute(
        sa.select(Item.id, Item.title, Item.definition_id)
        .where(Item.id.in_(sorted(item_ids) or [-1])))}  # fmt: skip
    node_names: dict[int, dict[str, str]] = {}
    for definition_id in sorted({r.definition_id for r in items.values()}):
        definition = published_by_id(session, definition_id).definition
        node_names[definition_id] = {k: n.name for k, n in definition.node_map.items()}

    def node(item_id: int, key: str) -> str:
        row = items.get(item_id)
        return node_names.get(row.definition_id, {}).get(key, key) if row else key

    person_ids = set(cited.get("people", ())) | {r.person_id for r in steps.values()}
    today = calendar_store.working_calendar(session).local_date(utcnow())
    people: dict[int, list[str]] = {}
    rows = session.execute(
        sa.select(Person.id, Person.name, Unit.name)
        .outerjoin(Unit, Unit.id == Person.unit_id).where(Person.id.in_(sorted(person_ids) or [-1]))
    )  # fmt: skip
    for pid, name, unit in rows:
        people[pid] = [name, unit or ""]
    posts: dict[int, list[str]] = defaultdict(list)
    for pid, post in session.execute(
        sa.select(PostAssignment.person_id, Post.name).join(Post, Post.id == PostAssignment.post_id)
        .where(PostAssignment.person_id.in_(sorted(person_ids) or [-1]),
               PostAssignment.valid_from <= today,
               sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= today))
        .order_by(PostAssignment.person_id, Post.name)
    ):  # fmt: skip
        posts[pid].append(post)
    named = {
        pid: f"{name}（{'·'.join(x for x in (unit, '、'.join(posts.get(pid, []))) if x)}）"
        if unit or posts.get(pid) else name
        for pid, (name, unit) in people.items()
    }  # fmt: skip
    unit_posts = {code: name for code, name in session.execute(
        sa.select(Post.code, Post.name).where(Post.unit_id == event.unit_id))}  # fmt: skip
    own = items.get(event.item_id) if event.item_id else None
    return evidence_words.Names(
        items={i: Ref(r.title, item_href(i)) for i, r in items.items()},
        steps={i: Ref(f"「{node(r.item_id, r.node)}」· {named.get(r.person_id, '')}".rstrip(" ·"),
                      item_href(r.item_id)) for i, r in steps.items()},
        meetings={i: Ref(f"「{node(r.item_id, r.node)}」", item_href(r.item_id))
                  for i, r in meetings.items()},
        tasks={i: Ref(f"「{node(r.item_id, r.node)}」", item_href(r.item_id))
               for i, r in tasks.items()},
        people=named,
        nodes=node_names.get(own.definition_id, {}) if own else {},
        posts=unit_posts,
    )  # fmt: skip


def visible_event(session: DbSession, principal: Principal, event_id: int) -> RiskEvent:
    event = session.scalar(
        sa.select(RiskEvent).where(RiskEvent.id == event_id, _visibility(session, principal))
    )
    if event is None:
        raise NotFound(_l("no risk event %(id)s", id=event_id), code="unknown_risk_event")
    return event


def events_of_item(session: DbSession, principal: Principal, item_id: int) -> list[dict[str, Any]]:
    events = session.scalars(
        sa.select(RiskEvent)
        .where(RiskEvent.item_id == item_id, _visibility(session, principal))
        .order_by(RiskEvent.id)
    )
    return event_views(session, events)


# ---------------------------------------------------------------- lifecycle


def _took_part(session: DbSession, principal: Principal, event: RiskEvent) -> bool:
    if event.person_id == principal.person_id:
        return True
    if event.item_id is None:
        return False
    return (
        session.scalar(
            sa.select(Step.id)
            .where(Step.item_id == event.item_id, Step.person_id == principal.person_id)
            .limit(1)
        )
        is not None
    )


def _about_discipline_leader(session: DbSession, event: RiskEvent) -> bool:
    if event.person_id is None:
        return False
    return (
        session.scalar(
            sa.select(PersonRole.person_id).where(
                PersonRole.person_id == event.person_id, PersonRole.role == Role.DISCIPLINE_LEADER
            )
        )
        is not None
    )


def _may_handle(
    session: DbSession, principal: Principal, event: RiskEvent, *, closing: bool
) -> None:
    """Acknowledge, resolve, dismiss: the rules of the module docstring."""
    if _took_part(session, principal, event):
        raise Forbidden(OWN_WORK, code="own_work")
    if event.unit_id not in visible_units(principal, Action.HANDLE_RISK):
        raise Forbidden(_l("this warning is not yours to handle"), code="forbidden")
    if event.unit_id in visible_units(principal, Action.CLOSE_RED):
        return  # the commission's inspector for this unit
    if _about_discipline_leader(session, event):
        raise Forbidden(COMMISSION_ONLY, code="commission_only")
    if closing and event.level is Level.RED:
        raise Forbidden(_l("a red warning is closed by an inspector"), code="inspector_only")


OWN_WORK = _l("nobody acts on a warning about their own work")
COMMISSION_ONLY = _l("a warning about a discipline team leader is handled by the commission")
# Why a warning takes no action in its status, by action.
_CANNOT: dict[str, Callable[[Any], Any]] = {
    "explain": lambda status: _l(
        "a warning whose status is “%(status)s” cannot be explained", status=status
    ),
    "acknowledge": lambda status: _l(
        "a warning whose status is “%(status)s” cannot be acknowledged", status=status
    ),
    "resolve": lambda status: _l(
        "a warning whose status is “%(status)s” cannot be resolved", status=status
    ),
    "dismiss": lambda status: _l(
        "a warning whose status is “%(status)s” cannot be dismissed", status=status
    ),
    "opinion": lambda status: _l(
        "a warning whose status is “%(status)s” takes no opinion", status=status
    ),
}


def wrong_status(event: RiskEvent, what: str) -> Conflict:
    status = formatting.EVENT_STATUSES.get(event.status.value, event.status.value)
    return Conflict(_CANNOT[what](status), code="wrong_status")


def _active(event: RiskEvent, allowed: tuple[EventStatus, ...], what: str) -> None:
    if event.status not in allowed:
        raise wrong_status(event, what)


def _log(
    session: DbSession, event: RiskEvent, action: str, before: str, extra: dict[str, Any]
) -> None:
    audit.record(
        session, f"risk_event.{action}", target_type="risk_event", target_id=event.id,
        unit_id=event.unit_id, before={"status": before},
        after={"status": event.status.value, **extra},
    )  # fmt: skip


def explain(session: DbSession, principal: Principal, event_id: int, text: str) -> RiskEvent:
    event = visible_event(session, principal, event_id)
    handler = event.person_id == principal.person_id or (
        event.person_id is None
        and event.unit_id == principal.unit_id
        and event.post is not None
        and event.post in actor_for(session, principal).posts
    )
    if not handler:
        raise Forbidden(_l("only the handler explains a warning"), code="not_the_handler")
    _active(event, (EventStatus.OPEN, EventStatus.ACKNOWLEDGED, EventStatus.EXPLAINED), "explain")
    if not text.strip():
        raise ValidationFailed.at("text", _l("say what happened"))
    before, now = event.status.value, utcnow()
    event.status, event.explanation = EventStatus.EXPLAINED, text.strip()
    event.explained_by_id, event.explained_at, event.updated_at = principal.person_id, now, now
    _log(session, event, "explain", before, {"text": event.explanation})
    return event


def acknowledge(session: DbSession, principal: Principal, event_id: int) -> RiskEvent:
    event = visible_event(session, principal, event_id)
    _may_handle(session, principal, event, closing=False)
    _active(event, (EventStatus.OPEN,), "acknowledge")
    now = utcnow()
    event.status = EventStatus.ACKNOWLEDGED
    event.acknowledged_by_id, event.acknowledged_at, event.updated_at = (
        principal.person_id,
        now,
        now,
    )
    _log(session, event, "acknowledge", "open", {})
    return event


def resolve(
    session: DbSession,
    principal: Principal,
    event_id: int,
    disposition: str,
    note: str | None,
    follow_up: Mapping[str, Any] | None = None,
) -> RiskEvent:
    try:
        chosen = Disposition(disposition)
    except ValueError:
        raise ValidationFailed.at(
            "disposition",
            _l("must be one of %(choices)s", choices=", ".join(d.value for d in Disposition)),
        ) from None
    return _close(session, principal, event_id, EventStatus.RESOLVED, note, chosen, follow_up)


def dismiss(session: DbSession, principal: Principal, event_id: int, reason: str) -> RiskEvent:
    if not reason.strip():
        raise ValidationFailed.at("reason", _l("say why the warning is dismissed"))
    return _close(session, principal, event_id, EventStatus.DISMISSED, reason, None)


def _close(
    session: DbSession, principal: Principal, event_id: int, status: EventStatus,
    note: str | None, disposition: Disposition | None,
    follow_up: Mapping[str, Any] | None = None,
) -> RiskEvent:  # fmt: skip
    event = visible_event(session, principal, event_id)
    _may_handle(session, principal, event, closing=True)
    verb = "resolve" if status is EventStatus.RESOLVED else "dismiss"
    _active(event, ACTIVE, verb)
    before, now = event.status.value, utcnow()
    event.status, event.disposition = status, disposition
    event.disposition_form = FORMS[disposition] if disposition else None
    event.closing_note = (note or "").strip() or None
    event.closed_by_id, event.closed_at, event.updated_at = principal.person_id, now, now
    disposed = disposition.value if disposition else None
    _log(session, event, verb, before, {"disposition": disposed, "note": event.closing_note})
    session.flush()
    notifier = Notifier(session, current_policy(session), now)
    notifier.closed(event)
    notifier.flush()
    _thaw(session, event)
    # The domains that follow a disposition through (talks, the ledger, study) act in this
    # transaction; one that refuses undoes the close.
    signals.warning_closed.send(
        event, session=session, principal=principal, event=event, follow_up=follow_up
    )
    return event


def _thaw(session: DbSession, event: RiskEvent) -> None:
    """A frozen item runs again once no freezing red is active on it."""
    if event.item_id is None:
        return
    policy = current_policy(session)
    reds = session.scalars(
        sa.select(RiskEvent.rule).where(
            RiskEvent.item_id == event.item_id, RiskEvent.level == Level.RED,
            RiskEvent.status.in_([s.value for s in ACTIVE]),
        )
    ).all()  # fmt: skip
    if any(policy.freezes(rule) for rule in reds):
        return
    workflow.set_frozen(
        session, event.item_id, False, unit_id=event.unit_id, because={"risk_event": event.id}
    )


# ---------------------------------------------------------------- statistics

GROUPS = ("unit", "process", "node", "level", "rule", "day")


@dataclass(frozen=True)
class _Row:
    unit_id: int
    process: str | None
    node: str | None
    level: str
    rule: str
    created_at: datetime
    score: float


def stats(
    session: DbSession, principal: Principal, *, group_by: str, start: datetime | None,
    end: datetime | None, unit: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Counts and mean scores of the events raised in [start, end), by group
    (风险分时间段查询及统计)."""
    found = stats_by(session, principal, group_bys=(group_by,), start=start, end=end, unit=unit)
    return found[group_by]


def stats_by(
    session: DbSession, principal: Principal, *, group_bys: Sequence[str],
    start: datetime | None, end: datetime | None, unit: str | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """``stats`` for several groupings at once: the period's events are read once (the
    monitor's statistics page shows six groupings; reading them six times cost most of
    its time in a city of 2,000 units, docs/benchmarks.md)."""
    require(principal, Action.VIEW_STATS)
    for group_by in group_bys:
        if group_by not in GROUPS:
            raise ValidationFailed.at(
                "group_by", _l("must be one of %(choices)s", choices=", ".join(GROUPS))
            )
    now = utcnow()
    end = end or now
    start = start or end - timedelta(days=30)
    if end <= start:
        raise ValidationFailed.at("to", _l("must be after from"))
    stmt = (
        sa.select(
            RiskEvent.unit_id, ProcessDefinition.key, RiskEvent.node, RiskEvent.level,
            RiskEvent.rule, RiskEvent.created_at, RiskEvent.score,
        )
        .outerjoin(Item, Item.id == RiskEvent.item_id)
        .outerjoin(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
        .where(
            unit_filter(principal, Action.VIEW_STATS, RiskEvent.unit_id),
            RiskEvent.created_at >= start, RiskEvent.created_at < end,
        )
    )  # fmt: skip
    if unit is not None:
        stmt = stmt.where(
            RiskEvent.unit_id == filter_unit(session, principal, Action.VIEW_STATS, unit).id
        )
    rows = [_Row(r[0], r[1], r[2], r[3].value, r[4], r[5], r[6]) for r in session.execute(stmt)]
    calendar = calendar_store.working_calendar(session)
    # Only the units the events are of (a city has thousands; a grouping needs few).
    present = sorted({row.unit_id for row in rows}) if "unit" in group_bys else []
    units = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(present)))}
    labels = labels_in_force(session)
    return {
        group_by: _grouped(rows, group_by, units, calendar, labels, start, end)
        for group_by in group_bys
    }


def _grouped(
    rows: list[_Row], group_by: str, units: dict[int, Unit], calendar: WorkingCalendar,
    labels: LevelLabels, start: datetime, end: datetime,
) -> dict[str, Any]:  # fmt: skip
    def key_of(row: _Row) -> tuple[str, str]:
        if group_by == "unit":
            u = units[row.unit_id]
            return u.code, u.name
        if group_by == "process":
            return row.process or "-", row.process or "（无事项）"
        if group_by == "node":
            k = f"{row.process}/{row.node}" if row.process and row.node else "-"
            return k, k
        if group_by == "level":
            if not labels.is_default(row.level):  # the policy names its levels
                return row.level, labels.short(row.level)
            return row.level, {"red": "红", "orange": "橙", "yellow": "黄"}[row.level]
        if group_by == "rule":
            rule = REGISTRY.get(row.rule)
            return row.rule, rule.name if rule else row.rule
        d = calendar.local_date(row.created_at).isoformat()
        return d, d

    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key, label = key_of(row)
        g = groups.setdefault(key, {"key": key, "label": label, "count": 0, "total": 0.0,
                                    "red": 0, "orange": 0, "yellow": 0})  # fmt: skip
        g["count"] += 1
        g["total"] += row.score
        g[row.level] += 1
    out = []
    for g in groups.values():
        total = g.pop("total")
        g["mean_score"] = round(total / g["count"], 2)
        out.append(g)
    if group_by == "day":
        out.sort(key=lambda g: g["key"])
    elif group_by == "level":
        out.sort(key=lambda g: ["red", "orange", "yellow"].index(g["key"]))
    else:
        out.sort(key=lambda g: (-g["count"], g["key"]))
    return {"group_by": group_by, "from": start, "to": end, "total": len(rows), "groups": out}


def snapshot_figures(session: DbSession, *, on: date | None = None) -> int:
    """The daily statistics snapshot (scheduler): per unit and level, the events raised
    on ``on`` (default: today, local) and those active now.  Idempotent: re-run, it
    overwrites the day's rows."""
    from riskctl.risk.models import RiskDailyFigure

    calendar = calendar_store.working_calendar(session)
    day = on or calendar.local_date(utcnow())
    start = calendar.end_of_day(day - timedelta(days=1))
    end = calendar.end_of_day(day)
    figures: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for unit_id, level, n in session.execute(
        sa.select(RiskEvent.unit_id, RiskEvent.level, sa.func.count())
        .where(RiskEvent.created_at >= start, RiskEvent.created_at < end)
        .group_by(RiskEvent.unit_id, RiskEvent.level)
    ):
        figures[(unit_id, level.value)][0] = n
    for unit_id, level, n in session.execute(
        sa.select(RiskEvent.unit_id, RiskEvent.level, sa.func.count())
        .where(RiskEvent.status.in_([s.value for s in ACTIVE]))
        .group_by(RiskEvent.unit_id, RiskEvent.level)
    ):
        figures[(unit_id, level.value)][1] = n
    session.execute(sa.delete(RiskDailyFigure).where(RiskDailyFigure.day == day))
    session.add_all(
        RiskDailyFigure(day=day, unit_id=u, level=Level(lv), raised=r, active=a)
        for (u, lv), (r, a) in figures.items()
    )
    return len(figures)


# ---------------------------------------------------------------- monitor


@dataclass(frozen=True)
class Choices:
    """What the monitor's filters offer within the caller's reach."""

    units: list[tuple[str, str]]  # (code, name)
    processes: list[tuple[str, str]]  # (key, name)
    nodes: dict[str, list[tuple[str, str]]]  # process key: (node key, name)
    rules: list[tuple[str, str, str]]  # (code, name, English name)


def monitor_choices(session: DbSession, principal: Principal) -> Choices:
    require(principal, Action.VIEW_RISK)
    units = session.execute(
        sa.select(Unit.code, Unit.name)
        .where(unit_filter(principal, Action.VIEW_RISK, Unit.id))
        .order_by(Unit.id)
    ).all()
    # Ids, keys and names only: the nodes come from the compiled versions (cached for the
    # life of the process), so that a city's thousands of versions are not read and
    # decoded (body, layout, source) on every page of the monitor.
    rows = session.execute(
        sa.select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.name).where(
            unit_filter(principal, Action.VIEW_RISK, ProcessDefinition.unit_id),
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
        )
    ).all()
    processes: dict[str, str] = {}
    nodes: dict[str, dict[str, str]] = defaultdict(dict)
    for definition_id, key, name in rows:
        processes.setdefault(key, name)
        for node in published_by_id(session, definition_id).definition.nodes:
            if node.is_task:
                nodes[key].setdefault(node.key, node.name)
    return Choices(
        units=[(code, name) for code, name in units],
        processes=sorted(processes.items()),
        nodes={k: sorted(v.items()) for k, v in nodes.items()},
        rules=sorted((code, rule.name, rule.name_en) for code, rule in REGISTRY.items()),
    )


# ---------------------------------------------------------------- profiles (assessment)


@dataclass(frozen=True)
class EventRow:
    """A warning as the unit risk profiles and the monthly report weigh it (read-only)."""

    id: int
    unit_id: int
    rule: str
    level: str
    score: float
    status: str
    process: str | None  # the item's process key (None: a warning about no item)
    category: str | None  # its business area (procurement, finance …)
    node: str | None
    post: str | None
    person_id: int | None
    item_id: int | None
    disposition: str | None
    disposition_form: str | None
    created_at: datetime
    level_since: datetime
    closed_at: datetime | None


def event_rows(
    session: DbSession, principal: Principal, start: datetime, end: datetime
) -> list[EventRow]:
    """The warnings within the caller's statistics reach that were raised or closed in
    ``[start, end)``, or are active now."""
    require(principal, Action.VIEW_STATS)
    stmt = (
        sa.select(
            RiskEvent.id, RiskEvent.unit_id, RiskEvent.rule, RiskEvent.level, RiskEvent.score,
            RiskEvent.status, ProcessDefinition.key, ProcessDefinition.category, RiskEvent.node,
            RiskEvent.post, RiskEvent.person_id, RiskEvent.item_id, RiskEvent.disposition,
            RiskEvent.disposition_form, RiskEvent.created_at, RiskEvent.level_since,
            RiskEvent.closed_at,
        )
        .outerjoin(Item, Item.id == RiskEvent.item_id)
        .outerjoin(ProcessDefinition, ProcessDefinition.id == Item.definition_id)
        .where(
            unit_filter(principal, Action.VIEW_STATS, RiskEvent.unit_id),
            sa.or_(
                sa.and_(RiskEvent.created_at >= start, RiskEvent.created_at < end),
                sa.and_(RiskEvent.closed_at >= start, RiskEvent.closed_at < end),
                RiskEvent.status.in_([s.value for s in ACTIVE]),
            ),
        )
    )  # fmt: skip
    return [
        EventRow(r[0], r[1], r[2], r[3].value, r[4], r[5].value, r[6], r[7], r[8], r[9], r[10],
                 r[11], r[12].value if r[12] else None, r[13], r[14], r[15], r[16])
        # Core, not the ORM: plain column rows, tens of thousands for a district's year.
        for r in session.connection().execute(stmt)
    ]  # fmt: skip
