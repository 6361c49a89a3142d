"""Writing notifications: who is told what about a risk event change, over which channel.

Rows are written in the caller's transaction (the scan's, the lifecycle call's), so a
warning and its notifications commit or vanish together.  Each row's ``dedupe_key``
names the change it reports; the insert skips keys already present, so a scan repeated
after a crash never notifies twice.  Screen and in-app rows are pushed after the commit
(``riskctl.alerts.push``).

SMS texts carry only the level, the unit, the rule's name and the warning's number —
never a person's name, an amount or an item's title: every recipient may see that much,
and it is all that needs to leave the intranet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from riskctl.alerts.models import Channel, Kind, Notification, Silence, Status
from riskctl.core import calendar_store
from riskctl.core.access import Role
from riskctl.core.bulk import UnnestInsert
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.org.models import InspectorScope, Person, PersonRole, Post, PostAssignment, Unit
from riskctl.risk.labels import LevelLabels
from riskctl.risk.models import ACTIVE_VALUES, EventStatus, Level, RiskEvent
from riskctl.risk.policy import Policy
from riskctl.risk.rules import REGISTRY
from riskctl.workflow.models import Item

CLOSED_ZH = {
    EventStatus.RESOLVED: "已处置",
    EventStatus.DISMISSED: "已撤销",
    EventStatus.AUTO_CLOSED: "风险已消除",
}
PUSH_KEY = "riskctl.alerts.push"
RESYNC_KEY = "riskctl.alerts.resync"
# The warnings raised, escalated or closed in the transaction, whoever was told of them:
# the monitors and screens reload on each (a warning with nobody to tell is still news).
SIGNAL_KEY = "riskctl.alerts.signals"
# More pushes than this in one transaction (a first scan raising thousands) become one
# "resync" to every screen instead: they reload the snapshot; memory stays bounded.
PUSH_LIMIT = 500
FLUSH_EVERY = 1000  # rows collected before they are written
SMS_TAG = "【廉政风险】"


def _next_level(level: Level, orange_used: bool = True) -> Level | None:
    if level is Level.YELLOW and not orange_used:
        return Level.RED  # no orange: the next audience is red's
    return {Level.YELLOW: Level.ORANGE, Level.ORANGE: Level.RED}.get(level)


@dataclass(frozen=True)
class Message:
    title: str
    body: str  # in-app text
    sms: str


def _label(event: RiskEvent, unit: str) -> str:
    rule = REGISTRY[event.rule].name if event.rule in REGISTRY else event.rule
    return f"{unit}「{rule}」"


def message_for(
    event: RiskEvent, unit: str, kind: Kind, change: str, item_title: str | None,
    hours: int = 0, labels: LevelLabels | None = None,
) -> Message:  # fmt: skip
    """The words of one notification (Chinese; the SMS short enough for one or two
    segments of 70 characters).  The level is named as the policy names it (红色预警 by
    default, 黄牌警告 where configured)."""
    labels = labels or LevelLabels.of(None)
    level = labels.name(event.level)
    what = _label(event, unit)
    about = f"（事项：{item_title}）" if item_title else ""
    if kind is Kind.RESOLVED:
        closed = CLOSED_ZH.get(event.status, "已关闭")
        return Message(
            f"预警 {event.id} {closed}", f"{what}的{level}{closed}。{about}",
            f"{SMS_TAG}预警{event.id}（{what}）{closed}。",
        )  # fmt: skip
    if kind is Kind.REPEAT:
        return Message(
            f"提醒：{level} {event.id} 尚未处理", f"{what}的{level}尚未处理。{about}",
            f"{SMS_TAG}提醒：{level}{event.id}（{what}）尚未处理，请登录平台处理。",
        )  # fmt: skip
    if kind is Kind.ESCALATED:
        return Message(
            f"督办：{level} {event.id} {hours}小时未确认",
            f"{what}的{level}已{hours}小时无人确认，请督办。{about}",
            f"{SMS_TAG}{level}{event.id}（{what}）{hours}小时未确认，请督办。",
        )  # fmt: skip
    if change == "escalated":
        red, red_short = labels.name(Level.RED), labels.short(Level.RED)
        return Message(
            f"预警 {event.id} 逾期未说明，升为{red_short}",
            f"{what}的预警逾期未说明，已升为{red}。{about}",
            f"{SMS_TAG}预警{event.id}（{what}）逾期未说明，已升为{red_short}，请登录平台处理。",
        )  # fmt: skip
    verb = "升级为" if change == "upgrade" else ""
    return Message(
        f"{verb}{level} {event.id}：{what}", f"{what}：{verb}{level}。{about}",
        f"{SMS_TAG}{verb}{level}{event.id}：{what}，请登录平台处理。",
    )  # fmt: skip


def silence_matches(matcher: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Every key the matcher gives must equal the event's; an empty matcher matches all."""
    return all(facts.get(key) == value for key, value in matcher.items())


