"""The notification log, in-app notifications, silences, delivery callbacks, the big
screen's snapshot and its kiosk tokens."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.alerts.models import (
    DELIVERY_ORDER,
    Channel,
    DeliveryAttempt,
    Notification,
    ScreenKiosk,
    Silence,
    Status,
)
from riskctl.auth.services import token_digest
from riskctl.core import calendar_store
from riskctl.core.access import (
    ALL_UNITS,
    Action,
    AllUnits,
    Principal,
    require,
    visible_units,
)
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.inputs import ID_MAX
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.org import services as org_services
from riskctl.org.models import Unit
from riskctl.org.services import person_names
from riskctl.process.definition import Definition
from riskctl.process.services import published_by_id
from riskctl.risk.labels import in_force as labels_in_force
from riskctl.risk.models import ACTIVE_VALUES, Level, RiskEvent
from riskctl.risk.rules import REGISTRY
from riskctl.risk.scan import unit_codes
from riskctl.workflow.models import Item

KIOSK_PREFIX = "rks_"
LEVELS = ("red", "orange", "yellow")
SILENCE_KEYS = ("unit", "rule", "level", "item")
MAX_SILENCE = timedelta(days=90)
FEED_ROWS = 30  # the big screen's rolling feed


masked = org_services.masked_phone


# ---------------------------------------------------------------- the notification log


def list_alerts(
    session: DbSession, principal: Principal, *, channel: str | None, status: str | None,
    event_id: int | None = None, limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """Notifications of the units in reach (and those addressed to the caller), newest
    first, with their delivery attempts."""
    require(principal, Action.VIEW_ALERTS)
    stmt = sa.select(Notification).where(
        sa.or_(
            unit_filter(principal, Action.VIEW_ALERTS, Notification.unit_id),
            Notification.recipient_id == principal.person_id,
        )
    )
    if channel is not None:
        stmt = stmt.where(Notification.channel == Channel(channel))
    if status is not None:
        stmt = stmt.where(Notification.status == Status(status))
    if event_id is not None:
        stmt = stmt.where(Notification.event_id == event_id)
    page = paginate(session, stmt.order_by(Notification.id.desc()), limit, offset)
    return Page(alert_views(session, page.items), page.total, page.limit, page.offset)


def alert_views(session: DbSession, rows: Any) -> list[dict[str, Any]]:
    rows = list(rows)
    ids = [n.id for n in rows]
    attempts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in session.scalars(
        sa.select(DeliveryAttempt)
        .where(DeliveryAttempt.notification_id.in_(ids))
        .order_by(DeliveryAttempt.id)
    ):
        attempts[a.notification_id].append(
            {
                "backend": a.backend, "started_at": a.started_at, "finished_at": a.finished_at,
                "outcome": a.outcome, "provider_sid": a.provider_sid, "http_status": a.http_status,
                "error_code": a.error_code, "error_message": a.error_message,
            }
        )  # fmt: skip
    names = person_names(session, {r for n in rows if (r := n.recipient_id) is not None})
    units = unit_codes(session)
    labels = labels_in_force(session)
    return [
        {
            "id": n.id, "channel": n.channel.value, "kind": n.kind.value, "status": n.status.value,
            "level": n.level, "level_label": labels.name(n.level) if n.level else None,
            "unit": units.get(n.unit_id) if n.unit_id else None,
            "event_id": n.event_id, "item_id": n.item_id,
            "recipient": names.get(n.recipient_id, (None, None))[0],
            "recipient_name": names.get(n.recipient_id, (None, None))[1],
            "phone": masked(n.phone), "title": n.title, "body": n.body,
            "created_at": n.created_at, "sent_at": n.sent_at, "read_at": n.read_at,
            "provider_sid": n.provider_sid, "delivery_status": n.delivery_status,
            "error_code": n.error_code, "error_message": n.error_message,
            "duplicate_suspected": n.duplicate_suspected, "attempts": attempts.get(n.id, []),
        }
        for n in rows
    ]  # fmt: skip


# ---------------------------------------------------------------- in-app


def my_notifications(
    session: DbSession, principal: Principal, *, unread: bool, limit: int, offset: int
) -> dict[str, Any]:
    mine = sa.and_(
        Notification.channel == Channel.IN_APP, Notification.recipient_id == principal.person_id
    )
    stmt = sa.select(Notification).where(mine)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(session, stmt.order_by(Notification.id.desc()), limit, offset)
    labels = labels_in_force(session)
    return {
        "items": [
            {
                "id": n.id, "kind": n.kind.value, "level": n.level,
                "level_label": labels.name(n.level) if n.level else None, "title": n.title,
                "body": n.body, "event_id": n.event_id, "item_id": n.item_id,
                "link": _link(n.data), "created_at": n.created_at, "read_at": n.read_at,
            }
            for n in page.items
        ],
        "total": page.total, "limit": page.limit, "offset": page.offset,
        "unread": unread_count(session, principal),
    }  # fmt: skip


def my_notification(
    session: DbSession, principal: Principal, notification_id: int
) -> dict[str, Any]:
    """One of the caller's in-app notifications: what it is about."""
    found = session.execute(
        sa.select(Notification.event_id, Notification.item_id, Notification.data).where(
            Notification.id == notification_id,
            Notification.channel == Channel.IN_APP,
            Notification.recipient_id == principal.person_id,
        )
    ).first()
    if found is None:
        raise NotFound(_no_notification(notification_id))
    return {"event_id": found.event_id, "item_id": found.item_id, "link": _link(found.data)}


