"""Statistics of dispositions (处置情况统计): the warnings resolved in a period, by the form
of 监督执纪 their disposition was (四种形态) and by disposition.

A warning counts in the period in which it was resolved (``closed_at``), not the one in
which it was raised: the figure answers "what did we do this quarter".  The form is the
one stored when the disposition was made (``disposition_form``), so a later change of
``FORMS`` never rewrites past figures.  The platform's dispositions are of the first form
or of none; the second to fourth forms (处分, 组织调整, 立案审查) are decided in a case,
outside the platform, so they show only if a stored disposition ever names them.
Dismissed warnings are no disposition: they are counted apart.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core.access import Action, Principal, require
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.core.listing import unit_filter
from riskctl.org.services import filter_unit
from riskctl.risk.models import FIRST_FORM, FORMS, Disposition, EventStatus, RiskEvent

# The four forms (纪律处分条例 第五条) in their order, and the two rows of no form.
FORM_NAMES = {
    FIRST_FORM: ("第一种形态", "First form"),
    "second": ("第二种形态", "Second form"),
    "third": ("第三种形态", "Third form"),
    "fourth": ("第四种形态", "Fourth form"),
}
NO_PROBLEM = "no_problem"  # 经核实无问题: nothing was wrong
NO_FORM = "none"  # put right, circulated, handed over as a clue: no form counted
ROW_NAMES = {
    **FORM_NAMES,
    NO_PROBLEM: ("经核实无问题", "Verified: no problem"),
    NO_FORM: ("未计入形态", "No form counted"),
}
DISPOSITION_NAMES = {
    Disposition.NO_PROBLEM: ("经核实无问题（予以了结）", "Verified: no problem (closed)"),
    Disposition.CRITICISM: ("批评教育", "Criticism and education"),
    Disposition.REMINDER_TALK: ("谈话提醒", "Reminder talk"),
    Disposition.LETTER_INQUIRY: ("约谈函询", "Talk or letter of inquiry"),
    Disposition.ADMONISHMENT: ("诫勉", "Admonishment"),
    Disposition.SELF_EXAMINATION: ("责令检查", "Ordered to examine oneself"),
    Disposition.CIRCULATED_CRITICISM: ("通报批评", "Circulated criticism"),
    Disposition.RECTIFICATION: ("责令整改／督办", "Ordered to rectify (supervised)"),
    Disposition.CASE_CLUE: ("移交问题线索", "Handed over as a case clue"),
}
LEVELS = ("red", "orange", "yellow")


def _row_of(disposition: Disposition, form: str | None) -> str:
    if form:
        return form
    return NO_PROBLEM if disposition is Disposition.NO_PROBLEM else NO_FORM


def dispositions(
    session: DbSession, principal: Principal, *, start: datetime | None = None,
    end: datetime | None = None, unit: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The warnings resolved in [start, end) within the caller's statistics reach (and
    ``unit`` when given), by form and by disposition, each with its count per level."""
    require(principal, Action.VIEW_STATS)
    end = end or utcnow()
    start = start or end - timedelta(days=30)
    if end <= start:
        raise ValidationFailed.at("to", _l("must be after from"))
    closed = sa.and_(
        unit_filter(principal, Action.VIEW_STATS, RiskEvent.unit_id),
        RiskEvent.closed_at >= start, RiskEvent.closed_at < end,
    )  # fmt: skip
    if unit is not None:
        closed = sa.and_(
            closed,
            RiskEvent.unit_id == filter_unit(session, principal, Action.VIEW_STATS, unit).id,
        )
    by_row: dict[str, Counter[str]] = {}
    by_disposition: dict[Disposition, Counter[str]] = {d: Counter() for d in Disposition}
    for disposition, form, level, n in session.execute(
        sa.select(RiskEvent.disposition, RiskEvent.disposition_form, RiskEvent.level,
                  sa.func.count())
        .where(closed, RiskEvent.status == EventStatus.RESOLVED,
               RiskEvent.disposition.is_not(None))
        .group_by(RiskEvent.disposition, RiskEvent.disposition_form, RiskEvent.level)
    ):  # fmt: skip
        if disposition is None:  # excluded by the query; for the type checker
            continue
        by_row.setdefault(_row_of(disposition, form), Counter())[level.value] += n
        by_disposition[disposition][level.value] += n
    dismissed = session.scalar(
        sa.select(sa.func.count()).where(closed, RiskEvent.status == EventStatus.DISMISSED)
    )
    # The first form and the two rows of no form always show (a zero is a figure); the
    # other forms only when a stored disposition names them.
    keys = [k for k in ROW_NAMES if k in (FIRST_FORM, NO_PROBLEM, NO_FORM) or k in by_row]
    keys += sorted(k for k in by_row if k not in ROW_NAMES)  # a form from a later release

    def row(key: str, counts: Counter[str], names: tuple[str, str], **extra: Any) -> Any:
        return {"key": key, "label": names[0], "label_en": names[1], **extra,
                "count": counts.total(), **{lv: counts[lv] for lv in LEVELS}}  # fmt: skip

    forms = [row(k, by_row.get(k, Counter()), ROW_NAMES.get(k, (k, k))) for k in keys]
    return {
        "from": start, "to": end,
        "total": sum(f["count"] for f in forms), "dismissed": dismissed or 0,
        "by_form": forms,
        "by_disposition": [
            row(d.value, counts, DISPOSITION_NAMES[d], form=_row_of(d, FORMS[d]))
            for d, counts in by_disposition.items()
        ],
    }  # fmt: skip
