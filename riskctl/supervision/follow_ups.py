"""Dispositions followed through: a warning resolved with 谈话提醒, 约谈函询 or 诫勉 plans
a talk; with 责令整改／督办 it enters a finding in the supervision ledger.  Both name the
warning, its disposition and who disposed it; the warning's pages and its API view show
them and their state (``of_events``), read through this module — the risk domain's core
never imports supervision.

``follow_up`` is what the person resolving asked (the API's ``follow_up`` object, the
warning page's fields); each value is optional and checked here, with its path under
``follow_up`` (a due day in the past: 422 ``follow_up.due``), and a problem refuses the
close: nothing of it is written.  Keys this module does not know are left to the other
domains that follow a disposition through.

Talks: ``talker`` (username; default: who resolves), ``due`` (default: a number of working
days later, RISKCTL_SUPERVISION_TALK_WITHIN_WORKING_DAYS), ``subjects`` (usernames;
default: the person the warning is about, else the holders of its post, else the unit's
heads), ``place``, ``topic``.  A rectification: ``due`` (the deadline; default
RISKCTL_SUPERVISION_RECTIFY_WITHIN_WORKING_DAYS), ``responsible`` (username; default the
person the warning is about), ``measures``, ``description`` (default: the warning in
words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core.access import Principal
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.core.inputs import InputProblem
from riskctl.core.inputs import day as parse_day
from riskctl.risk.models import Disposition, EventStatus, RiskEvent
from riskctl.supervision import ledger, people, talks
from riskctl.supervision.checks import Problems
from riskctl.supervision.models import Finding, FindingSource, Talk, TalkKind

TALKS = {
    Disposition.REMINDER_TALK: TalkKind.REMINDER_TALK,
    Disposition.LETTER_INQUIRY: TalkKind.LETTER_INQUIRY,
    Disposition.ADMONISHMENT: TalkKind.ADMONISHMENT,
}
RECTIFY = (Disposition.RECTIFICATION,)
FOLLOWED = (*TALKS, *RECTIFY)
PREFIX = "follow_up."
TOPICS = {
    Disposition.REMINDER_TALK: "谈话提醒",
    Disposition.LETTER_INQUIRY: "约谈函询",
    Disposition.ADMONISHMENT: "诫勉谈话",
}


@dataclass(frozen=True)
class Defaults:
    """Working days from the disposition to the due day, when it names none (settings)."""

    talk_within: int = 10
    rectify_within: int = 20


def follow_through(
    session: DbSession, principal: Principal, event: RiskEvent,
    follow_up: Mapping[str, Any] | None, defaults: Defaults,
) -> Talk | Finding | None:  # fmt: skip
    """The talk or finding a resolved warning's disposition orders (None: it orders
    nothing); a problem with ``follow_up`` is a 422 that undoes the close."""
    if event.status is not EventStatus.RESOLVED or event.disposition not in FOLLOWED:
        return None
    if follow_up is not None and not isinstance(follow_up, Mapping):
        raise ValidationFailed.at("follow_up", _l("must be an object"))
    given = dict(follow_up or {})
    if event.disposition in TALKS:
        return _talk(session, principal, event, given, defaults)
    return _finding(session, principal, event, given, defaults)


def _due(given: Mapping[str, Any], problems: Problems, within: int, session: DbSession) -> date:
    raw = given.get("due")
    if raw in (None, ""):
        return working_calendar(session).add_working_days(local_date(), within)
    try:
        due = parse_day(raw)
    except InputProblem as exc:
        problems.add("due", exc.message)
        return local_date()
    problems.check(lambda: talks.check_due(due, "due"))
    return due


def _usernames(value: Any, path: str, problems: Problems) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = [v for v in value.replace("；", ";").replace(",", ";").split(";") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(path, _l("must be a list of usernames"))
        return None
    return [v.strip() for v in value]


def _line(given: Mapping[str, Any], key: str, limit: int, problems: Problems) -> str | None:
    return problems.check(
        lambda: talks.text_value(given.get(key), key, limit, required=False, line=True)
    )


def default_subjects(session: DbSession, event: RiskEvent) -> list[int]:
    """Who a talk ordered by a disposition is with, when the caller names nobody: the
    person the warning is about, else the holders of its post, else the unit's heads."""
    if event.person_id is not None:
        return [event.person_id]
    today = local_date()
    if event.post:
        holders = people.post_holders(session, event.unit_id, event.post, today)
        if holders:
            return holders
    return people.leading_holders(session, event.unit_id, today)


