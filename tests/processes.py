"""Running riskctl's real commands as processes, and a private redis-server: shared by the
multi-process tests and the alert benchmark (bench/alerts.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unshifted_env() -> dict[str, str]:
    """The environment without a shifted wall clock (.ci/shifted), for the programs that
    are not ours (redis-server, Chromium): libfaketime clashes with their allocators and
    start-up scripts, and what a shifted run puts on trial is riskctl, not them."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}


def own_tracebacks(log: str) -> list[str]:
    """The tracebacks in a process's log that pass through riskctl's own code.

    A library's teardown race is not ours to assert on: the development server's
    websocket writer thread may try to close a socket the peer already closed
    (wsproto LocalProtocolError, seen once in ~20 CI runs), which is engineio's noise
    in its own thread, not an error riskctl made or could handle."""
    package = str(ROOT / "riskctl") + "/"
    blocks = log.split("Traceback (most recent call last):")[1:]
    return [block for block in blocks if f'File "{package}' in block]


def wait_for(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


class PrivateRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary, self.port = binary, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=unshifted_env(),
        )  # fmt: skip
        wait_for(self.answers, what="redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class Processes:
    env: dict[str, str]
    logs: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, name: str, *args: str, extra: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "riskctl", *args],
                cwd=ROOT, env={**self.env, **(extra or {})}, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.running.append(process)
        return process

    def web(self, name: str) -> str:
        port = free_port()
        self.start(name, "serve", "--port", str(port))
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(base + "/api/v1/healthz"), what=f"{name} to serve")
        return base

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        return requests.get(url, headers=headers, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def riskctl_env(database_url: str, **settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKCTL_")}
    env.update(
        RISKCTL_ENV="development", RISKCTL_DATABASE_URL=database_url,
        RISKCTL_SECRET_KEY=TEST_SECRET, RISKCTL_SCHEDULER_IN_PROCESS="false",
        RISKCTL_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
    )  # fmt: skip
    for key, value in settings.items():
        env[f"RISKCTL_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def run_flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,  # a ceiling: the demo on a loaded CI machine
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def insert_warning(
    url: str, tag: str, *, level: str, age: timedelta = timedelta(0), on_screen: bool = False
) -> int:
    """An open warning about 区财政局's handler, written straight to the database of
    ``url`` (as a scan in another process would have), ``age`` old; ``on_screen``: its
    screen notification too, so that closing it tells the screens."""
    from riskctl.alerts.models import Channel, Kind, Notification, Status
    from riskctl.org.models import Person, Unit
    from riskctl.risk.models import EventStatus, Level, RiskEvent

    # The wall clock, not the test's: the server in the other process runs on it.
    since = datetime.now(UTC) - age
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            unit_id, person_id = conn.execute(
                sa.select(Unit.id, Person.id)
                .join(Person, Person.unit_id == Unit.id)
                .where(Unit.code == "czj", Person.username == "czj.wangfang")
            ).one()
            event_id = conn.execute(
                sa.insert(RiskEvent).returning(RiskEvent.id),
                {"identity": f"inserted:{tag}", "rule": "item_overdue", "unit_id": unit_id,
                 "person_id": person_id, "post": "handler", "node": "apply", "severity": 100,
                 "score": 95.0 if level == "red" else 60.0, "level": Level(level),
                 "factors": {}, "evidence": {}, "status": EventStatus.OPEN,
                 "policy_version": 0, "level_since": since, "escalated": False,
                 "created_at": since, "updated_at": since},
            ).scalar_one()  # fmt: skip
            if on_screen:
                conn.execute(
                    sa.insert(Notification),
                    {"dedupe_key": f"ev{event_id}:{level}:screen:-", "channel": Channel.SCREEN,
                     "kind": Kind.RAISED, "status": Status.SENT, "event_id": event_id,
                     "unit_id": unit_id, "level": level, "title": tag, "body": tag, "data": {},
                     "created_at": since, "attempts": 0, "duplicate_suspected": False},
                )  # fmt: skip
            return int(event_id)
    finally:
        engine.dispose()
