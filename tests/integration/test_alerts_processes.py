"""Alerts across real processes: two web processes and a scheduler process sharing a Redis
message queue; Redis stopped and started; a dispatcher killed mid-request and restarted.

Each test runs its own redis-server on a free port (so that stopping it disturbs nothing
else) and its own database; the processes are the real ``flask riskctl`` commands.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import socketio as socketio_client
import sqlalchemy as sa

from riskctl.alerts.fake_twilio import FakeTwilio
from riskctl.alerts.models import Channel, DeliveryAttempt, Kind, Notification, Status
from tests.conftest import create_pg_database, drop_pg_database, need_service
from tests.processes import (
    PrivateRedis,
    Processes,
    answers,
    insert_warning,
    own_tracebacks,
    riskctl_env,
    run_flask,
    wait_for,
)

SLOW = 3600.0  # seconds: jobs a test does not want to run


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        need_service("redis-server", "the binary is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_database() -> Iterator[str]:
    url = create_pg_database("riskctl_alerts")
    yield url
    drop_pg_database(url)


def _overdue_orange(url: str, tag: str) -> int:
    """An unexplained orange of a month ago: the scheduler's escalation makes it red."""
    return insert_warning(url, tag, level="orange", age=timedelta(days=30))


def _level(url: str, event_id: int) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(sa.text("SELECT level FROM risk_event WHERE id = :id"),
                                   {"id": event_id}))  # fmt: skip
    finally:
        engine.dispose()