def _link(data: Any) -> str | None:
    """The page a notification without a warning or an item is about (a reminder):
    a path of this site, never elsewhere."""
    link = (data or {}).get("link") if isinstance(data, dict) else None
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//"):
        return link
    return None


def _no_notification(notification_id: int) -> Any:
    return _l("no notification %(id)s of yours", id=notification_id)


def unread_count(session: DbSession, principal: Principal) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                Notification.channel == Channel.IN_APP,
                Notification.recipient_id == principal.person_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def mark_read(session: DbSession, principal: Principal, notification_id: int | None) -> int:
    """Mark one of the caller's in-app notifications read (``None``: all of them)."""
    stmt = sa.update(Notification).where(
        Notification.channel == Channel.IN_APP,
        Notification.recipient_id == principal.person_id,
        Notification.read_at.is_(None),
    )
    if notification_id is not None:
        owned = session.scalar(
            sa.select(Notification.id).where(
                Notification.id == notification_id,
                Notification.channel == Channel.IN_APP,
                Notification.recipient_id == principal.person_id,
            )
        )
        if owned is None:
            raise NotFound(_no_notification(notification_id))
        stmt = stmt.where(Notification.id == notification_id)
    return int(session.execute(stmt.values(read_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- silences


def _silence_views(session: DbSession, silences: list[Silence]) -> list[dict[str, Any]]:
    now = utcnow()
    names = person_names(session, {a for s in silences if (a := s.author_id) is not None})
    return [
        {
            "id": s.id, "matcher": s.matcher, "starts_at": s.starts_at, "ends_at": s.ends_at,
            "reason": s.reason, "author": names[s.author_id][0] if s.author_id in names else None,
            "active": s.starts_at <= now < s.ends_at, "created_at": s.created_at,
        }
        for s in silences
    ]  # fmt: skip


def _reach_test(session: DbSession, principal: Principal) -> Callable[[Silence], bool]:
    """Whether a silence is the caller's to see and change: an inspector's names a unit
    of their scope; an administrator's may name any or none."""
    reach = visible_units(principal, Action.MANAGE_SILENCES)
    if reach is ALL_UNITS:
        return lambda silence: True
    code_to_id = {code: unit_id for unit_id, code in unit_codes(session).items()}
    return lambda silence: code_to_id.get(str(silence.matcher.get("unit"))) in reach


def list_silences(
    session: DbSession, principal: Principal, *, active: bool
) -> list[dict[str, Any]]:
    require(principal, Action.VIEW_ALERTS)
    stmt = sa.select(Silence).order_by(Silence.id.desc())
    if active:
        now = utcnow()
        stmt = stmt.where(Silence.starts_at <= now, Silence.ends_at > now)
    in_reach = _reach_test(session, principal)
    return _silence_views(session, [s for s in session.scalars(stmt) if in_reach(s)])


def create_silence(
    session: DbSession, principal: Principal, *, matcher: dict[str, Any],
    starts_at: datetime | None, ends_at: datetime, reason: str,
) -> dict[str, Any]:  # fmt: skip
    """Mute matching notifications for a while.  An inspector's silence names a unit in
    their scope; only an administrator silences across units."""
    require(principal, Action.MANAGE_SILENCES)
    details = []
    for key in matcher:
        if key not in SILENCE_KEYS:
            why = _l("must be one of %(choices)s", choices=", ".join(SILENCE_KEYS))
            details.append({"path": f"matcher.{key}", "message": why})
    if not matcher:
        why = _l("name at least one of unit, rule, level")
        details.append({"path": "matcher", "message": why})
    # Plain values only: a matcher is stored as given and compared with events' values.
    rule, level, item, unit = (matcher.get(k) for k in ("rule", "level", "item", "unit"))
    if "rule" in matcher and (not isinstance(rule, str) or rule not in REGISTRY):
        details.append({"path": "matcher.rule", "message": _l("unknown rule")})
    if "level" in matcher and (not isinstance(level, str) or level not in Level._value2member_map_):
        details.append({"path": "matcher.level", "message": _l("must be red, orange or yellow")})
    if "item" in matcher and (
        not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= ID_MAX
    ):
        details.append({"path": "matcher.item", "message": _l("must be an item id")})
    if "unit" in matcher and not isinstance(unit, str):
        details.append({"path": "matcher.unit", "message": _l("must be a unit code")})
    elif unit is not None:
        # Stored in the unit's own spelling: events carry that, and are compared exactly.
        known = session.scalar(sa.select(Unit.code).where(org_services.unit_code_is(unit)))
        if known is None:
            details.append({"path": "matcher.unit", "message": org_services.no_unit(unit)})
        else:
            matcher = {**matcher, "unit": known}
    start = starts_at or utcnow()
    if ends_at <= start:
        details.append({"path": "ends_at", "message": _l("must be after starts_at")})
    elif ends_at - start > MAX_SILENCE:
        why = _l("a silence lasts at most %(days)s days", days=MAX_SILENCE.days)
        details.append({"path": "ends_at", "message": why})
    if not reason.strip():
        details.append({"path": "reason", "message": _l("say why")})
    if details:
        raise ValidationFailed(_l("the silence has problems"), details=details)
    silence = Silence(
        matcher=dict(matcher), starts_at=start, ends_at=ends_at, reason=reason.strip(),
        author_id=principal.person_id or None, created_at=utcnow(),
    )  # fmt: skip
    if not _reach_test(session, principal)(silence):
        raise Forbidden(_l("a silence names a unit of your scope"), code="forbidden")
    session.add(silence)
    session.flush()
    return _silence_views(session, [silence])[0]


def expire_silence(session: DbSession, principal: Principal, silence_id: int) -> dict[str, Any]:
    require(principal, Action.MANAGE_SILENCES)
    silence = session.get(Silence, silence_id)
    if silence is None or not _reach_test(session, principal)(silence):
        raise NotFound(_l("no silence %(id)s", id=silence_id))
    now = utcnow()
    if silence.ends_at <= now:
        raise Conflict(_l("the silence has already ended"), code="wrong_status")
    silence.ends_at = max(now, silence.starts_at)
    session.flush()
    return _silence_views(session, [silence])[0]


# ---------------------------------------------------------------- delivery callbacks


def apply_delivery_status(
    session: DbSession, sid: str, status: str, error_code: str | None = None
) -> bool:
    """A provider's status callback.  Idempotent, and never moves a message back
    (callbacks arrive out of order): the furthest status is kept.  False: unknown SID."""
    notification = session.scalar(sa.select(Notification).where(Notification.provider_sid == sid))
    if notification is None:
        return False
    current = DELIVERY_ORDER.get(notification.delivery_status or "", 0)
    if DELIVERY_ORDER.get(status, 0) > current:
        notification.delivery_status = status
        if status in ("failed", "undelivered"):
            notification.error_code = error_code
    return True


# ---------------------------------------------------------------- kiosks and the screen


def create_kiosk(session: DbSession, principal: Principal, name: str) -> tuple[str, ScreenKiosk]:
    """A big screen's token; the plain token is returned only here."""
    require(principal, Action.MANAGE_SCREENS)
    if not name.strip():
        raise ValidationFailed.at("name", _l("name the screen (where it hangs)"))
    token = KIOSK_PREFIX + secrets.token_urlsafe(32)
    kiosk = ScreenKiosk(name=name.strip()[:80], token_hash=token_digest(token), created_at=utcnow())
    session.add(kiosk)
    session.flush()
    return token, kiosk


def kiosk_for(session: DbSession, token: str | None) -> ScreenKiosk | None:
    if not token or not token.startswith(KIOSK_PREFIX):
        return None
    return session.scalar(
        sa.select(ScreenKiosk).where(
            ScreenKiosk.token_hash == token_digest(token), ScreenKiosk.revoked_at.is_(None)
        )
    )


def screen_reach(principal: Principal | None) -> frozenset[int] | AllUnits:
    """A kiosk (``None``) sees every unit's aggregates; an inspector their scope."""
    if principal is None:
        return ALL_UNITS
    require(principal, Action.VIEW_SCREEN)
    return visible_units(principal, Action.VIEW_SCREEN)


def screen_seq(session: DbSession) -> int:
    """The id of the latest screen notification: the screen's sequence number."""
    return int(
        session.scalar(
            sa.select(sa.func.max(Notification.id)).where(Notification.channel == Channel.SCREEN)
        )
        or 0
    )


def snapshot(session: DbSession, reach: frozenset[int] | AllUnits) -> dict[str, Any]:
    """What the big screen shows now — aggregates only: no person, no item title.  Its
    ``seq`` is the last screen event it includes; a client applies only later ones."""
    now = utcnow()
    calendar = calendar_store.working_calendar(session)

    def within(column: Any) -> Any:
        if isinstance(reach, AllUnits):
            return sa.true()
        return column.in_(sorted(reach)) if reach else sa.false()

    units = session.scalars(sa.select(Unit).where(within(Unit.id)).order_by(Unit.code)).all()
    # Counted in SQL, and each process version looked up once: a city has tens of
    # thousands of active warnings (docs/benchmarks.md, "A city on one PostgreSQL").
    active = session.execute(
        sa.select(
            RiskEvent.unit_id, RiskEvent.level, Item.definition_id, RiskEvent.node,
            sa.func.count(),
        )
        .outerjoin(Item, Item.id == RiskEvent.item_id)
        .where(RiskEvent.status.in_(ACTIVE_VALUES), within(RiskEvent.unit_id))
        .group_by(RiskEvent.unit_id, RiskEvent.level, Item.definition_id, RiskEvent.node)
    ).all()  # fmt: skip
    per_unit: dict[int, Counter[str]] = defaultdict(Counter)
    per_node: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, str] = {}
    processes: dict[int, Definition] = {}
    for unit_id, level, definition_id, node, count in active:
        per_unit[unit_id][level.value] += count
        if definition_id is None or not node:
            continue
        process = processes.get(definition_id)
        if process is None:
            process = processes[definition_id] = published_by_id(session, definition_id).definition
        key = f"{process.key}/{node}"
        spec = process.node_map.get(node)
        labels[key] = f"{process.name}·{spec.name if spec else node}"
        per_node[key][level.value] += count
    levels = Counter[str]()
    for counts in per_unit.values():
        levels.update(counts)

    def worst(counts: Counter[str]) -> str:
        return next((lv for lv in ("red", "orange", "yellow") if counts[lv]), "green")

    start = calendar.end_of_day(calendar.local_date(now) - timedelta(days=30))
    trend: dict[str, Counter[str]] = {}
    for day in range(30):
        trend[(calendar.local_date(now) - timedelta(days=29 - day)).isoformat()] = Counter()
    for created, level in session.execute(
        sa.select(RiskEvent.created_at, RiskEvent.level).where(
            RiskEvent.created_at >= start, within(RiskEvent.unit_id)
        )
    ):
        key = calendar.local_date(created).isoformat()
        if key in trend:
            trend[key][level.value] += 1
    names = {u.id: u.name for u in units}
    reds = session.scalars(
        sa.select(RiskEvent)
        .where(RiskEvent.level == Level.RED, within(RiskEvent.unit_id))
        .order_by(RiskEvent.created_at.desc(), RiskEvent.id.desc())
        .limit(10)
    ).all()
    ticker = session.scalars(
        sa.select(Notification)
        .where(
            Notification.channel == Channel.SCREEN, Notification.status == Status.SENT,
            within(Notification.unit_id),
        )
        .order_by(Notification.id.desc())
        .limit(20)
    ).all()  # fmt: skip
    feed = _feed(session, within, names)
    seq = screen_seq(session)
    silences = [
        s
        for s in session.scalars(
            sa.select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
        )
        if _silence_reaches(s, reach, {u.code: u.id for u in units})
    ]
    level_labels = labels_in_force(session)
    return {
        "generated_at": now, "seq": seq, "timezone": calendar.zone.key,
        "levels": {lv: levels[lv] for lv in ("red", "orange", "yellow")},
        "level_labels": level_labels.as_dict(), "orange_used": level_labels.orange_used,
        "units": [
            {"code": u.code, "name": u.name, "worst": worst(per_unit[u.id]),
             **{lv: per_unit[u.id][lv] for lv in ("red", "orange", "yellow")}}
            for u in units
        ],
        "trend": [{"day": d, **{lv: c[lv] for lv in ("red", "orange", "yellow")}}
                  for d, c in trend.items()],
        "nodes": [
            {"key": key, "label": labels[key], "count": c.total(), **{lv: c[lv] for lv in LEVELS}}
            for key, c in sorted(per_node.items(), key=lambda kv: (-kv[1].total(), kv[0]))[:10]
        ],
        # Moments inside the lists in ISO 8601, as everywhere in the API (a plain JSON
        # encoder would write them as RFC 1123 dates).
        "latest_red": [
            {"id": e.id, "unit": names.get(e.unit_id, ""), "rule": e.rule,
             "rule_name": REGISTRY[e.rule].name if e.rule in REGISTRY else e.rule,
             "score": e.score, "status": e.status.value, "created_at": e.created_at.isoformat()}
            for e in reds
        ],
        "ticker": [
            {"seq": n.id, "kind": n.kind.value, "level": n.level, "title": n.title,
             "at": n.created_at.isoformat()}
            for n in ticker
        ],
        "feed": feed,
        "silences": [
            {"id": s.id, "matcher": s.matcher, "ends_at": s.ends_at.isoformat(),
             "reason": s.reason}
            for s in silences
        ],
    }  # fmt: skip


def _feed(
    session: DbSession, within: Callable[[Any], Any], names: dict[int, str]
) -> list[dict[str, Any]]:
    """The screen's rolling feed: the warnings of every level, the latest to reach its
    level first (an upgrade to red comes to the top).  Unit, rule, score and status only —
    no person, no subject, no item title.  ``seq`` is the last screen notification of the
    warning (0 if none, e.g. a yellow: only red is routed to the screen by default), so
    that a pushed row and the same warning in the next snapshot agree."""
    rows = session.execute(
        sa.select(
            RiskEvent.id, RiskEvent.unit_id, RiskEvent.level, RiskEvent.rule, RiskEvent.score,
            RiskEvent.status, RiskEvent.level_since,
        )
        .where(within(RiskEvent.unit_id))
        .order_by(RiskEvent.level_since.desc(), RiskEvent.id.desc())
        .limit(FEED_ROWS)
    ).all()  # fmt: skip
    pushed: dict[int, int] = {}
    if rows:
        pushed = {
            event_id: last
            for event_id, last in session.execute(
                sa.select(Notification.event_id, sa.func.max(Notification.id))
                .where(
                    Notification.channel == Channel.SCREEN,
                    Notification.status == Status.SENT,
                    Notification.event_id.in_([r.id for r in rows]),
                )
                .group_by(Notification.event_id)
            )
            if event_id is not None
        }
    return [
        {"id": r.id, "seq": pushed.get(r.id, 0), "level": r.level.value,
         "unit": names.get(r.unit_id, ""), "rule": r.rule,
         "rule_name": REGISTRY[r.rule].name if r.rule in REGISTRY else r.rule,
         "score": r.score, "status": r.status.value, "at": r.level_since.isoformat()}
        for r in rows
    ]  # fmt: skip


def _silence_reaches(
    silence: Silence, reach: frozenset[int] | AllUnits, codes: dict[str, int]
) -> bool:
    """A screen shows the silences that touch what it shows: those of its units, and
    those naming no unit (they mute its units too) — never another unit's."""
    if isinstance(reach, AllUnits):
        return True
    unit = silence.matcher.get("unit")
    return unit is None or codes.get(str(unit)) in reach
