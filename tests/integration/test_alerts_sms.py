"""The SMS dispatcher with the real ``twilio`` client against a local fake Twilio: attempts
on record, 429 retried with backoff, unknown outcomes reconciled before any resend, both
of twilio's exception types, the signed status webhook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from riskctl.alerts import dispatch
from riskctl.alerts.fake_twilio import FakeTwilio
from riskctl.alerts.models import Channel, DeliveryAttempt, Kind, Notification, Status
from riskctl.alerts.outbox import write
from riskctl.alerts.sms import TwilioBackend
from riskctl.core.clock import set_clock
from riskctl.risk import services as risk
from tests.conftest import make_app, pin_clock

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing: no quiet hours
FROM = "+15005550006"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock(NOW)
    set_clock(c)
    yield c
    pin_clock()


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def twilio(fake: FakeTwilio) -> TwilioBackend:
    return TwilioBackend(fake.account_sid, fake.auth_token, FROM, base_url=fake.url, timeout=1)


def _outbox(session: Any, n: int, *, level: str = "red", tag: str = "t") -> list[int]:
    rows = [
        {
            "dedupe_key": f"{tag}:{i}", "channel": Channel.SMS, "kind": Kind.RAISED,
            "status": Status.PENDING, "level": level, "recipient_id": None,
            "phone": f"+86139{i:08d}", "title": f"预警{i}", "body": f"【廉政风险】测试{tag}{i}",
            "data": {}, "created_at": NOW, "next_attempt_at": NOW,
        }
        for i in range(n)
    ]  # fmt: skip
    write(session, rows)
    return list(session.scalars(sa.select(Notification.id).where(
        Notification.dedupe_key.like(f"{tag}:%")).order_by(Notification.id)))  # fmt: skip


def _send(session: Any, backend: Any, clock: Clock, **kw: Any) -> dispatch.DispatchResult:
    """One round, one request at a time unless the test asks for more."""
    options = {"parallel": 1, **kw}
    return dispatch.dispatch_sms(
        session, backend, risk.current_policy(session), now=clock, **options
    )


def _statuses(session: Any, ids: list[int]) -> list[str]:
    session.expire_all()
    return [session.get(Notification, i).status.value for i in ids]


def test_messages_go_out_through_the_real_client_with_attempts_on_record(
    session, clock, fake, twilio
):
    ids = _outbox(session, 3)
    result = _send(session, twilio, clock)
    assert result.sent == 3 and _statuses(session, ids) == ["sent"] * 3
    assert [m["body"] for m in fake.messages] == [f"【廉政风险】测试t{i}" for i in range(3)]
    for i, message in zip(ids, fake.messages, strict=True):
        n = session.get(Notification, i)
        assert n.provider_sid == message["sid"] and n.delivery_status == "queued"
        (attempt,) = session.scalars(sa.select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id == i)).all()  # fmt: skip
        assert attempt.outcome == "sent" and attempt.provider_sid == message["sid"]
        assert attempt.finished_at is not None and attempt.backend == "twilio"
    assert _send(session, twilio, clock).sent == 0  # nothing twice


@pytest.mark.parametrize(
    "rfc9457", [False, True], ids=["TwilioRestException", "TwilioServiceException"]
)
def test_429_is_retried_with_growing_waits_and_no_tight_loop(session, clock, fake, twilio, rfc9457):
    ids = _outbox(session, 2)
    fake.misbehave(3, 429, rfc9457=rfc9457)
    first = _send(session, twilio, clock)
    # the batch stops at the first refusal: one request, not one per message
    assert first.retried == 1 and first.sent == 0 and len(fake.creates()) == 1
    waits = []
    for _ in range(2):
        session.expire_all()
        n = session.get(Notification, ids[0])
        waits.append(n.next_attempt_at - clock.at)
        assert _send(session, twilio, clock).sent == 0  # not due yet: no request
        clock.at = n.next_attempt_at
        _send(session, twilio, clock)
    assert waits[1] > waits[0] >= timedelta(seconds=4)
    clock.advance(minutes=20)
    _send(session, twilio, clock)
    assert _statuses(session, ids) == ["sent", "sent"]
    assert len(fake.messages) == 2 and len(fake.creates()) == 5  # 3 refused + 2 accepted
    attempts = session.scalars(sa.select(DeliveryAttempt.outcome).where(
        DeliveryAttempt.notification_id == ids[0]).order_by(DeliveryAttempt.id)).all()  # fmt: skip
    assert attempts == ["retry", "retry", "retry", "sent"]


def test_a_5xx_after_the_message_was_made_is_reconciled_not_resent(session, clock, fake, twilio):
    (i,) = _outbox(session, 1)
    fake.misbehave(1, 500, store=True)
    assert _send(session, twilio, clock).unknown == 1
    assert _statuses(session, [i]) == ["unknown"] and len(fake.messages) == 1
    clock.advance(minutes=1)
    result = _send(session, twilio, clock)
    assert result.reconciled == 1 and _statuses(session, [i]) == ["sent"]
    n = session.get(Notification, i)
    assert n.provider_sid == fake.messages[0]["sid"] and not n.duplicate_suspected
    assert len(fake.messages) == 1 and len(fake.creates()) == 1


def test_a_5xx_before_the_message_was_made_is_resent_and_marked(session, clock, fake, twilio):
    (i,) = _outbox(session, 1)
    fake.misbehave(1, 503, rfc9457=True)
    _send(session, twilio, clock)
    clock.advance(minutes=1)
    _send(session, twilio, clock)
    assert _statuses(session, [i]) == ["sent"] and len(fake.messages) == 1
    n = session.get(Notification, i)
    assert n.duplicate_suspected  # recorded: the only case where two could arrive
    outcomes = session.scalars(sa.select(DeliveryAttempt.outcome).where(
        DeliveryAttempt.notification_id == i).order_by(DeliveryAttempt.id)).all()  # fmt: skip
    assert outcomes == ["unknown", "reconciled_absent", "sent"]


def test_a_timeout_is_an_unknown_outcome(session, clock, fake, twilio):
    (i,) = _outbox(session, 1)
    fake.misbehave(1, 201, delay=2)  # slower than the client's 1 s: created all the same
    assert _send(session, twilio, clock).unknown == 1
    clock.advance(minutes=1)
    _send(session, twilio, clock)
    assert _statuses(session, [i]) == ["sent"] and len(fake.messages) == 1


def test_a_bad_number_fails_for_good(session, clock, fake, twilio):
    (i,) = _outbox(session, 1)
    fake.misbehave(1, 400, code=21211)
    assert _send(session, twilio, clock).failed == 1
    n = session.get(Notification, i)
    assert n.status is Status.FAILED and n.error_code == "21211"
    clock.advance(hours=1)
    assert _send(session, twilio, clock).sent == 0 and len(fake.creates()) == 1


def test_an_attempt_a_dead_dispatcher_left_is_reconciled(session, clock, fake, twilio):
    (i,) = _outbox(session, 1)
    # What a dispatcher killed mid-request leaves: the attempt on record, no outcome —
    # and, here, a message the provider did create.
    n = session.get(Notification, i)
    n.status, n.attempts = Status.SENDING, 1
    session.add(DeliveryAttempt(notification_id=i, backend="twilio", started_at=NOW))
    twilio.client.messages.create(to=n.phone, from_=FROM, body=n.body)
    session.flush()
    clock.advance(seconds=30)
    assert _send(session, twilio, clock, stale_after=timedelta(seconds=90)).reconciled == 0
    clock.advance(seconds=61)
    result = _send(session, twilio, clock, stale_after=timedelta(seconds=90))
    assert result.reconciled == 1 and _statuses(session, [i]) == ["sent"]
    assert len(fake.messages) == 1


def test_the_provider_down_for_a_while_then_everything_is_delivered_once(
    session, clock, fake, twilio
):
    ids = _outbox(session, 20)
    fake.misbehave(4, 500)
    fake.misbehave(4, 429)
    rounds = 0
    while rounds < 1000 and set(_statuses(session, ids)) != {"sent"}:
        _send(session, twilio, clock, parallel=4)  # a dispatch every 5 s, up to 80 minutes
        clock.advance(seconds=5)
        rounds += 1
    assert set(_statuses(session, ids)) == {"sent"}
    bodies = [m["body"] for m in fake.messages]
    assert sorted(bodies) == sorted(set(bodies)) and len(bodies) == 20
    # no tight loop: at most one chunk of 4 requests per round while the provider refused
    assert len(fake.creates()) <= 20 + 8 * 4
    # the waits grew (5 s doubling, capped at 15 min): recovered within the hour
    assert rounds * 5 < 3600


# ---------------------------------------------------------------- status webhook


def _signature(url: str, params: dict[str, str], token: str = "tw-secret") -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_the_status_webhook_checks_the_signature_and_keeps_the_furthest_status(
    backend, session, clock, fake, twilio, tmp_path
):
    from tests.conftest import fresh_database

    url, cleanup = fresh_database(backend, tmp_path)
    apps = []
    try:
        app = make_app(url, TWILIO_AUTH_TOKEN="tw-secret")
        apps.append(app)
        with app.app_context():
            from flask_migrate import upgrade

            from riskctl.extensions import db

            upgrade()
            write(db.session, [{
                "dedupe_key": "w:1", "channel": Channel.SMS, "kind": Kind.RAISED,
                "status": Status.SENT, "level": "red", "phone": "+8613900000001", "title": "t",
                "body": "b", "data": {}, "created_at": NOW, "provider_sid": "SMabc",
                "delivery_status": "queued",
            }])  # fmt: skip
            db.session.commit()
        web = app.test_client()
        endpoint = "http://localhost/api/v1/webhooks/twilio/status"

        def callback(status: str, signature: str | None = None) -> Any:
            params = {"MessageSid": "SMabc", "MessageStatus": status, "AccountSid": "AC1"}
            sig = signature if signature is not None else _signature(endpoint, params)
            return web.post(endpoint, data=params, headers={"X-Twilio-Signature": sig})

        bad = callback("delivered", signature="bm90IGEgc2lnbmF0dXJl")
        assert bad.status_code == 403 and bad.json["error"]["code"] == "invalid_signature"
        assert callback("sent").status_code == 200
        assert callback("delivered").json == {"known": True}
        assert callback("delivered").status_code == 200  # idempotent
        assert callback("sent").status_code == 200  # late and out of order: ignored
        with app.app_context():
            from riskctl.extensions import db

            n = db.session.scalar(
                sa.select(Notification).where(Notification.provider_sid == "SMabc")
            )
            assert n.delivery_status == "delivered"
        # Behind a TLS proxy Twilio signs the public https URL; with PROXY_HOPS the
        # app rebuilds it from X-Forwarded-* and the signature holds.
        apps.append(make_app(url, TWILIO_AUTH_TOKEN="tw-secret", PROXY_HOPS=1))
        proxied = apps[-1].test_client()
        public = "https://riskctl.example.gov.cn/api/v1/webhooks/twilio/status"
        params = {"MessageSid": "SMabc", "MessageStatus": "read"}
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "riskctl.example.gov.cn",
                     "X-Forwarded-For": "203.0.113.9"}  # fmt: skip
        headers = {**forwarded, "X-Twilio-Signature": _signature(public, params)}
        ok = proxied.post("/api/v1/webhooks/twilio/status", data=params, headers=headers)
        assert ok.status_code == 200 and ok.json == {"known": True}
        # without the proxy setting the same request cannot be validated
        plain = web.post("/api/v1/webhooks/twilio/status", data=params, headers=headers)
        assert plain.status_code == 403
    finally:
        from riskctl.extensions import db

        for made in apps:
            with made.app_context():
                db.engine.dispose()
        cleanup()


def test_the_webhook_is_absent_without_a_twilio_token(client):
    answer = client.post("/api/v1/webhooks/twilio/status", data={"MessageSid": "SMx"})
    assert answer.status_code == 404
