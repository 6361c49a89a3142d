"""Dispositions followed through, counted (落实情况统计): the talks and rectifications the
warnings resolved in a period ordered, by disposition and by the form of 监督执纪 it is
(四种形态), and by outcome — done by the due day (``held``), late (done late, or still
not done past it) or under way (``open``).  Cancelled talks are counted apart.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core.access import Action, Principal, require
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.core.listing import unit_filter
from riskctl.org.services import filter_unit
from riskctl.risk.models import FORMS, Disposition
from riskctl.risk.statistics import DISPOSITION_NAMES, NO_FORM, ROW_NAMES
from riskctl.supervision import ledger, talks
from riskctl.supervision.follow_ups import FOLLOWED
from riskctl.supervision.models import Finding, Talk

OUTCOMES = ("held", "late", "open")


def follow_ups(
    session: DbSession, principal: Principal, *, start: datetime | None = None,
    end: datetime | None = None, unit: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The follow-ups ordered in [start, end) (default: the last 30 days) within the
    caller's statistics reach, by disposition and by form, each by outcome."""
    require(principal, Action.VIEW_STATS)
    end = end or utcnow()
    start = start or end - timedelta(days=30)
    if end <= start:
        raise ValidationFailed.at("to", _l("must be after from"))
    where_talk = [
        unit_filter(principal, Action.VIEW_STATS, Talk.unit_id),
        Talk.risk_event_id.is_not(None),
        Talk.created_at >= start,
        Talk.created_at < end,
    ]
    where_finding = [unit_filter(principal, Action.VIEW_STATS, Finding.unit_id),
                     Finding.risk_event_id.is_not(None), Finding.created_at >= start,
                     Finding.created_at < end]  # fmt: skip
    if unit is not None:
        unit_id = filter_unit(session, principal, Action.VIEW_STATS, unit).id
        where_talk.append(Talk.unit_id == unit_id)
        where_finding.append(Finding.unit_id == unit_id)
    calendar, today = working_calendar(session), local_date()
    counts: dict[str, Counter[str]] = {d.value: Counter() for d in FOLLOWED}
    for talk in session.scalars(sa.select(Talk).where(*where_talk)):
        result, _late = talks.outcome(talk, today, calendar)
        counts.setdefault(talk.disposition or "", Counter())[result] += 1
    for finding in session.scalars(sa.select(Finding).where(*where_finding)):
        result, _late = ledger.outcome(finding, today, calendar)
        counts.setdefault(finding.disposition or "", Counter())[result] += 1

    def row(key: str, got: Counter[str], names: tuple[str, str], **extra: Any) -> dict[str, Any]:
        return {"key": key, "label": names[0], "label_en": names[1], **extra,
                "count": sum(got[o] for o in OUTCOMES), **{o: got[o] for o in OUTCOMES},
                "cancelled": got["cancelled"]}  # fmt: skip

    by_disposition = []
    by_form: dict[str, Counter[str]] = {}
    for key, got in counts.items():
        try:
            disposition = Disposition(key)
        except ValueError:
            continue  # a follow-up of no known disposition (none are written so)
        form = FORMS[disposition] or NO_FORM
        by_form.setdefault(form, Counter()).update(got)
        by_disposition.append(row(key, got, DISPOSITION_NAMES[disposition], form=form))
    forms = [row(k, got, ROW_NAMES.get(k, (k, k))) for k, got in by_form.items()]
    return {
        "from": start, "to": end, "total": sum(r["count"] for r in by_disposition),
        "by_form": forms, "by_disposition": by_disposition,
    }  # fmt: skip
