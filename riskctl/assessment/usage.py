"""Platform use per unit and month (the seed's reported failure: pilot units did not log
in): who signed in, items started, steps done, working days without activity, the share
of a unit's posts nobody worked in, and the open ``platform_unused`` warnings beside.

Sign-ins are read from the audit trail (``auth.login``, kept for good) through the auth
domain's service; the browser sessions' table is purged after a month, and API tokens
never appear in it.  Steps and items through ``workflow.activity``, posts and their
holders through ``org.services.post_holders``, warnings through ``risk.services``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.assessment.profiles import Month, bounds, month_of, previous_month, units_in_reach
from riskctl.auth import services as auth
from riskctl.core import calendar_store
from riskctl.core.access import Action, Principal, require, visible_units
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.org import services as org
from riskctl.risk import services as risk
from riskctl.workflow import activity

RULE = "platform_unused"


def parse_month(text: str | None) -> Month:
    """``2026-11`` → that month; None → the previous month (local)."""
    if not text:
        return previous_month(calendar_store.local_date())
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())
    if (
        match is None
        or not 1 <= int(match.group(2)) <= 12
        or not 2000 <= int(match.group(1)) <= 2099
    ):
        raise ValidationFailed.at("month", _l("must be a month like 2026-11"))
    return month_of(date(int(match.group(1)), int(match.group(2)), 1))


def platform_use(
    session: DbSession,
    principal: Principal,
    month: str | Month | None = None,
    *,
    unit_ids: Iterable[int] | None = None,
    rows: Sequence[risk.EventRow] | None = None,
) -> dict[str, Any]:
    """Each unit's use of the platform in ``month`` (within the caller's reach), the
    dormant units first."""
    require(principal, Action.VIEW_ASSESSMENT)
    the_month = month if isinstance(month, Month) else parse_month(month)
    units = units_in_reach(session, principal, Action.VIEW_ASSESSMENT)
    if unit_ids is not None:
        wanted = set(unit_ids)
        units = [u for u in units if u.id in wanted]
    ids = [u.id for u in units]
    calendar = calendar_store.working_calendar(session)
    last = min(the_month.last, calendar_store.local_date())
    working = (
        [
            the_month.first + timedelta(days=n)
            for n in range((last - the_month.first).days + 1)
            if calendar.is_working_day(the_month.first + timedelta(days=n))
        ]
        if last >= the_month.first
        else []
    )
    start, end = bounds(the_month.first, the_month.last)
    active_people: dict[int, set[int]] = defaultdict(set)
    signed_in: dict[int, set[int]] = defaultdict(set)
    active_days: dict[int, set[date]] = defaultdict(set)
    for person, unit_id, at in auth.sign_ins(session, start, end):
        if unit_id is not None:
            signed_in[unit_id].add(person)
            active_people[unit_id].add(person)
            active_days[unit_id].add(calendar.local_date(at))
    steps: dict[int, int] = defaultdict(int)
    for unit_id, person, at in activity.steps_in(session, start, end, ids):
        steps[unit_id] += 1
        active_people[unit_id].add(person)
        active_days[unit_id].add(calendar.local_date(at))
    started = activity.items_started(session, start, end, ids)
    holders = org.post_holders(session, ids, the_month.first, the_month.last)
    warnings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if visible_units(principal, Action.VIEW_STATS):
        if rows is None:
            rows = risk.event_rows(session, principal, start, end)
        for row in rows:
            if row.rule == RULE and row.status in ("open", "acknowledged", "explained"):
                warnings[row.unit_id].append(
                    {
                        "id": row.id,
                        "level": row.level,
                        "score": round(row.score, 1),
                        "since": row.created_at,
                    }
                )
    out: list[dict[str, Any]] = []
    for unit in units:
        posts = holders.get(unit.id, {})
        idle_posts = sum(1 for people in posts.values() if not people & active_people[unit.id])
        idle_days = sum(1 for d in working if d not in active_days[unit.id])
        dormant = steps[unit.id] == 0 and started.get(unit.id, 0) == 0
        out.append(
            {
                "unit": unit.code,
                "unit_name": unit.name,
                "signed_in": len(signed_in[unit.id]),
                "active_people": len(active_people[unit.id]),
                "items_started": started.get(unit.id, 0),
                "steps": steps[unit.id],
                "idle_working_days": idle_days,
                "working_days": len(working),
                "posts": len(posts),
                "posts_idle": idle_posts,
                "posts_idle_share": round(idle_posts / len(posts) * 100, 1) if posts else None,
                "dormant": dormant,
                "warnings": warnings.get(unit.id, []),
            }
        )
    out.sort(
        key=lambda u: (
            not u["dormant"],
            -int(u["idle_working_days"]),
            -float(u["posts_idle_share"] or 0),
            u["unit"],
        )
    )
    return {
        "month": the_month.label,
        "first": the_month.first,
        "last": the_month.last,
        "working_days": len(working),
        "units": out,
    }
