"""意见: the unit's discipline team leader's opinion on a warning of the unit.

A red warning is the commission's to close, so before issue 18 the leader could only
watch it.  An opinion is his word to the inspectors who dispose of it — what he found,
what he proposes — written into the warning's handling history; it changes nothing of
the event's status and is never edited.  The rules of the lifecycle hold: not on a
warning about his own work, not on one about himself (the commission's), and only while
the warning is active.  Inspectors whose scope holds the unit and the unit's leaders
read them; the person the warning is about does not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import audit
from riskctl.core.access import Action, Principal, can, require
from riskctl.core.db import DbSession
from riskctl.core.errors import Forbidden, ValidationFailed
from riskctl.org.services import person_names
from riskctl.risk.models import ACTIVE, RiskEvent, RiskEventOpinion
from riskctl.risk.services import (
    COMMISSION_ONLY,
    OWN_WORK,
    _about_discipline_leader,
    _took_part,
    visible_event,
    wrong_status,
)


def add_opinion(
    session: DbSession, principal: Principal, event_id: int, text: str
) -> RiskEventOpinion:
    """The leader's opinion on an active warning of his unit; the caller commits."""
    event = visible_event(session, principal, event_id)
    require(principal, Action.OPINE_RISK, event.unit_id)
    if _took_part(session, principal, event):
        raise Forbidden(OWN_WORK, code="own_work")
    if _about_discipline_leader(session, event):
        raise Forbidden(COMMISSION_ONLY, code="commission_only")
    if event.status not in ACTIVE:
        raise wrong_status(event, "opinion")
    if not text.strip():
        raise ValidationFailed.at("text", _l("say what you found or propose"))
    opinion = RiskEventOpinion(event_id=event.id, author_id=principal.person_id, text=text.strip())
    session.add(opinion)
    session.flush()
    audit.record(
        session, "risk_event.opinion", target_type="risk_event", target_id=event.id,
        unit_id=event.unit_id, before={"status": event.status.value},
        after={"status": event.status.value, "opinion": opinion.id, "text": opinion.text},
    )  # fmt: skip
    return opinion


def may_read(principal: Principal, event: RiskEvent) -> bool:
    """Those who handle the unit's warnings: its leaders and the inspectors in scope."""
    return can(principal, Action.HANDLE_RISK, event.unit_id)


def opinions(session: DbSession, principal: Principal, event_id: int) -> list[dict[str, Any]]:
    event = visible_event(session, principal, event_id)
    if not may_read(principal, event):
        raise Forbidden(
            _l("the opinions on a warning are for those who handle it"), code="forbidden"
        )
    return opinion_views(session, event)


def opinion_views(session: DbSession, event: RiskEvent) -> list[dict[str, Any]]:
    rows = session.scalars(
        sa.select(RiskEventOpinion)
        .where(RiskEventOpinion.event_id == event.id)
        .order_by(RiskEventOpinion.created_at, RiskEventOpinion.id)
    ).all()
    names = person_names(session, {r.author_id for r in rows})
    return [
        {"id": r.id, "event_id": r.event_id, "text": r.text, "created_at": r.created_at,
         "by": names[r.author_id][0] if r.author_id in names else None,
         "by_name": names[r.author_id][1] if r.author_id in names else None}
        for r in rows
    ]  # fmt: skip


def view(session: DbSession, opinion: RiskEventOpinion) -> dict[str, Any]:
    event = session.get(RiskEvent, opinion.event_id)
    assert event is not None
    return next(o for o in opinion_views(session, event) if o["id"] == opinion.id)