def _talk(
    session: DbSession, principal: Principal, event: RiskEvent, given: dict[str, Any],
    defaults: Defaults,
) -> Talk:  # fmt: skip
    assert event.disposition is not None
    problems = Problems(PREFIX)
    talker_id: int | None = principal.person_id
    if given.get("talker"):
        found = problems.check(
            lambda: talks.check_talker(session, event.unit_id, str(given["talker"]), "talker")
        )
        talker_id = found.id if found is not None else None
    elif principal.person_id not in people.talkers(session, event.unit_id, local_date()):
        problems.add("talker", _l("say who talks: you do not talk to the people of this unit"))
    named = _usernames(given.get("subjects"), "subjects", problems)
    subjects: list[int] = []
    if named:
        found_people = problems.check(
            lambda: people.of_unit(session, named, event.unit_id, "subjects")
        )
        subjects = [p.id for p in found_people or []]
    elif named is None:
        subjects = [p for p in default_subjects(session, event) if p != talker_id]
        if not subjects:
            problems.add("subjects", _l("the warning names nobody: say who is talked to"))
    if talker_id in subjects:
        problems.add("subjects", _l("the talker does not talk to themselves"))
    due = _due(given, problems, defaults.talk_within, session)
    place = _line(given, "place", talks.MAX_PLACE, problems)
    topic = _line(given, "topic", talks.MAX_TOPIC, problems)
    problems.raise_any()
    assert talker_id is not None
    kind = TALKS[event.disposition]
    return talks.add_talk(
        session, principal.person_id or None,
        talks.Plan(
            kind, event.unit_id, talker_id, tuple(subjects), due,
            topic or f"{TOPICS[event.disposition]}：落实预警 #{event.id} 的处置", place,
            risk_event_id=event.id, disposition=event.disposition.value,
            disposed_by_id=principal.person_id or None,
        ),
    )  # fmt: skip


def _finding(
    session: DbSession, principal: Principal, event: RiskEvent, given: dict[str, Any],
    defaults: Defaults,
) -> Finding:  # fmt: skip
    assert event.disposition is not None
    problems = Problems(PREFIX)
    responsible: int | None = event.person_id
    if given.get("responsible"):
        responsible = problems.check(
            lambda: ledger.check_responsible(
                session, event.unit_id, str(given["responsible"]), "responsible"
            )
        )
    due = _due(given, problems, defaults.rectify_within, session)
    measures = problems.check(
        lambda: talks.text_value(given.get("measures"), "measures", ledger.MAX_TEXT, required=False)
    )
    description = problems.check(
        lambda: talks.text_value(given.get("description"), "description", ledger.MAX_TEXT,
                            required=False)
    )  # fmt: skip
    problems.raise_any()
    return ledger.add_finding(
        session, principal.person_id or None,
        ledger.Entry(
            event.unit_id, FindingSource.RISK_WARNING,
            description or ledger.describe(session, event), measures or "", responsible, due,
            risk_event_id=event.id, disposition=event.disposition.value,
            disposed_by_id=principal.person_id or None,
        ),
    )  # fmt: skip


# ---------------------------------------------------------------- what the warning shows


