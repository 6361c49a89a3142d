"""Unit risk profiles (廉政风险画像) and rankings.

The risk index of a unit for a period::

    index = Σ (weight of the warning's level × its score / 100)
            ÷ max(items handled in the platform, min_items) × per_items

over the warnings raised in the period; the weights and the counts are the risk policy's
``profile`` section (``riskctl.risk.policy.default_profile``).  Dividing by the items
handled keeps a big unit from ranking first only for its size; the floor keeps a unit
that handled three items from ranking first for one warning.  A unit that handled
nothing and raised nothing has index 0 (its idleness is platform use's business).

The facts come from the other domains' read-only services: warnings from
``risk.services.event_rows``, items handled from ``workflow.activity``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import calendar_store
from riskctl.core.access import Action, Principal, require, visible_units
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed
from riskctl.core.formatting import CATEGORIES, DISPOSITION_FORMS
from riskctl.core.listing import unit_filter
from riskctl.org import services as org
from riskctl.org.models import Unit
from riskctl.process.definition import CATEGORIES as CATEGORY_KEYS
from riskctl.risk import services as risk
from riskctl.risk.rules import REGISTRY
from riskctl.workflow import activity

NO_ITEM = "unit"  # the heat map's column for warnings about no item (platform use …)
TOP = 3


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first.year}-{self.first.month:02d}"


def month_of(day: date) -> Month:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(first, following - timedelta(days=1))


def previous_month(today: date) -> Month:
    return month_of(today.replace(day=1) - timedelta(days=1))


def months_to(last: date, count: int) -> list[Month]:
    """The ``count`` months ending with the month of ``last``, oldest first."""
    found = [month_of(last)]
    while len(found) < count:
        found.insert(0, month_of(found[0].first - timedelta(days=1)))
    return found


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of the local days ``first`` … ``last``."""
    zone = calendar_store.zone()
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def period(first: date | None, last: date | None) -> tuple[date, date]:
    """The period asked for; by default the previous month (local)."""
    if first is None and last is None:
        month = previous_month(calendar_store.local_date())
        return month.first, month.last
    if first is None or last is None:
        raise ValidationFailed.at(
            "from" if first is None else "to", _l("give both from and to, or neither")
        )
    if last < first:
        raise ValidationFailed.at("to", _l("must not be before from"))
    if (last - first).days > 366:
        raise ValidationFailed.at("to", _l("a period is at most a year"))
    return first, last


def units_in_reach(session: DbSession, principal: Principal, action: Action) -> list[Unit]:
    return list(
        session.scalars(
            sa.select(Unit).where(unit_filter(principal, action, Unit.id)).order_by(Unit.code)
        )
    )


