"""Alert delivery: how fast a warning reaches the big screens, how fast SMS go out.

1. Latency from a risk event change's commit to its arrival at ``--clients`` connected
   screen clients (python-socketio over websocket, like the page): one web process, then
   two web processes sharing a private redis-server (the clients split between them, the
   change committed in the first).  The change is an inspector resolving a red warning
   through the API; its screen notification carries the time it was written, just before
   the commit, so each sample is (arrival − that time): a slight over-estimate.
2. ``--sms`` SMS dispatched to the local fake Twilio through the real ``twilio`` client:
   wall time and duplicates (messages the fake received more than once).

    .venv/bin/python bench/alerts.py [--clients 100] [--events 200] [--sms 1000]
        [--twilio-delay-ms 0] [--postgresql URL]

Targets (issue 5): p99 ≤ 100 ms in one process, ≤ 250 ms through Redis; 1,000 SMS in
≤ 10 s with no duplicate.  Results go to docs/benchmarks.md by hand.  At the end of each
part the audit chain of its database is sealed and verified: a broken one fails the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import socketio  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from chain_check import seal_and_verify  # noqa: E402
from scratch_db import fresh_postgres  # noqa: E402

from riskctl.org.demo import DEMO_PASSWORD  # noqa: E402
from tests.processes import (  # noqa: E402
    PrivateRedis,
    Processes,
    insert_warning,
    riskctl_env,
    run_flask,
    wait_for,
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _reds(url: str, count: int, tag: str) -> list[int]:
    """``count`` open red warnings of 区财政局, each already shown on the screen."""
    return [insert_warning(url, f"{tag}:{n}", level="red", on_screen=True) for n in range(count)]


class Clients:
    """``n`` screen clients; every 'warning' they receive is timed on arrival."""

    def __init__(self, bases: list[str], n: int, token: str) -> None:
        self.samples: list[float] = []
        self.received = 0
        self.lock = threading.Lock()
        self.clients = []
        for i in range(n):
            client = socketio.Client(reconnection=False)
            client.on("warning", self._arrived, namespace="/screen")
            client.connect(bases[i % len(bases)], namespaces=["/screen"], auth={"token": token},
                           transports=["websocket"], wait_timeout=10)  # fmt: skip
            self.clients.append(client)

    def _arrived(self, event: dict[str, Any]) -> None:
        now = time.time()
        if event["kind"] != "resolved":
            return
        written = datetime.fromisoformat(event["at"]).timestamp()
        with self.lock:
            self.samples.append((now - written) * 1000)
            self.received += 1

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()


def latency(url: str, web_count: int, clients: int, events: int, redis_url: str | None,
            logs: Path) -> dict[str, float]:  # fmt: skip
    env = riskctl_env(url, REDIS_URL=redis_url or "", SOCKETIO_CHANNEL=f"bench{os.getpid()}")
    if not redis_url:
        env.pop("RISKCTL_REDIS_URL")
    token = run_flask(env, "riskctl", "screen-token", "bench").split("token=")[1].strip()
    ids = _reds(url, events, f"{web_count}-{time.monotonic()}")
    procs = Processes(env, logs)
    screens: Clients | None = None
    try:
        bases = [procs.web(f"web{n}") for n in range(web_count)]
        screens = Clients(bases, clients, token)
        login = {"username": "jw.hexiaoping", "password": DEMO_PASSWORD}
        bearer = requests.post(f"{bases[0]}/api/v1/auth/token", json=login, timeout=10).json()
        headers = {"Authorization": f"Bearer {bearer['token']}"}
        session = requests.Session()
        started = time.perf_counter()
        for event_id in ids:
            answer = session.post(
                f"{bases[0]}/api/v1/risk-events/{event_id}/resolve", headers=headers,
                json={"disposition": "no_problem", "note": "bench"}, timeout=10,
            )  # fmt: skip
            assert answer.status_code == 200, answer.text
            time.sleep(0.02)
        wait_for(lambda: screens.received >= events * clients, timeout=120,
                 what="every client to receive every warning")  # fmt: skip
        elapsed = time.perf_counter() - started
        samples = screens.samples
        return {
            "samples": len(samples), "p50": percentile(samples, 50),
            "p99": percentile(samples, 99), "max": max(samples),
            "mean": statistics.fmean(samples), "seconds": elapsed,
        }  # fmt: skip
    finally:
        if screens is not None:
            screens.close()
        procs.stop_all()


def sms(url: str, count: int, delay_ms: float) -> dict[str, float]:
    from flask_migrate import upgrade

    from riskctl import create_app
    from riskctl.alerts import dispatch
    from riskctl.alerts.fake_twilio import FakeTwilio
    from riskctl.alerts.models import Channel, Kind, Notification, Status
    from riskctl.alerts.outbox import write
    from riskctl.alerts.sms import TwilioBackend
    from riskctl.extensions import db
    from riskctl.risk import services as risk
    from riskctl.risk.policy import Policy

    fake = FakeTwilio(delay=delay_ms / 1000).start()
    app = create_app("testing", {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 32})
    try:
        with app.app_context():
            upgrade()
            now = datetime.now(UTC)
            write(db.session, [
                {"dedupe_key": f"bench:{n}", "channel": Channel.SMS, "kind": Kind.RAISED,
                 "status": Status.PENDING, "level": "red", "phone": f"+86139{n:08d}",
                 "title": "bench", "body": f"【廉政风险】红色预警{n}：区财政局「整体超时」。",
                 "data": {}, "created_at": now, "next_attempt_at": now}
                for n in range(count)
            ])  # fmt: skip
            db.session.commit()
            current = risk.current_policy(db.session)
            body = {**current.body, "alerts": {**current.alerts, "sms_caps": {
                "per_recipient_per_hour": 100, "global_per_hour": 100_000}}}  # fmt: skip
            policy = Policy(current.version, body, current.unit_codes)
            backend = TwilioBackend(fake.account_sid, fake.auth_token, "+15005550006",
                                    base_url=fake.url, timeout=10)  # fmt: skip
            started = time.perf_counter()
            rounds = 0
            while True:
                rounds += 1
                result = dispatch.dispatch_sms(db.session, backend, policy, limit=count,
                                               stale_after=timedelta(seconds=90))  # fmt: skip
                if result.sent == 0:
                    break
            elapsed = time.perf_counter() - started
            sent = db.session.scalar(sa.select(sa.func.count()).where(
                Notification.status == Status.SENT))  # fmt: skip
            db.session.remove()
            db.engine.dispose()
        bodies = [m["body"] for m in fake.messages]
        return {"sent": float(sent or 0), "received": float(len(bodies)),
                "duplicates": float(len(bodies) - len(set(bodies))), "seconds": elapsed,
                "per_second": (sent or 0) / elapsed, "rounds": float(rounds)}  # fmt: skip
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--sms", type=int, default=1000)
    parser.add_argument("--twilio-delay-ms", type=float, default=0.0,
                        help="time the fake Twilio takes per request")  # fmt: skip
    parser.add_argument("--postgresql", metavar="URL", help="run on PostgreSQL (scratch database)")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        drop = None
        if args.postgresql:
            url, drop = fresh_postgres(args.postgresql, "riskctl_bench_alerts")
        else:
            url = f"sqlite:///{logs / 'bench.db'}"
        try:
            if not args.skip_latency:
                env = riskctl_env(url)
                run_flask(env, "db", "upgrade")
                run_flask(env, "riskctl", "demo", "--no-history")
                one = latency(url, 1, args.clients, args.events, None, logs)
                print(f"latency, 1 web process, {args.clients} clients × {args.events} events: "
                      + ", ".join(f"{k} {v:.1f}" for k, v in one.items()))  # fmt: skip
                redis = PrivateRedis()
                redis.start()
                try:
                    two = latency(url, 2, args.clients, args.events, redis.url, logs)
                finally:
                    redis.stop()
                figures = ", ".join(f"{k} {v:.1f}" for k, v in two.items())
                print(f"latency, 2 web processes via Redis, {args.clients} clients × "
                      f"{args.events} events: {figures}")  # fmt: skip
                seal_and_verify(url)
            # The SMS run gets an empty database of its own.
            if args.postgresql:
                sms_url, drop_sms = fresh_postgres(args.postgresql, "riskctl_bench_sms")
            else:
                sms_url, drop_sms = f"sqlite:///{logs / 'sms.db'}", None
            try:
                result = sms(sms_url, args.sms, args.twilio_delay_ms)
                seal_and_verify(sms_url)
            finally:
                if drop_sms:
                    drop_sms()
            print(f"SMS to the fake Twilio ({args.twilio_delay_ms:g} ms per request): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in result.items()))  # fmt: skip
        finally:
            if drop:
                drop()


if __name__ == "__main__":
    main()