def of_events(
    session: DbSession, principal: Principal, event_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """The talks and findings that follow the warnings through, those the caller may
    see, by warning: ``{kind: talk | finding, id, what, title, state, due_on, done_on,
    outcome, working_days_late}``."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in event_ids}
    if not event_ids:
        return found
    rows = session.scalars(
        sa.select(Talk).where(Talk.risk_event_id.in_(event_ids), talks.visibility(principal))
        .order_by(Talk.id)
    ).all()  # fmt: skip
    for view in talks.talk_views(session, rows):
        found[view["risk_event_id"]].append({
            "kind": "talk", "id": view["id"], "what": view["kind"], "title": view["topic"],
            "state": view["status"], "due_on": view["due_on"], "done_on": view["held_on"],
            "outcome": view["outcome"], "working_days_late": view["working_days_late"],
            "people": [view["talker_label"], *(s["label"] for s in view["subjects"])],
        })  # fmt: skip
    findings = session.scalars(
        sa.select(Finding)
        .where(Finding.risk_event_id.in_(event_ids), ledger.visibility(principal))
        .order_by(Finding.id)
    ).all()
    calendar = working_calendar(session)
    for view in ledger.finding_views(session, findings):
        verified = view["verified_at"]
        found[view["risk_event_id"]].append({
            "kind": "finding", "id": view["id"], "what": "rectification",
            "title": view["description"], "state": view["status"], "due_on": view["deadline"],
            "done_on": calendar.local_date(verified) if verified else None,
            "outcome": view["outcome"], "working_days_late": view["working_days_late"],
            "people": [view["responsible_label"]] if view["responsible_label"] else [],
        })  # fmt: skip
    return found


def resolve_form(session: DbSession, principal: Principal, event: RiskEvent) -> dict[str, Any]:
    """What the warning page's resolve form offers for the follow-up: who may talk, who
    may be responsible, the defaults (shown, and used when left as they are)."""
    today = local_date()
    calendar = working_calendar(session)
    defaults = settings_defaults()
    talkers = people.talkers(session, event.unit_id, today)
    subjects = default_subjects(session, event)
    return {
        "dispositions": {
            "talk": [d.value for d in TALKS], "rectification": [d.value for d in RECTIFY],
        },
        "talkers": people.choices(session, talkers),
        "talker": people.usernames(session, [principal.person_id]).get(principal.person_id)
        if principal.person_id in talkers else None,
        "subjects": [label for _u, label in people.choices(session, subjects)],
        "people": people.choices(session, people.members(session, event.unit_id)),
        "responsible": people.usernames(session, [event.person_id]).get(event.person_id)
        if event.person_id else None,
        "talk_due": calendar.add_working_days(today, defaults.talk_within),
        "rectify_due": calendar.add_working_days(today, defaults.rectify_within),
        "today": today,
    }  # fmt: skip


def from_form(form: Mapping[str, str], disposition: str) -> dict[str, Any] | None:
    """The ``follow_up`` of the warning page's resolve form, for the disposition chosen
    (the talk's and the rectification's fields have names of their own)."""
    try:
        chosen = Disposition(disposition)
    except ValueError:
        return None
    if chosen in TALKS:
        keys = {"talker": "follow_up.talker", "due": "follow_up.talk_due",
                "place": "follow_up.place"}  # fmt: skip
    elif chosen in RECTIFY:
        keys = {"responsible": "follow_up.responsible", "due": "follow_up.rectify_due",
                "measures": "follow_up.measures"}  # fmt: skip
    else:
        return None
    given = {key: (form.get(name) or "").strip() for key, name in keys.items()}
    return {key: value for key, value in given.items() if value} or None


def settings_defaults() -> Defaults:
    """The defaults of the running app's settings (the built-in ones outside an app)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return Defaults()
    settings = current_app.config["RISKCTL"]
    return Defaults(
        settings.SUPERVISION_TALK_WITHIN_WORKING_DAYS,
        settings.SUPERVISION_RECTIFY_WITHIN_WORKING_DAYS,
    )
