"""Sending the SMS in the outbox, and the periodic work of alerting (scheduler jobs).

``dispatch_sms`` commits after each step of each message, so that a dispatcher killed at
any moment leaves a record of where it was:

1. an attempt is written (and committed) *before* the request goes out;
2. its outcome is written after the answer.

An attempt found unfinished later belongs to a dispatcher that died mid-request; its
message may or may not exist at the provider, so it becomes ``unknown`` and is
reconciled (``backend.find``) before any resend.  That is the only way an SMS can be
sent twice, and such a resend is marked ``duplicate_suspected``.

``tick`` writes reminders of open warnings, escalations of unacknowledged ones and the
morning digest of what quiet hours held back.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.alerts.models import Channel, DeliveryAttempt, Kind, Notification, Status
from riskctl.alerts.outbox import SMS_TAG, Notifier, write
from riskctl.alerts.sms import Accepted, Retry, SmsBackend, SmsProblem, Unknown
from riskctl.core import calendar_store
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.risk.labels import in_force as labels_in_force
from riskctl.risk.models import EventStatus, Level, RiskEvent
from riskctl.risk.policy import Policy

MAX_BACKOFF = timedelta(minutes=15)
SUMMARY_KINDS = (Kind.SUMMARY, Kind.DIGEST)


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    reconciled: int = 0
    held: int = 0
    capped: int = 0
    paused: str | None = None  # why the batch stopped early (the provider pushes back)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent, "retried": self.retried, "unknown": self.unknown,
            "failed": self.failed, "reconciled": self.reconciled, "held": self.held,
            "capped": self.capped, "paused": self.paused,
        }  # fmt: skip


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential from 5 s, capped at 15 min, with jitter; a Retry-After is honoured."""
    if retry_after:
        return min(timedelta(seconds=retry_after), MAX_BACKOFF)
    seconds = min(5 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def in_quiet_hours(policy: Policy, at: datetime) -> bool:
    quiet = policy.alerts["quiet_hours"]
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    local = at.astimezone(calendar_store.zone()).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def _finish(
    attempt: DeliveryAttempt, outcome: str, now: datetime, problem: SmsProblem | None = None,
    sid: str | None = None,
) -> None:  # fmt: skip
    attempt.outcome, attempt.finished_at, attempt.provider_sid = outcome, now, sid
    if problem is not None:
        attempt.http_status, attempt.error_code = problem.http_status, problem.code
        attempt.error_message = str(problem)[:500]


def dispatch_sms(
    session: DbSession, backend: SmsBackend, policy: Policy, *, limit: int = 200,
    parallel: int = 8, stale_after: timedelta = timedelta(seconds=90),
    now: Callable[[], datetime] = utcnow,
) -> DispatchResult:  # fmt: skip
    """Send what is due, commit by commit (see the module docstring)."""
    result = DispatchResult()
    _recover_abandoned(session, now() - stale_after, now())
    session.commit()
    if _reconcile_unknown(session, backend, now, result):
        _prepare(session, policy, now(), result)
        session.commit()
        _send_due(session, backend, now, limit, max(1, parallel), result)
    return result


def _recover_abandoned(session: DbSession, before: datetime, now: datetime) -> None:
    for attempt in session.scalars(
        sa.select(DeliveryAttempt).where(
            DeliveryAttempt.finished_at.is_(None), DeliveryAttempt.started_at <= before
        )
    ):
        _finish(attempt, "unknown", now, Unknown("the dispatcher stopped during the request"))
        notification = session.get(Notification, attempt.notification_id)
        if notification is not None and notification.status is Status.SENDING:
            notification.status, notification.next_attempt_at = Status.UNKNOWN, now


def _reconcile_unknown(
    session: DbSession, backend: SmsBackend, now: Callable[[], datetime], result: DispatchResult
) -> bool:
    """Ask the provider about each message whose outcome is unknown.  False: the
    provider cannot answer yet, so nothing else is sent in this round."""
    due = session.scalars(
        sa.select(Notification)
        .where(Notification.status == Status.UNKNOWN, Notification.next_attempt_at <= now())
        .order_by(Notification.id)
    ).all()
    for notification in due:
        assert notification.phone is not None
        first = session.scalar(
            sa.select(sa.func.min(DeliveryAttempt.started_at)).where(
                DeliveryAttempt.notification_id == notification.id
            )
        )
        attempt = DeliveryAttempt(
            notification_id=notification.id, backend=backend.name, started_at=now()
        )
        session.add(attempt)
        try:
            found = backend.find(notification.phone, notification.body, first or now())
        except SmsProblem as problem:
            _finish(attempt, "reconcile_failed", now(), problem)
            notification.next_attempt_at = now() + backoff(notification.attempts)
            session.commit()
            result.paused = f"cannot reconcile: {problem}"
            return False
        if found is not None:
            _finish(attempt, "reconciled_sent", now(), sid=found.sid)
            notification.status, notification.provider_sid = Status.SENT, found.sid
            notification.delivery_status = notification.delivery_status or found.status
            notification.sent_at = now()
        else:
            _finish(attempt, "reconciled_absent", now())
            notification.status, notification.next_attempt_at = Status.PENDING, now()
            # Absent now, yet a late-arriving original remains possible: say so.
            notification.duplicate_suspected = True
        result.reconciled += 1
        session.commit()
    return True


def _prepare(session: DbSession, policy: Policy, now: datetime, result: DispatchResult) -> None:
    """Quiet hours and caps, decided when a message is due rather than when written."""
    pending = session.scalars(
        sa.select(Notification)
        .where(
            Notification.channel == Channel.SMS, Notification.status == Status.PENDING,
            Notification.next_attempt_at <= now, Notification.attempts == 0,
        )
        .order_by(Notification.id)
    ).all()  # fmt: skip
    if not pending:
        return
    quiet = in_quiet_hours(policy, now)
    caps = policy.alerts["sms_caps"]
    hour_ago = now - timedelta(hours=1)
    sent = session.execute(
        sa.select(Notification.recipient_id, Notification.phone, sa.func.count())
        .where(Notification.channel == Channel.SMS, Notification.sent_at > hour_ago)
        .group_by(Notification.recipient_id, Notification.phone)
    ).all()

    def whom(recipient_id: int | None, phone: str | None) -> str:
        return f"p{recipient_id}" if recipient_id is not None else f"n{phone}"

    per_person: Counter[str] = Counter()
    for recipient_id, phone, count in sent:
        per_person[whom(recipient_id, phone)] += count
    total = sum(per_person.values())
    summaries: list[dict[str, Any]] = []
    # Red first: when a cap bites, the most serious messages go out.
    rank = {"red": 0, "orange": 1, "yellow": 2}

    def order(n: Notification) -> tuple[bool, int, int]:
        return n.kind not in SUMMARY_KINDS, rank.get(n.level or "", 3), n.id

    for n in sorted(pending, key=order):
        who = whom(n.recipient_id, n.phone)
        if n.kind in SUMMARY_KINDS:
            per_person[who] += 1
            total += 1
            continue
        if quiet and n.level != Level.RED.value:
            n.status, n.next_attempt_at = Status.HELD, None
            result.held += 1
            continue
        if per_person[who] >= caps["per_recipient_per_hour"] or total >= caps["global_per_hour"]:
            n.status, n.next_attempt_at = Status.CAPPED, None
            result.capped += 1
            bucket = now.replace(minute=0, second=0, microsecond=0)
            summaries.append(_summary_row(n, bucket, bucket + timedelta(hours=1)))
            continue
        per_person[who] += 1
        total += 1
    write(session, summaries)


def _summary_row(n: Notification, bucket: datetime, due: datetime) -> dict[str, Any]:
    return {
        # The hour in UTC: the same hour gives the same key whatever zone the caller's
        # clock is in, so that the dedupe key holds.
        "dedupe_key": f"summary:{n.recipient_id}:{bucket.astimezone(UTC):%Y%m%d%H}",
        "channel": Channel.SMS,
        "kind": Kind.SUMMARY, "status": Status.PENDING, "unit_id": None, "level": None,
        "recipient_id": n.recipient_id, "phone": n.phone, "title": "预警短信汇总",
        "body": "", "data": {}, "created_at": bucket, "next_attempt_at": due,
    }  # fmt: skip


def _counted(session: DbSession, recipient_id: int | None, status: Status, then: Status) -> str:
    """Mark ``status`` rows of the recipient as ``then``; their count by level, in words."""
    rows = session.scalars(
        sa.select(Notification).where(
            Notification.recipient_id == recipient_id, Notification.channel == Channel.SMS,
            Notification.status == status,
        )
    ).all()  # fmt: skip
    levels = Counter(n.level for n in rows)
    for n in rows:
        n.status = then
    labels = labels_in_force(session)  # 红2橙1; whole names where they start alike
    parts = "".join(
        f"{labels.abbreviation(lv)}{levels[lv]}" for lv in ("red", "orange", "yellow") if levels[lv]
    )
    return f"{len(rows)}条（{parts}）" if rows else "0条"


def _send_due(
    session: DbSession, backend: SmsBackend, now: Callable[[], datetime], limit: int,
    parallel: int, result: DispatchResult,
) -> None:  # fmt: skip
    # The provider pushed back in the last round (429, or no clear answer): nothing goes
    # out to it until that wait is over — a pause for the channel, not per message.
    last = session.execute(
        sa.select(DeliveryAttempt.outcome, Notification.next_attempt_at)
        .join(Notification, Notification.id == DeliveryAttempt.notification_id)
        .where(DeliveryAttempt.outcome.in_(("sent", "retry", "unknown", "failed")))
        .order_by(DeliveryAttempt.id.desc())
        .limit(parallel)
    ).all()
    waits = [wait for outcome, wait in last if outcome in ("retry", "unknown") and wait]
    if waits and max(waits) > now():
        result.paused = f"the provider pushed back; waiting until {max(waits):%H:%M:%S} UTC"
        return
    query = (
        sa.select(Notification)
        .where(
            Notification.channel == Channel.SMS, Notification.status == Status.PENDING,
            Notification.next_attempt_at <= now(),
        )
        .order_by(Notification.id)
        .limit(limit)
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.scalars(query).all()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sms") as pool:
        for n in range(0, len(due), parallel):
            _send_chunk(session, backend, now, due[n : n + parallel], pool, result)
            if result.paused:
                break  # the provider pushes back: no tight loop, the next round tries again


def _send_chunk(
    session: DbSession, backend: SmsBackend, now: Callable[[], datetime],
    chunk: Sequence[Notification], pool: ThreadPoolExecutor, result: DispatchResult,
) -> None:  # fmt: skip
    """Up to ``parallel`` requests in flight at once: their attempts are committed
    before any leaves, their outcomes together after the last answer (a dispatcher killed
    in between leaves unfinished attempts: unknown outcomes, reconciled later)."""
    attempts = []
    requests: list[tuple[str, str, str]] = []
    for notification in chunk:
        if notification.kind is Kind.SUMMARY and not notification.body:
            counted = _counted(session, notification.recipient_id, Status.CAPPED, Status.SUMMARISED)
            notification.body = f"{SMS_TAG}近1小时另有{counted}预警短信未逐条发送，请登录平台查看。"
        attempt = DeliveryAttempt(
            notification_id=notification.id, backend=backend.name, started_at=now()
        )
        session.add(attempt)
        attempts.append(attempt)
        notification.status = Status.SENDING
        notification.attempts += 1
        assert notification.phone is not None
        # Read here: the threads must not touch the session (rows expire at commit).
        requests.append((notification.phone, notification.body, notification.dedupe_key))
    session.commit()  # the attempts are on record before the requests leave

    def send(request: tuple[str, str, str]) -> Accepted | SmsProblem:
        phone, body, key = request
        try:
            return backend.send(phone, body, reference=key)
        except SmsProblem as problem:
            return problem

    for notification, attempt, outcome in zip(
        chunk, attempts, pool.map(send, requests), strict=True
    ):
        _record(notification, attempt, outcome, now(), result)
    session.commit()


def _record(
    notification: Notification, attempt: DeliveryAttempt, outcome: Accepted | SmsProblem,
    at: datetime, result: DispatchResult,
) -> None:  # fmt: skip
    if isinstance(outcome, Accepted):
        _finish(attempt, "sent", at, sid=outcome.sid)
        notification.status, notification.provider_sid = Status.SENT, outcome.sid
        notification.delivery_status = outcome.status
        notification.sent_at, notification.next_attempt_at = at, None
        notification.error_code = notification.error_message = None
        result.sent += 1
        return
    notification.error_code, notification.error_message = outcome.code, str(outcome)[:500]
    if isinstance(outcome, Retry):
        _finish(attempt, "retry", at, outcome)
        notification.status = Status.PENDING
        notification.next_attempt_at = at + backoff(notification.attempts, outcome.retry_after)
        result.retried += 1
        result.paused = f"provider asked to wait: {outcome}"
    elif isinstance(outcome, Unknown):
        _finish(attempt, "unknown", at, outcome)
        notification.status = Status.UNKNOWN
        notification.next_attempt_at = at + backoff(notification.attempts)
        result.unknown += 1
        result.paused = f"provider did not answer clearly: {outcome}"
    else:
        _finish(attempt, "failed", at, outcome)
        notification.status, notification.next_attempt_at = Status.FAILED, None
        result.failed += 1


# ---------------------------------------------------------------- periodic


def tick(session: DbSession, policy: Policy, *, at: datetime | None = None) -> dict[str, int]:
    """Reminders, escalations and the digest; the caller commits."""
    at = at or utcnow()
    alerts = policy.alerts
    notifier = Notifier(session, policy, at)
    reminded = escalated = 0
    ack_expiry = timedelta(hours=alerts["ack_expires_hours"])
    events = session.scalars(
        sa.select(RiskEvent).where(
            RiskEvent.status.in_([EventStatus.OPEN.value, EventStatus.ACKNOWLEDGED.value])
        )
    ).all()
    for event in events:
        level = event.level.value
        acknowledged = (
            event.status is EventStatus.ACKNOWLEDGED
            and event.acknowledged_at is not None
            and event.acknowledged_at + ack_expiry > at
        )
        every = alerts["repeat_hours"][level]
        if every and not acknowledged:
            # Rounds count from the level's start; those that fell while an
            # acknowledgement held are skipped, and the current one goes out when it ends.
            round_ = int((at - event.level_since).total_seconds() // (every * 3600))
            if round_ >= 1:
                notifier.repeat(event, round_)
                reminded += 1
        wait = alerts["escalate_after_hours"][level]
        if (
            wait
            and event.status is EventStatus.OPEN
            and at - event.level_since >= timedelta(hours=wait)
        ):
            notifier.escalated(event, wait)
            escalated += 1
    written = notifier.flush()
    digests = 0 if in_quiet_hours(policy, at) else _digest(session, at)
    return {"reminded": reminded, "escalated": escalated, "written": written, "digests": digests}


def _digest(session: DbSession, at: datetime) -> int:
    """After quiet hours: one SMS per recipient counting what was held back."""
    held = session.execute(
        sa.select(
            Notification.recipient_id, sa.func.max(Notification.phone), sa.func.min(Notification.id)
        )
        .where(Notification.channel == Channel.SMS, Notification.status == Status.HELD)
        .group_by(Notification.recipient_id)
    ).all()
    rows: list[dict[str, Any]] = []
    for recipient_id, phone, first in held:
        counted = _counted(session, recipient_id, Status.HELD, Status.DIGESTED)
        rows.append(
            {
                "dedupe_key": f"digest:{recipient_id}:{first}", "channel": Channel.SMS,
                "kind": Kind.DIGEST, "status": Status.PENDING, "recipient_id": recipient_id,
                "phone": phone, "title": "夜间预警汇总", "level": None, "unit_id": None,
                "body": f"{SMS_TAG}夜间共有{counted}预警，请登录平台查看。", "data": {},
                "created_at": at, "next_attempt_at": at,
            }
        )  # fmt: skip
    return write(session, rows)