class Screen:
    """A big screen as the page behaves: snapshot on connect, then pushed events with a
    later seq; a heartbeat ahead of its seq makes it load the snapshot again."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token, self.seq = base, token, 0
        self.warnings: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio_client.Client(reconnection=True)
        self.client.on("connect", self._load, namespace="/screen")
        self.client.on("warning", self._warning, namespace="/screen")
        self.client.on("heartbeat", self._heartbeat, namespace="/screen")
        self.client.connect(base, namespaces=["/screen"], auth={"token": token},
                            transports=["websocket"], wait_timeout=10)  # fmt: skip

    def _load(self) -> None:
        answer = requests.get(f"{self.base}/api/v1/screen/snapshot",
                              headers={"X-Screen-Token": self.token}, timeout=5)  # fmt: skip
        snapshot = answer.json()
        with self.lock:
            self.snapshots.append(snapshot)
            self.seq = max(self.seq, snapshot["seq"])

    def _warning(self, event: dict[str, Any]) -> None:
        with self.lock:
            if event["seq"] > self.seq:
                self.seq = event["seq"]
                self.warnings.append(event)

    def _heartbeat(self, beat: dict[str, Any]) -> None:
        if beat["seq"] > self.seq:
            self._load()

    def knows(self, event_id: int) -> bool:
        with self.lock:
            pushed = any(w["event_id"] == event_id for w in self.warnings)
            loaded = any(r["id"] == event_id for s in self.snapshots for r in s["latest_red"])
        return pushed or loaded

    def pushed(self, event_id: int) -> bool:
        with self.lock:
            return any(w["event_id"] == event_id and w["level"] == "red" for w in self.warnings)

    def close(self) -> None:
        self.client.disconnect()


def test_a_red_the_scheduler_raises_reaches_screens_on_every_web_process_even_after_redis_down(
    pg_database, redis_server, tmp_path
):
    intervals = {
        job: SLOW
        for job in (
            "risk.scan",
            "risk.snapshot",
            "alerts.dispatch",
            "alerts.tick",
            "audit.seal",
            "auth.purge_expired_tokens",
        )
    }
    intervals.update({"risk.escalate": 1, "screen.heartbeat": 1})  # fmt: skip
    env = riskctl_env(pg_database, REDIS_URL=redis_server.url, SOCKETIO_CHANNEL=f"t{os.getpid()}",
               SCHEDULER_INTERVALS=intervals)  # fmt: skip
    run_flask(env, "db", "upgrade")
    run_flask(env, "riskctl", "demo", "--no-history")
    token = run_flask(env, "riskctl", "screen-token", "测试大屏").split("token=")[1].strip()
    procs = Processes(env, tmp_path)
    screens: list[Screen] = []
    try:
        web = [procs.web("web1"), procs.web("web2")]
        screens = [Screen(base, token) for base in web]
        wait_for(lambda: all(s.snapshots for s in screens), what="both screens' snapshots")
        procs.start("scheduler", "scheduler", "--standby-interval", "0.5")
        first = _overdue_orange(pg_database, "first")
        wait_for(lambda: all(s.pushed(first) for s in screens), timeout=30,
                 what="the red on both web processes' screens")  # fmt: skip

        # Redis stops: the web keeps serving, the scheduler keeps working; the push of a
        # red raised meanwhile is lost ...
        redis_server.stop()
        for base in web:
            assert answers(base + "/api/v1/healthz")
            assert answers(base + "/api/v1/screen/snapshot", {"X-Screen-Token": token})
        second = _overdue_orange(pg_database, "second")
        wait_for(lambda: _level(pg_database, second) == "red", timeout=30,
                 what="the scheduler to escalate while Redis is down")  # fmt: skip
        assert not any(s.knows(second) for s in screens)
        # ... and when Redis is back, the heartbeat shows each screen it is behind: it
        # reloads the snapshot, which holds the red.
        redis_server.start()
        wait_for(lambda: all(s.knows(second) for s in screens), timeout=60,
                 what="the screens to catch up after Redis returned")  # fmt: skip
        third = _overdue_orange(pg_database, "third")
        wait_for(lambda: all(s.pushed(third) for s in screens), timeout=60,
                 what="live pushes again after Redis returned")  # fmt: skip
    finally:
        for screen in screens:
            screen.close()
        procs.stop_all()
    logs = procs.log("web1") + procs.log("web2")
    assert not own_tracebacks(logs), logs


def test_a_dispatcher_killed_mid_request_loses_nothing_and_sends_nothing_twice(tmp_path):
    fake = FakeTwilio(delay=0.5).start()  # every request takes a while: kills land in one
    url = f"sqlite:///{tmp_path / 'riskctl.db'}"
    parallel = 8
    env = riskctl_env(url, SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=fake.account_sid,
               TWILIO_AUTH_TOKEN=fake.auth_token, TWILIO_FROM_NUMBER="+15005550006",
               TWILIO_BASE_URL=fake.url, SMS_STALE_ATTEMPT_SECONDS="0",
               SMS_PARALLEL=str(parallel))  # fmt: skip
    run_flask(env, "db", "upgrade")
    engine = sa.create_engine(url)
    total = 30
    with engine.begin() as conn:
        conn.execute(sa.insert(Notification), [
            {"dedupe_key": f"kill:{i}", "channel": Channel.SMS, "kind": Kind.RAISED,
             "status": Status.PENDING, "level": "red", "phone": f"+86139{i:08d}",
             "title": f"预警{i}", "body": f"【廉政风险】崩溃测试{i}", "data": {},
             "attempts": 0, "duplicate_suspected": False,
             "created_at": _now(), "next_attempt_at": _now()}
            for i in range(total)
        ])  # fmt: skip
    procs = Processes(env, tmp_path)
    try:
        first = procs.start("dispatch1", "dispatch", "--interval", "0.2")
        # The first chunk answered, the second's requests all at the fake and unanswered:
        # then the kill lands with every one of them in flight (none still to leave, which
        # would rightly make its resend a suspected duplicate).
        wait_for(lambda: len(fake.creates()) >= 2 * parallel, timeout=60,
                 what="the second chunk of requests at the provider")  # fmt: skip
        first.send_signal(signal.SIGKILL)  # the requests are in flight: no answer read
        first.wait()
        time.sleep(0.3)  # the fake finishes the orphaned request: the message exists
        procs.start("dispatch2", "dispatch", "--interval", "0.2")

        def all_sent() -> bool:
            with engine.connect() as conn:
                return conn.scalar(sa.select(sa.func.count()).where(
                    Notification.status == Status.SENT)) == total  # fmt: skip

        wait_for(all_sent, timeout=90, what="every SMS sent after the restart")
    finally:
        procs.stop_all()
        fake.stop()
    bodies = [m["body"] for m in fake.messages]
    assert sorted(bodies) == sorted(f"【廉政风险】崩溃测试{i}" for i in range(total))
    with engine.connect() as conn:
        outcomes = conn.execute(sa.select(DeliveryAttempt.outcome)).scalars().all()
        suspected = conn.scalar(sa.select(sa.func.count()).where(
            Notification.duplicate_suspected.is_(True)))  # fmt: skip
    engine.dispose()
    # the kill landed mid-request: that attempt became unknown and was reconciled —
    # found at the provider, so it was not sent again
    assert "unknown" in outcomes and "reconciled_sent" in outcomes
    assert suspected == 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
