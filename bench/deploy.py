"""A deployment under load: two web processes behind a proxy, one scheduler, PostgreSQL,
Redis; Locust's simulated people and many big screens; one web process killed midway.

    .venv/bin/pip install -e '.[bench]'      # locust, gunicorn; haproxy from Debian
    .venv/bin/python bench/deploy.py --users 20 --screens 20 --seconds 60
    .venv/bin/python bench/deploy.py --users 300 --screens 500 --seconds 300

What runs, all on loopback (each a process of its own):
- a private redis-server (``--redis-port``, 6391): the Socket.IO message queue and the
  login counters; the shared Redis is left alone;
- two web processes, each ``gunicorn -k gthread -w 1 --threads N wsgi:app`` (Flask-SocketIO
  in threading mode: one worker per process, a thread per websocket), RISKCTL_ENV=production;
- HAProxy in front of them, sticky by an inserted ``SERVERID`` cookie (every client comes
  from 127.0.0.1, so a hash of the source would send them all to one process), health
  checks on /api/v1/healthz, ``option redispatch`` so that a dead process's clients move;
- ``flask riskctl scheduler`` (the PostgreSQL advisory-lock leader), its risk scan every
  ``--scan-every`` seconds (60 in production: shorter so that warnings flow during the run);
- the fake Twilio (``flask riskctl fake-twilio``): production refuses the console SMS backend;
- PostgreSQL: the database of ``--database-url`` (bench_deploy), emptied, migrated and
  loaded with the demo (``--keep-data`` skips that);
- Locust, headless (bench/locustfile.py), ``--users`` people for ``--seconds``;
- ``--screens`` kiosk screens in one asyncio process (python-socketio's AsyncClient), each
  doing what the /screen page does: load the snapshot on every (re)connect, reload it 0.8 s
  after a signal (risk_event, warning, resync, a heartbeat ahead of it) and every minute;
  half connect by websocket at once (as the page does), half by polling then upgrading
  (which needs the stickiness).

At half time the first web process (its gunicorn master and worker) is killed with SIGKILL.
Figures: Locust's per-name requests/s and percentiles, the failures (those within 10 s of
the kill apart), the CPU of every process, and the delivery check: every warning raised
during the run (risk_event rows newer than the start) must have notifications in the
outbox and must have reached every screen, either pushed live (``risk_event``) or, for a
screen that was reconnecting when it was pushed, in a snapshot the screen loaded after the
first screen received the push (so after its commit).  The audit chain is sealed and
verified at the end (``flask riskctl audit verify``).  Results go to docs/benchmarks.md by
hand; the raw files stay in ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMESPACE = "/screen"
KILL_WINDOW = 10.0  # seconds after the kill in which failures are the kill's


# ------------------------------------------------------------------ the screen clients


class Screen:
    """One kiosk screen, doing what riskctl/static/js/screen.js does."""

    def __init__(self, n: int, base: str, token: str, websocket_first: bool) -> None:
        import aiohttp
        import socketio

        self.n, self.base, self.token = n, base, token
        self.transports = ["websocket"] if websocket_first else ["polling", "websocket"]
        # Its own cookie jar (the proxy's SERVERID), accepting cookies of an IP address.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sio = socketio.AsyncClient(
            http_session=self.http, reconnection=True, reconnection_delay=1,
            reconnection_delay_max=5,
        )  # fmt: skip
        self.seq = 0
        self.raised: dict[int, float] = {}  # event id -> first arrival
        self.warnings = 0
        self.connects: list[tuple[float, str]] = []  # (moment, server)
        self.disconnects: list[float] = []
        self.loads: list[tuple[float, float, int]] = []  # (started, ended, status)
        self.pending: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Future[None]] = set()  # loads under way (kept referenced)
        self.sio.on("connect", self._connected, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnected, namespace=NAMESPACE)
        self.sio.on("risk_event", self._risk_event, namespace=NAMESPACE)
        self.sio.on("warning", self._warning, namespace=NAMESPACE)
        self.sio.on("heartbeat", self._heartbeat, namespace=NAMESPACE)
        self.sio.on("resync", lambda *_: self.refresh_soon(), namespace=NAMESPACE)

    def server(self) -> str:
        for cookie in self.http.cookie_jar:
            if cookie.key == "SERVERID":
                return cookie.value
        return "?"

    async def connect(self) -> None:
        await self.sio.connect(self.base, namespaces=[NAMESPACE], auth={"token": self.token},
                               transports=self.transports, wait_timeout=30)  # fmt: skip

    async def _connected(self) -> None:
        self.connects.append((time.time(), self.server()))
        self.spawn()

    def spawn(self) -> None:
        task = asyncio.ensure_future(self.load())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _disconnected(self, *_: Any) -> None:
        self.disconnects.append(time.time())

    async def _risk_event(self, data: dict[str, Any]) -> None:
        if data.get("kind") == "raised":
            self.raised.setdefault(int(data["event_id"]), time.time())
        self.refresh_soon()

    async def _warning(self, data: dict[str, Any]) -> None:
        self.warnings += 1
        if data["seq"] > self.seq:
            self.seq = data["seq"]
        self.refresh_soon()

    async def _heartbeat(self, data: dict[str, Any]) -> None:
        if data["seq"] > self.seq:
            self.refresh_soon()

    def refresh_soon(self) -> None:
        if self.pending is None:
            loop = asyncio.get_running_loop()
            self.pending = loop.call_later(0.8, self.spawn)

    async def load(self) -> None:
        self.pending = None
        started = time.time()
        status = 0
        try:
            async with self.http.get(f"{self.base}/api/v1/screen/snapshot",
                                     headers={"X-Screen-Token": self.token}) as answer:  # fmt: skip
                status = answer.status
                if status == 200:
                    self.seq = max(self.seq, (await answer.json())["seq"])
        except Exception:  # a refused or broken load is a figure, not a crash of the bench
            status = -1
        self.loads.append((started, time.time(), status))

    async def every_minute(self) -> None:
        await asyncio.sleep(random.uniform(0, 60))
        while True:
            await self.load()
            await asyncio.sleep(60)

    def result(self) -> dict[str, Any]:
        return {"n": self.n, "transports": self.transports, "server": self.server(),
                "raised": self.raised, "warnings": self.warnings, "connects": self.connects,
                "disconnects": self.disconnects, "loads": self.loads}  # fmt: skip


async def run_screens(base: str, token: str, count: int, folder: Path) -> None:
    screens = [Screen(n, base, token, websocket_first=n % 2 == 0) for n in range(count)]
    failed = 0
    for batch in range(0, count, 20):  # twenty a second: a room of screens switched on
        results = await asyncio.gather(
            *(s.connect() for s in screens[batch : batch + 20]), return_exceptions=True
        )
        failed += sum(isinstance(r, Exception) for r in results)
        await asyncio.sleep(1)
    timers = [asyncio.ensure_future(s.every_minute()) for s in screens]
    (folder / "screens.ready.part").write_text(json.dumps({"failed": failed}))
    os.replace(folder / "screens.ready.part", folder / "screens.ready")  # whole when seen
    while not (folder / "screens.stop").exists():
        await asyncio.sleep(0.2)
    for timer in timers:
        timer.cancel()
    # Written aside and renamed: the bench reads the file as soon as it exists, and a
    # file being written exists empty first (a run once read it so).
    (folder / "screens.json.part").write_text(
        json.dumps({"failed_connects": failed, "screens": [s.result() for s in screens]})
    )
    os.replace(folder / "screens.json.part", folder / "screens.json")
    for s in screens:
        with contextlib.suppress(Exception):  # the run is over; a slow goodbye is no figure
            await asyncio.wait_for(s.sio.disconnect(), 5)
        await s.http.close()


# ------------------------------------------------------------------ the processes


@dataclass
class Fleet:
    folder: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.folder / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(
                argv, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: killed as a whole, never ours
            )  # fmt: skip

    def flask(self, name: str, *args: str) -> None:
        self.start(name, [sys.executable, "-m", "flask", "--app", "wsgi", "riskctl", *args])

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.procs[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)

    def stop_all(self) -> None:
        for name, process in reversed(self.procs.items()):  # Redis last
            if process.poll() is None:
                # The scheduler stops its jobs on SIGINT (KeyboardInterrupt).
                os.killpg(process.pid, signal.SIGINT if name == "scheduler" else signal.SIGTERM)
        for process in self.procs.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def haproxy_config(port: int, webs: dict[str, int], folder: Path, maxconn: int) -> Path:
    """Sticky by the SERVERID cookie.  Pages and API calls reach a process ``maxconn`` at a
    time and queue in the proxy beyond that: a process has a pool of 15 database
    connections (SQLAlchemy's 5 + 10), and hundreds of requests let in at once waited on
    it past its 30 s timeout (500s) once the CPU was short.  Socket.IO (websockets, long
    polls: connections held for minutes) goes to a backend of the same processes with no
    such limit; its servers follow the health of the first backend's."""
    checked = "\n".join(
        f"  server {name} 127.0.0.1:{p} cookie {name} maxconn {maxconn} "
        # A refused connection in the traffic marks the process down at once, not after
        # three failed checks: meanwhile its requests' retries found the other full (503).
        "check inter 1s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down"
        for name, p in webs.items()
    )
    tracking = "\n".join(
        f"  server {name} 127.0.0.1:{p} cookie {name} track webs/{name}" for name, p in webs.items()
    )
    text = f"""global
  maxconn 8000
  nbthread 1
defaults
  mode http
  maxconn 6000
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout queue 60s
  timeout tunnel 1h
  timeout http-keep-alive 30s
  # A dead process refuses the check's connection at once; a busy one may take seconds
  # to answer it (a 1 s timeout took the survivor out too, leaving no server at all).
  timeout check 5s
  option forwardfor
  # A request refused by a dead process goes to another at once: by default HAProxy
  # retries the same server (a second apart) and redispatches only at the last retry.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
frontend riskctl
  bind 127.0.0.1:{port}
  acl socketio path_beg /socket.io/
  use_backend sockets if socketio
  default_backend webs
backend webs
  balance roundrobin
  cookie SERVERID insert indirect nocache httponly
  option httpchk GET /api/v1/healthz
  http-check expect status 200
{checked}
backend sockets
  balance roundrobin
  cookie SERVERID insert indirect nocache httponly
{tracking}
"""
    path = folder / "haproxy.cfg"
    path.write_text(text)
    return path


class Sampler(threading.Thread):
    """CPU seconds of each process (with its children) and of the database's backends."""

    def __init__(self, pids: dict[str, int], database: str) -> None:
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.database = database
        self.last: dict[tuple[str, int], float] = {}
        self.total: dict[str, float] = {}
        self.series: list[tuple[float, dict[str, float], float]] = []
        self.halt = threading.Event()
        self.machine: list[Any] = []  # the machine's CPU times when the load starts and ends

    def _tree(self, name: str) -> list[Any]:
        proc = self.procs[name]
        try:
            return [proc, *proc.children(recursive=True)]
        except self.psutil.NoSuchProcess:
            return []

    def sample(self) -> None:
        seen: dict[str, float] = {}
        groups = {name: self._tree(name) for name in list(self.procs)}
        groups["postgres (bench backends)"] = [
            p for p in self.psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and self.database in " ".join(p.info["cmdline"] or [])
        ]  # fmt: skip
        for name, members in groups.items():
            for proc in members:
                try:
                    t = proc.cpu_times()
                except self.psutil.NoSuchProcess:
                    continue
                now = t.user + t.system
                key = (name, proc.pid)
                delta = now - self.last.get(key, now)
                self.last[key] = now
                seen[name] = seen.get(name, 0.0) + delta
                self.total[name] = self.total.get(name, 0.0) + delta
        self.series.append((time.time(), seen, os.getloadavg()[0]))

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(1.0)


# ------------------------------------------------------------------ the run


def prepare(url: str, env: dict[str, str]) -> None:
    import sqlalchemy as sa

    from tests.processes import run_flask

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    run_flask(env, "db", "upgrade")
    run_flask(env, "riskctl", "demo")


def marks(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {
            table: int(conn.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
            for table in ("risk_event", "notification", "step", "item", "risk_scan")
        }
    engine.dispose()
    return found


def wait_for_scan_after(url: str, moment: float, timeout: float) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    after = datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with engine.connect() as conn:
                if conn.scalar(sa.text(
                    "SELECT count(*) FROM risk_scan "
                    "WHERE started_at > :t AND finished_at IS NOT NULL"
                ), {"t": after}):  # fmt: skip
                    return
            time.sleep(1)
        print(f"no scan finished within {timeout:.0f} s after the load ended")
    finally:
        engine.dispose()


def locust_table(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def delivery(url: str, before: dict[str, int], screens: list[dict[str, Any]]) -> dict[str, Any]:
    """Every warning raised during the run: in the outbox, and on every screen."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        events = conn.execute(sa.text(
            "SELECT id, level, rule, status, person_id FROM risk_event WHERE id > :e ORDER BY id"
        ), {"e": before["risk_event"]}).all()  # fmt: skip
        outbox = conn.execute(sa.text(
            "SELECT event_id, channel, status, count(*) FROM notification "
            "WHERE event_id > :e GROUP BY event_id, channel, status"
        ), {"e": before["risk_event"]}).all()  # fmt: skip
        steps = conn.scalar(sa.text("SELECT count(*) FROM step WHERE id > :s"),
                            {"s": before["step"]})  # fmt: skip
        items = conn.scalar(sa.text("SELECT count(*) FROM item WHERE id > :i"),
                            {"i": before["item"]})  # fmt: skip
        scans = conn.execute(sa.text(
            "SELECT mode, raised, extract(epoch FROM finished_at - started_at) FROM risk_scan "
            "WHERE id > :s ORDER BY id"), {"s": before["risk_scan"]}).all()  # fmt: skip
    engine.dispose()
    by_event: dict[int, dict[str, int]] = {}
    channels: dict[str, int] = {}
    for event_id, channel, status, n in outbox:
        by_event.setdefault(event_id, {})[f"{channel}/{status}"] = n
        channels[f"{channel}/{status}"] = channels.get(f"{channel}/{status}", 0) + n
    first_arrival: dict[int, float] = {}
    for s in screens:
        for event_id, at in s["raised"].items():
            e = int(event_id)
            first_arrival[e] = min(first_arrival.get(e, at), at)
    live = caught_up = missing = 0
    missing_examples: list[str] = []
    never_pushed = [e for e, _, _, _, _ in events if e not in first_arrival]
    for event_id, *_ in events:
        if event_id in never_pushed:
            continue  # told apart below: no screen was ever sent it
        for s in screens:
            if str(event_id) in s["raised"] or event_id in s["raised"]:
                live += 1
                continue
            pushed = first_arrival[event_id]
            if any(started > pushed and status == 200 for started, _, status in s["loads"]):
                caught_up += 1
                continue
            missing += 1
            if len(missing_examples) < 5:
                missing_examples.append(f"event {event_id} on screen {s['n']}")
    levels: dict[str, int] = {}
    for _, level, *_ in events:
        levels[level] = levels.get(level, 0) + 1
    return {
        "events_raised": len(events), "levels": levels,
        "events_without_notification": [
            {"id": e, "status": st, "person_id": p}
            for e, _, _, st, p in events if e not in by_event
        ],
        # Raised, but no screen ever received a risk_event for it (the push follows the
        # in-app and screen notifications the outbox wrote: none, none pushed).
        "events_never_pushed": [
            {"id": e, "status": st, "person_id": p, "outbox": by_event.get(e, {})}
            for e, _, _, st, p in events if e in never_pushed
        ],
        "notifications_by_channel": channels,
        "screen_deliveries_expected": (len(events) - len(never_pushed)) * len(screens),
        "delivered_live": live, "caught_up_by_snapshot": caught_up, "missing": missing,
        "missing_examples": missing_examples, "steps_written": steps, "items_started": items,
        "scans": [(m, r, round(float(d or 0), 2)) for m, r, d in scans],
    }  # fmt: skip


def reconnections(screens: list[dict[str, Any]], killed_at: float, victim: str) -> dict[str, Any]:
    before = [
        s for s in screens
        if any(at < killed_at and server == victim for at, server in s["connects"])
        and not any(killed_at > d > max(a for a, _ in s["connects"] if a < killed_at)
                    for d in s["disconnects"])
    ]  # fmt: skip
    delays, moved, reloaded = [], 0, 0
    for s in before:
        after = [(at, server) for at, server in s["connects"] if at > killed_at]
        if not after:
            continue
        at, server = after[0]
        delays.append(at - killed_at)
        moved += server != victim
        reloaded += any(started >= at and status == 200 for started, _, status in s["loads"])
    return {
        "screens_on_killed_process": len(before), "reconnected": len(delays),
        "on_other_process": moved, "reloaded_snapshot": reloaded,
        "reconnect_s_median": round(statistics.median(delays), 2) if delays else None,
        "reconnect_s_max": round(max(delays), 2) if delays else None,
    }  # fmt: skip


def snapshot_latency(screens: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted((e - s) * 1000 for sc in screens for s, e, st in sc["loads"] if st == 200)
    bad = sum(1 for sc in screens for _, _, st in sc["loads"] if st != 200)

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p / 100 * len(times)))], 1) if times else 0.0

    return {"loads": len(times), "failed": bad, "p50_ms": pct(50), "p95_ms": pct(95),
            "p99_ms": pct(99)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started a second")
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_deploy")  # fmt: skip
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--proxy-port", type=int, default=8391)
    parser.add_argument("--scan-every", type=float, default=20.0, help="seconds between scans")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per web process (default: screens + users + 64)")  # fmt: skip
    parser.add_argument("--server-maxconn", type=int, default=12,
                        help="requests a web process gets at once from the proxy")  # fmt: skip
    parser.add_argument("--no-kill", action="store_true", help="leave both web processes up")
    parser.add_argument("--keep-data", action="store_true", help="do not reload the demo")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--costs", action="store_true", help="only the CPU cost of each kind of request"
    )
    parser.add_argument(
        "--as-screens", nargs=3, metavar=("BASE", "TOKEN", "FOLDER"), help=argparse.SUPPRESS
    )  # the screens' own process
    args = parser.parse_args()
    if args.as_screens:
        base, token, folder = args.as_screens
        asyncio.run(run_screens(base, token, args.screens, Path(folder)))
        return

    from bench.chain_check import seal_and_verify
    from tests.processes import free_port, riskctl_env, run_flask, unshifted_env, wait_for

    folder = args.out or Path(f"/tmp/deploy-{datetime.now(UTC):%H%M%S}")
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    load_before = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC; load average before: "
          f"{' '.join(f'{x:.2f}' for x in load_before)}; {os.cpu_count()} CPUs; "
          f"files in {folder}")  # fmt: skip
    redis_url = f"redis://127.0.0.1:{args.redis_port}/0"
    twilio_port = free_port()
    env = riskctl_env(
        url, ENV="production", REDIS_URL=redis_url, SOCKETIO_CHANNEL="riskctl-bench-deploy",
        SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="fake-auth-token", TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_BASE_URL=f"http://127.0.0.1:{twilio_port}",
        # Plain HTTP on loopback: the proxy would terminate TLS in a real deployment.
        SESSION_COOKIE_SECURE="false", PROXY_HOPS="1", LOG_LEVEL="WARNING",
        LOGIN_FAILURES_PER_USER="100000 per minute", LOGIN_FAILURES_PER_IP="100000 per minute",
        LOGIN_FAILURES_PER_USER_AND_IP="100000 per minute",
        SCHEDULER_INTERVALS={"risk.scan": args.scan_every},
    )  # fmt: skip
    if not args.keep_data:
        started = time.perf_counter()
        prepare(url, env)
        print(f"database emptied, migrated, demo loaded in {time.perf_counter() - started:.0f} s")
    token = run_flask(env, "riskctl", "screen-token", "bench-deploy").split("token=")[1].strip()
    if args.costs:
        print(json.dumps(request_costs(url, token), ensure_ascii=False))
        return
    threads = args.threads or args.screens + args.users + 64
    fleet = Fleet(folder, env)
    webs = {"web1": free_port(), "web2": free_port()}
    proxy = f"http://127.0.0.1:{args.proxy_port}"
    sampler: Sampler | None = None
    try:
        fleet.start("redis", [shutil.which("redis-server") or "redis-server", "--port",
                              str(args.redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], env=unshifted_env())  # fmt: skip
        fleet.flask("fake-twilio", "fake-twilio", "--port", str(twilio_port))
        for name, port in webs.items():
            fleet.start(name, [
                sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1",
                "--threads", str(threads), "--worker-connections", str(4 * threads),
                "-b", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5",
                "--no-control-socket",
                "wsgi:app",
            ])  # fmt: skip
        for name, port in webs.items():
            wait_for(lambda p=port: _answers(f"http://127.0.0.1:{p}/api/v1/healthz"),
                     timeout=60, what=name)  # fmt: skip
        config = haproxy_config(args.proxy_port, webs, folder, args.server_maxconn)
        fleet.start("haproxy", ["haproxy", "-db", "-f", str(config)], env=unshifted_env())
        wait_for(lambda: _answers(f"{proxy}/api/v1/healthz"), timeout=30, what="haproxy")
        fleet.flask("scheduler", "scheduler")
        # The job list follows the words "leader: running jobs" (in Chinese by default).
        wait_for(lambda: "audit.seal" in (folder / "scheduler.log").read_text(errors="replace"),
                 timeout=60, what="the scheduler to lead")  # fmt: skip
        before = marks(url)
        fleet.start("screens", [sys.executable, __file__, "--screens", str(args.screens),
                                "--as-screens", proxy, token, str(folder)])  # fmt: skip
        wait_for(lambda: (folder / "screens.ready").exists(),
                 timeout=60 + args.screens / 5, what="the screens to connect")  # fmt: skip
        print(
            f"screens connected: {args.screens} "
            f"({json.loads((folder / 'screens.ready').read_text())['failed']} failed)"
        )
        pids = {n: p.pid for n, p in fleet.procs.items()}
        sampler = Sampler(pids, url.rsplit("/", 1)[1])
        sampler.sample()
        sampler.start()
        prefix = folder / "locust"
        failures = folder / "failures.jsonl"
        locust_env = {**env, "DEPLOY_FAILURES": str(failures)}
        load_started = time.time()
        load_at_start = os.getloadavg()
        sampler.machine.append(sampler.psutil.cpu_times())
        fleet.start("locust", [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
            "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
            "-t", f"{args.seconds}s", "--host", proxy, "--csv", str(prefix),
            "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
        ], env=locust_env)  # fmt: skip
        sampler.procs["locust"] = sampler.psutil.Process(fleet.procs["locust"].pid)
        killed_at = 0.0
        if not args.no_kill:
            time.sleep(args.seconds / 2)
            killed_at = time.time()
            fleet.kill("web1")
            print(f"killed web1 (gunicorn master and worker) at {killed_at - load_started:.0f} s")
        fleet.procs["locust"].wait(timeout=args.seconds + 120)
        load_ended = time.time()
        sampler.machine.append(sampler.psutil.cpu_times())
        sampler.halt.set()
        sampler.join()
        wait_for_scan_after(url, load_ended, timeout=3 * args.scan_every + 30)
        time.sleep(5)  # the last scan's pushes and the screens' reloads
        (folder / "screens.stop").write_text("")
        wait_for(lambda: (folder / "screens.json").exists(), timeout=120, what="screen results")
    finally:
        fleet.stop_all()
    screens = json.loads((folder / "screens.json").read_text())
    wall = load_ended - load_started
    report: dict[str, Any] = {
        "users": args.users, "screens": args.screens, "seconds": args.seconds,
        "threads_per_web": threads, "wall_s": round(wall, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_when_the_load_started": [round(x, 2) for x in load_at_start],
    }  # fmt: skip
    rows = locust_table(prefix)
    report["locust"] = [
        {k: r[k] for k in ("Type", "Name", "Request Count", "Failure Count", "Requests/s",
                           "50%", "95%", "99%", "Max Response Time")}
        for r in rows
    ]  # fmt: skip
    fails = (
        [json.loads(line) for line in failures.read_text().splitlines()]
        if failures.exists()
        else []
    )
    at_kill = [f for f in fails if killed_at and killed_at <= f["at"] <= killed_at + KILL_WINDOW]
    report["failures"] = {"total": len(fails), "within_10s_of_kill": len(at_kill),
                          "other": [f for f in fails if f not in at_kill][:20]}  # fmt: skip
    report["cpu_percent_of_one_core"] = {
        name: round(100 * seconds / wall, 1) for name, seconds in sorted(sampler.total.items())
    }  # fmt: skip
    first, last = sampler.machine
    busy = sum(getattr(last, k) - getattr(first, k)
               for k in ("user", "system", "nice", "irq", "softirq"))  # fmt: skip
    report["machine_cpu_percent_of_one_core"] = {
        "all processes": round(100 * busy / wall, 1),
        "this deployment and its load": round(100 * sum(sampler.total.values()) / wall, 1),
        "available": 100 * (os.cpu_count() or 1),
    }  # fmt: skip
    loads = [la for _, _, la in sampler.series]
    report["load_average_during"] = {"max": max(loads), "mean": round(statistics.fmean(loads), 2)}
    report["delivery"] = delivery(url, before, screens["screens"])
    report["screen_connect_failures"] = screens["failed_connects"]
    report["snapshot_loads"] = snapshot_latency(screens["screens"])
    if killed_at:
        report["reconnection"] = reconnections(screens["screens"], killed_at, "web1")
    report["logs"] = {
        name: _tracebacks(folder / f"{name}.log") for name in ("web1", "web2", "scheduler")
    }
    (folder / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    summarise(report)
    seal_and_verify(url)
    print(run_flask(env, "riskctl", "audit", "verify").strip())


def request_costs(url: str, token: str, rounds: int = 20) -> dict[str, float]:
    """CPU milliseconds of one request of each kind in one process (Flask's test client on
    the same database, no network): what a web process spends per answer, to read the
    CPU figures of a run with.  The median of ``rounds`` runs of each."""
    import re

    from riskctl import create_app
    from riskctl.extensions import db
    from riskctl.org.demo import DEMO_PASSWORD

    many = "100000 per minute"
    app = create_app("development", {
        "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "SCHEDULER_IN_PROCESS": False,
        "LOGIN_FAILURES_PER_USER": many, "LOGIN_FAILURES_PER_IP": many,
        "LOGIN_FAILURES_PER_USER_AND_IP": many,
    })  # fmt: skip

    def timed(call: Any) -> float:
        samples = []
        for _ in range(rounds):
            started = time.process_time()
            answer = call()
            samples.append((time.process_time() - started) * 1000)
            assert answer.status_code in (200, 302), (answer.status_code, answer.text[:200])
        return round(statistics.median(samples), 1)

    def signed_in(username: str) -> Any:
        client = app.test_client()
        page = client.get("/login").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert csrf is not None
        client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                    "csrf_token": csrf.group(1)})  # fmt: skip
        return client

    costs: dict[str, float] = {}
    # No app context around the requests: each gets its own, and with it its own
    # signed-in user (flask-login keeps it in g).
    staff, inspector = signed_in("czj.liqiang"), signed_in("jw.hexiaoping")
    anonymous = app.test_client()

    def sign_in() -> Any:
        fresh = app.test_client()
        found = re.search(r'name="csrf-token" content="([^"]+)"', fresh.get("/login").text)
        login = {"username": "czj.liqiang", "password": DEMO_PASSWORD,
                 "csrf_token": found.group(1) if found else ""}  # fmt: skip
        return fresh.post("/login", data=login)

    costs["GET /login"] = timed(lambda: anonymous.get("/login"))
    costs["POST /login (scrypt)"] = timed(sign_in)
    costs["GET /work"] = timed(lambda: staff.get("/work"))
    costs["GET /api/v1/tasks"] = timed(lambda: staff.get("/api/v1/tasks?limit=50"))
    costs["GET /monitor/warnings"] = timed(lambda: inspector.get("/monitor/warnings"))
    costs["GET /monitor/statistics"] = timed(lambda: inspector.get("/monitor/statistics"))
    costs["GET /"] = timed(lambda: inspector.get("/"))
    costs["GET /api/v1/screen/snapshot"] = timed(
        lambda: anonymous.get("/api/v1/screen/snapshot", headers={"X-Screen-Token": token})
    )

    with app.app_context():
        db.engine.dispose()
    return costs


def summarise(report: dict[str, Any]) -> None:
    """The figures as docs/benchmarks.md shows them (the whole report is in report.json)."""
    print(
        f"\n{report['users']} users, {report['screens']} screens, {report['seconds']} s "
        f"(wall {report['wall_s']} s), {report['threads_per_web']} threads per web process; "
        f"load average before {report['load_average_before']}, during "
        f"{report['load_average_during']}"
    )
    print("\n| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in report["locust"]:
        print(
            f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
            f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} | "
            f"{float(r['Max Response Time']):.0f} |"
        )
    print(f"\nfailures: {json.dumps(report['failures'], ensure_ascii=False)}")
    print(
        "\nCPU, % of one core over the load: "
        + ", ".join(f"{k} {v}" for k, v in report["cpu_percent_of_one_core"].items())
    )
    print(f"machine: {json.dumps(report['machine_cpu_percent_of_one_core'])}")
    for key in ("delivery", "snapshot_loads", "reconnection", "logs"):
        if key in report:
            print(f"\n{key}: {json.dumps(report[key], ensure_ascii=False)}")
    print(f"screen connect failures: {report['screen_connect_failures']}")


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _tracebacks(path: Path) -> int:
    return path.read_text(errors="replace").count("Traceback") if path.exists() else 0


if __name__ == "__main__":
    main()