def window(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of the warnings a profile reads: the period and the 12 months to it."""
    start, end = bounds(first, last)
    trend_start, _ = bounds(months_to(last, 12)[0].first, last)
    return min(start, trend_start), end


def weight(row: risk.EventRow, weights: Mapping[str, Any]) -> float:
    return float(weights.get(row.level, 0)) * row.score / 100


def index_of(total_weight: float, handled: int, settings: Mapping[str, Any]) -> float:
    """The risk index (see the module's docstring)."""
    return total_weight / max(handled, int(settings["min_items"])) * int(settings["per_items"])


def _top(
    counter: Mapping[Any, float], names: Mapping[Any, str], n: int = TOP
) -> list[dict[str, Any]]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]
    return [{"key": k, "name": names.get(k, str(k)), "weight": round(v, 2)} for k, v in ranked]


def profiles(
    session: DbSession,
    principal: Principal,
    first: date | None = None,
    last: date | None = None,
    *,
    unit_ids: Iterable[int] | None = None,
    rows: Sequence[risk.EventRow] | None = None,
) -> dict[str, Any]:
    """The profiles of the units within the caller's reach (or ``unit_ids`` of them) for
    ``[first, last]`` (default: the previous month), ranked by risk index.  ``rows``: the
    warnings of ``window(first, last)`` when the caller read them already (the report)."""
    require(principal, Action.VIEW_ASSESSMENT)
    first, last = period(first, last)
    units = units_in_reach(session, principal, Action.VIEW_ASSESSMENT)
    if unit_ids is not None:
        wanted = set(unit_ids)
        units = [u for u in units if u.id in wanted]
    reach = visible_units(principal, Action.VIEW_STATS)
    units = [u for u in units if u.id in reach]
    ids = [u.id for u in units]
    settings = risk.current_policy(session).profile
    weights = settings["level_weights"]
    start, end = bounds(first, last)
    months = months_to(last, 12)
    if rows is None:
        rows = risk.event_rows(session, principal, *window(first, last))
    kept = set(ids)
    rows = [r for r in rows if r.unit_id in kept]
    handled = activity.items_handled(session, start, end, ids)
    monthly = []
    for month in months:
        a, b = bounds(month.first, month.last)
        monthly.append((a, b, activity.items_handled(session, a, b, ids)))
    names = _names(session, principal, units)
    raised = [r for r in rows if start <= _utc(r.created_at) < end]
    by_unit: dict[int, list[risk.EventRow]] = defaultdict(list)
    for r in raised:
        by_unit[r.unit_id].append(r)
    closed = [
        r
        for r in rows
        if r.closed_at is not None and start <= _utc(r.closed_at) < end and r.status == "resolved"
    ]
    per_month: dict[tuple[int, int], float] = defaultdict(float)
    for r in rows:
        at = _utc(r.created_at)
        for n, (a, b, _counts) in enumerate(monthly):
            if a <= at < b:
                per_month[(r.unit_id, n)] += weight(r, weights)
                break
    heat: dict[tuple[int, str], float] = defaultdict(float)
    out: list[dict[str, Any]] = []
    for unit in units:
        mine = by_unit.get(unit.id, [])
        total = sum(weight(r, weights) for r in mine)
        processes: dict[str, float] = defaultdict(float)
        nodes: dict[str, float] = defaultdict(float)
        posts: dict[str, float] = defaultdict(float)
        rules: Counter[str] = Counter()
        for r in mine:
            w = weight(r, weights)
            heat[(unit.id, r.category or NO_ITEM)] += w
            if r.process:
                processes[r.process] += w
                if r.node:
                    nodes[f"{r.process}/{r.node}"] += w
            if r.post:
                posts[r.post] += w
            rules[r.rule] += 1
        forms: Counter[str] = Counter(
            (r.disposition_form or ("no_problem" if r.disposition == "no_problem" else "none"))
            for r in closed
            if r.unit_id == unit.id
        )
        trend = [
            round(index_of(per_month[(unit.id, n)], counts.get(unit.id, 0), settings), 2)
            for n, (_a, _b, counts) in enumerate(monthly)
        ]
        unit_posts = names["posts"].get(unit.id, {})
        out.append(
            {
                "unit": unit.code,
                "unit_name": unit.name,
                "index": round(index_of(total, handled.get(unit.id, 0), settings), 2),
                "weight": round(total, 2),
                "handled": handled.get(unit.id, 0),
                "raised": {
                    lv: sum(1 for r in mine if r.level == lv) for lv in ("red", "orange", "yellow")
                },
                "trend": trend,
                "processes": _top(processes, names["processes"]),
                "nodes": _top(nodes, names["nodes"]),
                "posts": _top(posts, unit_posts),
                "rules": [
                    {"key": k, "name": names["rules"].get(k, k), "count": n}
                    for k, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
                ],
                "dispositions": [
                    {"key": k, "name": _form_name(k), "count": n} for k, n in sorted(forms.items())
                ],
            }
        )
    out.sort(key=lambda u: (-float(u["index"]), -float(u["weight"]), str(u["unit"])))
    for rank, entry in enumerate(out, start=1):
        entry["rank"] = rank
    areas = [a for a in (*CATEGORY_KEYS, NO_ITEM)]
    return {
        "first": first,
        "last": last,
        "months": [m.label for m in months],
        "formula": {**dict(settings), "level_weights": dict(weights)},
        "areas": [{"key": a, "name": _area_name(a)} for a in areas],
        "units": out,
        # [unit index in ``units``, area index, weight]: ECharts' heat map series
        "heat": [
            [n, k, round(heat.get((u_id, a), 0.0), 2)]
            for n, u_id in enumerate(_ids_in(out, units))
            for k, a in enumerate(areas)
        ],
    }


def _ids_in(ranked: Sequence[dict[str, Any]], units: Sequence[Unit]) -> list[int]:
    by_code = {u.code: u.id for u in units}
    return [by_code[e["unit"]] for e in ranked]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _area_name(key: str) -> str:
    if key == NO_ITEM:
        return str(_l("Unit as a whole"))
    return str(CATEGORIES.get(key, key))


def _form_name(key: str) -> str:
    if key == "no_problem":
        return str(_l("Verified: no problem"))
    if key == "none":
        return str(_l("No form counted"))
    return str(DISPOSITION_FORMS.get(key, key))


def _names(session: DbSession, principal: Principal, units: Sequence[Unit]) -> dict[str, Any]:
    """What the profile shows instead of codes: process, node, post and rule names."""
    choices = risk.monitor_choices(session, principal)
    nodes = {
        f"{p}/{k}": f"{dict(choices.processes).get(p, p)}·{n}"
        for p, listed in choices.nodes.items()
        for k, n in listed
    }
    posts = {u.id: org.post_names(session, u.code) for u in units}
    return {
        "processes": dict(choices.processes),
        "nodes": nodes,
        "posts": posts,
        "rules": {code: rule.name for code, rule in REGISTRY.items()},
    }