class Notifier:
    """Collects the notifications of one transaction's event changes; ``flush`` writes
    them.  Looks up audiences once per unit, so a scan raising thousands of events asks
    the database a handful of times."""

    def __init__(self, session: DbSession, policy: Policy, now: datetime | None = None) -> None:
        self.session, self.policy, self.now = session, policy, now or utcnow()
        self.rows: list[dict[str, Any]] = []
        self._units: dict[int, str] | None = None
        self._leaders: dict[int, list[int]] | None = None
        self._inspectors: dict[int, list[int]] | None = None
        self._holders: dict[tuple[int, str], list[int]] = {}
        self._phones: dict[int, str | None] = {}
        self._silences: list[Silence] | None = None
        self._titles: dict[int, str] = {}
        self._top_level: dict[int, int] = {}

    # -- audiences

    def _unit_name(self, unit_id: int) -> str:
        if self._units is None:
            self._units = dict(self.session.execute(sa.select(Unit.id, Unit.name)).all())  # type: ignore[arg-type]
        return self._units.get(unit_id, "")

    def _by_role(self, role: Role) -> list[tuple[int, int | None]]:
        return list(
            self.session.execute(
                sa.select(Person.id, Person.unit_id)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == role, Person.is_active.is_(True))
                .order_by(Person.id)
            ).all()  # type: ignore[arg-type]
        )

    def leaders(self, unit_id: int) -> list[int]:
        if self._leaders is None:
            self._leaders = {}
            for person_id, unit in self._by_role(Role.DISCIPLINE_LEADER):
                if unit is not None:
                    self._leaders.setdefault(unit, []).append(person_id)
        return self._leaders.get(unit_id, [])

    def inspectors(self, unit_id: int) -> list[int]:
        if self._inspectors is None:
            self._inspectors = {}
            rows = self.session.execute(
                sa.select(InspectorScope.unit_id, Person.id)
                .join(Person, Person.id == InspectorScope.person_id)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == Role.INSPECTOR, Person.is_active.is_(True))
                .order_by(Person.id)
            ).all()
            for unit, person_id in rows:
                self._inspectors.setdefault(unit, []).append(person_id)
        return self._inspectors.get(unit_id, [])

    def handlers(self, event: RiskEvent) -> list[int]:
        if event.person_id is not None:
            return [event.person_id]
        if event.post is None:
            return []
        key = (event.unit_id, event.post)
        if key not in self._holders:
            today = calendar_store.working_calendar(self.session).local_date(self.now)
            self._holders[key] = list(
                self.session.scalars(
                    sa.select(PostAssignment.person_id)
                    .join(Post, Post.id == PostAssignment.post_id)
                    .where(
                        Post.unit_id == event.unit_id, Post.code == event.post,
                        PostAssignment.valid_from <= today,
                        sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= today),
                    )
                    .order_by(PostAssignment.person_id)
                ).all()
            )  # fmt: skip
        return self._holders[key]

    def audience(self, event: RiskEvent, notify: Iterable[str]) -> list[int]:
        """The people to tell, in order, each once.  A warning about a discipline team
        leader goes to the commission instead of to them (design.md §5)."""
        wanted = set(notify)
        leaders = self.leaders(event.unit_id)
        about_leader = event.person_id is not None and event.person_id in leaders
        people: list[int] = []
        if "handler" in wanted:
            people += self.handlers(event)
        if "discipline_leader" in wanted:
            if about_leader:
                wanted.add("inspectors")
            else:
                people += [p for p in leaders if p != event.person_id]
        if "inspectors" in wanted:
            people += [p for p in self.inspectors(event.unit_id) if p != event.person_id]
        people += self.named_by_rule(event)
        return list(dict.fromkeys(people))

    def named_by_rule(self, event: RiskEvent) -> list[int]:
        """The people the warning's rule names in its evidence to be told besides the
        route (``Rule.notify_also``): who disposed the warning a late talk or
        rectification came from learns that it runs late, whatever the level's route."""
        rule = REGISTRY.get(event.rule)
        if rule is None or not rule.notify_also:
            return []
        named: list[int] = []
        for key in rule.notify_also:
            value = (event.evidence or {}).get(key)
            for one in value if isinstance(value, list) else [value]:
                if isinstance(one, int) and not isinstance(one, bool) and one != event.person_id:
                    named.append(one)
        return named

    def not_told(self, event: RiskEvent) -> list[tuple[str, str]]:
        """Who the route of the event's level leaves out, and why: ``(recipient, reason)``
        with reason ``policy`` (the level's route does not name them) or ``own_warning``
        (a warning about the unit's discipline leader goes to the commission instead).
        Someone the warning's notifications did reach is never listed."""
        wanted = set(self.policy.routing(event.level)["notify"])
        told = set(
            self.session.scalars(
                sa.select(Notification.recipient_id).where(
                    Notification.event_id == event.id, Notification.recipient_id.is_not(None)
                )
            )
        )
        about_leader = event.person_id is not None and event.person_id in self.leaders(
            event.unit_id
        )
        left: list[tuple[str, str]] = []
        handlers = self.handlers(event)
        if handlers and "handler" not in wanted and not told & set(handlers):
            left.append(("handler", "policy"))
        leaders = set(self.leaders(event.unit_id))
        if leaders and not told & (leaders - {event.person_id}):
            if about_leader:
                left.append(("discipline_leader", "own_warning"))
            elif "discipline_leader" not in wanted:
                left.append(("discipline_leader", "policy"))
        reach_commission = "inspectors" in wanted or (
            about_leader and "discipline_leader" in wanted
        )
        if not reach_commission and not told & set(self.inspectors(event.unit_id)):
            left.append(("inspectors", "policy"))
        return left

    def phone(self, person_id: int) -> str | None:
        if person_id not in self._phones:
            self._phones[person_id] = self.session.scalar(
                sa.select(Person.phone).where(Person.id == person_id)
            )
        return self._phones[person_id]

    def _title_of(self, item_id: int | None) -> str | None:
        if item_id is None:
            return None
        if item_id not in self._titles:
            self._titles[item_id] = (
                self.session.scalar(sa.select(Item.title).where(Item.id == item_id)) or ""
            )
        return self._titles[item_id] or None

    def silenced(self, event: RiskEvent) -> bool:
        if self._silences is None:
            self._silences = list(
                self.session.scalars(
                    sa.select(Silence).where(
                        Silence.starts_at <= self.now, Silence.ends_at > self.now
                    )
                )
            )
        if not self._silences:
            return False
        facts = {
            "unit": self._unit_code(event.unit_id), "rule": event.rule,
            "level": event.level.value, "item": event.item_id,
        }  # fmt: skip
        return any(silence_matches(s.matcher, facts) for s in self._silences)

    def _unit_code(self, unit_id: int) -> str | None:
        return self.policy.unit_codes.get(unit_id)

    def inhibited(self, event: RiskEvent) -> bool:
        """A higher-level warning is active on the same item: the lower one does not page."""
        if event.item_id is None:
            return False
        if event.item_id not in self._top_level:
            levels = self.session.scalars(
                sa.select(RiskEvent.level).where(
                    RiskEvent.item_id == event.item_id, RiskEvent.status.in_(ACTIVE_VALUES)
                )
            ).all()
            self._top_level[event.item_id] = max((lv.rank for lv in levels), default=0)
        return self._top_level[event.item_id] > event.level.rank

    def prefetch(self, events: Iterable[RiskEvent]) -> None:
        """Item titles, the highest active level per item and the phones of those to be
        told, for many events at once (a scan raising thousands), not a query each."""
        events = list(events)
        wanted = {e.item_id for e in events if e.item_id is not None}
        wanted -= self._titles.keys()
        ids = sorted(wanted)
        for n in range(0, len(ids), 500):
            chunk = ids[n : n + 500]
            self._titles.update(
                (i, t or "")
                for i, t in self.session.execute(
                    sa.select(Item.id, Item.title).where(Item.id.in_(chunk))
                )
            )
            for item_id in chunk:
                self._top_level.setdefault(item_id, 0)
            for event_item, level in self.session.execute(
                sa.select(RiskEvent.item_id, RiskEvent.level).where(
                    RiskEvent.item_id.in_(chunk), RiskEvent.status.in_(ACTIVE_VALUES)
                )
            ):
                if event_item is not None:
                    self._top_level[event_item] = max(self._top_level[event_item], level.rank)
        # The phones of those an SMS may go to, in one query, not one per person.
        people: set[int] = set()
        for event in events:
            people.update(self.leaders(event.unit_id), self.inspectors(event.unit_id))
            if event.person_id is not None:
                people.add(event.person_id)
        missing = sorted(people - self._phones.keys())
        for n in range(0, len(missing), 500):
            chunk = missing[n : n + 500]
            found = self.session.execute(
                sa.select(Person.id, Person.phone).where(Person.id.in_(chunk))
            )
            self._phones.update((person_id, phone) for person_id, phone in found)

    # -- changes

    def raised(self, event: RiskEvent, change: str = "new") -> None:
        """A new warning (``new``), one that reached a higher level (``upgrade``), or an
        orange escalated to red for want of an explanation (``escalated``)."""
        route = self.policy.routing(event.level)
        key = f"ev{event.id}:{event.level.value}"
        self._add(event, Kind.RAISED, key, route["channels"], route["notify"], change=change)

    def attributed(self, event: RiskEvent) -> None:
        """The scan now knows who the warning is about (someone completed the node that
        writes the field): tell them as its level's route tells a handler.  The same keys
        as the raise, so that whoever was told then is not told again."""
        route = self.policy.routing(event.level)
        if "handler" not in route["notify"]:
            return
        channels = [c for c in route["channels"] if c != Channel.SCREEN]
        key = f"ev{event.id}:{event.level.value}"
        self._add(event, Kind.RAISED, key, channels, ["handler"], change="new")

    def repeat(self, event: RiskEvent, round_: int) -> None:
        route = self.policy.routing(event.level)
        channels = [c for c in route["channels"] if c != Channel.SCREEN]
        key = f"ev{event.id}:{event.level.value}:repeat{round_}"
        self._add(event, Kind.REPEAT, key, channels, route["notify"])

    def escalated(self, event: RiskEvent, hours: int) -> None:
        """Unacknowledged too long: the people the next level would tell, not told yet."""
        higher = _next_level(event.level, self.policy.labels.orange_used)
        if higher is None:
            return
        own, route = self.policy.routing(event.level), self.policy.routing(higher)
        told = set(self.audience(event, own["notify"]))
        channels = [c for c in route["channels"] if c != Channel.SCREEN]
        key = f"ev{event.id}:{event.level.value}:escalation"
        self._add(event, Kind.ESCALATED, key, channels, route["notify"], skip=told, hours=hours)

    def closed(self, event: RiskEvent) -> None:
        """Tell whoever was told of the warning (in-app, SMS actually sent, the screen)."""
        self._signal(event, Kind.RESOLVED)
        told = self.session.execute(
            sa.select(Notification.channel, Notification.recipient_id, Notification.status)
            .where(Notification.event_id == event.id)
            .distinct()
        ).all()
        in_app = {r for c, r, _s in told if c is Channel.IN_APP and r is not None}
        sms = {r for c, r, s in told if c is Channel.SMS and r is not None and s is Status.SENT}
        screen = any(c is Channel.SCREEN and s is Status.SENT for c, _r, s in told)
        message = message_for(
            event, self._unit_name(event.unit_id), Kind.RESOLVED, "", self._title_of(event.item_id),
            labels=self.policy.labels,
        )  # fmt: skip
        key = f"ev{event.id}:closed"
        for person_id in sorted(in_app):
            self._row(event, Kind.RESOLVED, Channel.IN_APP, key, person_id, message, Status.SENT)
        for person_id in sorted(sms):
            self._row(event, Kind.RESOLVED, Channel.SMS, key, person_id, message, Status.PENDING)
        if screen:
            self._row(event, Kind.RESOLVED, Channel.SCREEN, key, None, message, Status.SENT)

    def watch(
        self, task_id: int, unit_id: int, item_id: int, title: str, process: str, node: str,
        risk: int,
    ) -> None:  # fmt: skip
        """An item entered a watched risk node: tell the unit's discipline leader."""
        unit = self._unit_name(unit_id)
        heading = f"风险节点提醒：{unit}「{process}·{node}」"
        text = f"事项「{title}」已进入风险节点「{node}」（风险值{risk}），请关注办理过程。"
        sms = f"{SMS_TAG}{unit}有事项进入风险节点「{node}」，请登录平台关注。"
        channels = [Channel.IN_APP] + ([Channel.SMS] if self.policy.alerts["watch"]["sms"] else [])
        for person_id in self.leaders(unit_id):
            for channel in channels:
                phone = self.phone(person_id) if channel is Channel.SMS else None
                pending = channel is Channel.SMS
                self.rows.append(
                    {
                        "dedupe_key": f"watch{task_id}:{channel.value}:{person_id}",
                        "channel": channel, "kind": Kind.WATCH,
                        "status": (Status.PENDING if phone else Status.FAILED) if pending
                        else Status.SENT,
                        "event_id": None, "unit_id": unit_id, "item_id": item_id,
                        "level": None, "recipient_id": person_id, "phone": phone,
                        "title": heading[:200], "body": sms if pending else text,
                        "data": {"task": task_id, "node": node, "risk": risk},
                        "created_at": self.now,
                        "next_attempt_at": self.now if pending and phone else None,
                        "sent_at": None if pending else self.now,
                        "error_message": None if phone or not pending else "no phone number",
                    }
                )  # fmt: skip

    def _signal(self, event: RiskEvent, kind: Kind) -> None:
        signals = self.session.info.setdefault(SIGNAL_KEY, {})
        if len(signals) < PUSH_LIMIT:
            signals[(event.unit_id, event.id)] = {
                "unit_id": event.unit_id, "event_id": event.id, "level": event.level.value,
                "kind": kind,
            }  # fmt: skip
        else:
            self.session.info[RESYNC_KEY] = True  # every screen reloads

    def _add(
        self, event: RiskEvent, kind: Kind, key: str, channels: Iterable[str],
        notify: Iterable[str], *, change: str = "", skip: set[int] | None = None, hours: int = 0,
    ) -> None:  # fmt: skip
        if kind is not Kind.REPEAT:  # a reminder of the same warning changes nothing shown
            self._signal(event, kind)
        message = message_for(
            event, self._unit_name(event.unit_id), kind, change, self._title_of(event.item_id),
            hours, self.policy.labels,
        )  # fmt: skip
        silenced = self.silenced(event)
        inhibited = self.inhibited(event)
        people = [p for p in self.audience(event, notify) if p not in (skip or set())]
        for channel in map(Channel, channels):
            if channel is Channel.SCREEN:
                status = Status.SILENCED if silenced else Status.SENT
                self._row(event, kind, channel, key, None, message, status)
                continue
            for person_id in people:
                if channel is Channel.IN_APP:
                    status = Status.SENT
                elif silenced:
                    status = Status.SILENCED
                elif inhibited:
                    status = Status.INHIBITED
                else:
                    status = Status.PENDING
                self._row(event, kind, channel, key, person_id, message, status)

    def _row(
        self, event: RiskEvent, kind: Kind, channel: Channel, key: str, person_id: int | None,
        message: Message, status: Status,
    ) -> None:  # fmt: skip
        phone = self.phone(person_id) if channel is Channel.SMS and person_id else None
        error = None
        if channel is Channel.SMS and status is Status.PENDING and not phone:
            status, error = Status.FAILED, "no phone number"
        self.rows.append(
            {
                "dedupe_key": f"{key}:{channel.value}:{person_id or '-'}",
                "channel": channel, "kind": kind, "status": status, "event_id": event.id,
                "unit_id": event.unit_id, "item_id": event.item_id, "level": event.level.value,
                "recipient_id": person_id, "phone": phone,
                "title": message.title[:200],
                # The screen shows aggregates only: no item title there.
                "body": {Channel.SMS: message.sms, Channel.SCREEN: message.title}.get(
                    channel, message.body
                ),
                "data": {"rule": event.rule, "status": event.status.value},
                "created_at": self.now,
                "next_attempt_at": self.now if status is Status.PENDING else None,
                "sent_at": self.now if status is Status.SENT else None,
                "error_message": error,
            }
        )  # fmt: skip
        if len(self.rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> int:
        """Write the collected rows (skipping keys already written); returns how many."""
        rows, self.rows = self.rows, []
        return write(self.session, rows)


@dataclass(frozen=True)
class Reminder:
    """An in-app notice that something falls due soon (a talk to hold, a rectification's
    deadline): no warning, so no event; ``link`` is the page it is about, ``key`` what it
    reminds of (once per key and person, however often the job runs)."""

    key: str
    person_id: int
    unit_id: int | None
    title: str
    body: str
    link: str


def remind(session: DbSession, reminders: Iterable[Reminder], now: datetime | None = None) -> int:
    """Write the reminders not written before; returns how many were new."""
    at = now or utcnow()
    return write(session, [
        {"dedupe_key": f"remind:{r.key}:{r.person_id}"[:200], "channel": Channel.IN_APP,
         "kind": Kind.REMINDER, "status": Status.SENT, "unit_id": r.unit_id,
         "recipient_id": r.person_id, "title": r.title[:200], "body": r.body,
         "data": {"link": r.link}, "created_at": at, "sent_at": at}
        for r in reminders
    ])  # fmt: skip


def notice(
    session: DbSession, key: str, recipients: Iterable[int], title: str, body: str,
    data: Mapping[str, Any] | None = None, unit_id: int | None = None,
) -> int:  # fmt: skip
    """In-app notices of another domain (a monthly report is ready …) to ``recipients``,
    in the caller's transaction; ``key`` names the news, so that writing it twice (a job
    retried) tells nobody twice.  Returns how many were written."""
    now = utcnow()
    rows = [
        {"dedupe_key": f"notice:{key}:{person_id}"[:200], "channel": Channel.IN_APP,
         "kind": Kind.NOTICE, "status": Status.SENT, "unit_id": unit_id,
         "recipient_id": person_id, "title": title[:200], "body": body,
         "data": dict(data or {}), "created_at": now, "sent_at": now}
        for person_id in sorted(set(recipients))
    ]  # fmt: skip
    return write(session, rows)


# Every row carries every column the inserts name, so that one statement serves them all.
_BLANK: dict[str, Any] = {
    "event_id": None, "unit_id": None, "item_id": None, "level": None, "recipient_id": None,
    "phone": None, "data": {}, "next_attempt_at": None, "sent_at": None,
    "error_message": None, "provider_sid": None, "delivery_status": None,
}  # fmt: skip


_TABLE: sa.Table = Notification.__table__  # type: ignore[assignment]
_RETURNING = (
    "id", "channel", "status", "recipient_id", "kind", "level", "unit_id", "event_id", "title",
    "body", "created_at", "data",
)  # fmt: skip
# PostgreSQL: one statement for any number of rows (riskctl.core.bulk); a first scan
# raising thousands of warnings paid seconds converting multi-row VALUES lists.
_UNNEST = UnnestInsert(
    _TABLE, ["dedupe_key", "channel", "kind", "status", "title", "body", "created_at", *_BLANK],
    conflict=["dedupe_key"], returning=_RETURNING,
)  # fmt: skip


def write(session: DbSession, rows: list[dict[str, Any]]) -> int:
    """Insert notifications, skipping dedupe keys already present; remember the pushes."""
    if not rows:
        return 0
    pushes = session.info.setdefault(PUSH_KEY, [])
    written = 0
    for row in _insert(session.connection(), [{**_BLANK, **r} for r in rows]):
        written += 1
        if row["channel"] is Channel.SMS or row["status"] is not Status.SENT:
            continue
        if len(pushes) < PUSH_LIMIT:
            pushes.append(dict(row))
        else:
            session.info[RESYNC_KEY] = True
    return written


def _insert(connection: sa.Connection, rows: list[dict[str, Any]]) -> Iterator[Any]:
    """The rows written (their ``_RETURNING`` columns); those whose key exists are skipped."""
    if connection.dialect.name == "postgresql":
        yield from _UNNEST.execute(connection, rows).mappings()
        return
    # One cached statement, executed for many rows (SQLAlchemy batches them into
    # multi-row INSERTs with RETURNING).  Core, not the ORM's bulk path: the latter
    # splices the batches' RETURNING rows together in time that grows with the square
    # of the rows.
    statement = (
        sqlite.insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(*(_TABLE.c[name] for name in _RETURNING))
    )
    for n in range(0, len(rows), 500):
        yield from connection.execute(statement, rows[n : n + 500]).mappings()
