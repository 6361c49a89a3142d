"""The pages at volume: how long the workbench, monitor and admin pages take to answer
when the platform holds the data of bench/scan.py (100,000 running items by default) and
the warnings a full scan raises on it.  Run by hand; results go to docs/benchmarks.md.

    .venv/bin/python bench/pages.py                                   # SQLite (WAL)
    .venv/bin/python bench/pages.py --postgresql postgresql://postgres@127.0.0.1:5432/test

Each page is asked for 20 times through the Flask test client by a signed-in person
(the inspector over all five units, the 区财政局 purchaser, the administrator); the median
and the slowest are printed.  Rendering included, network not.  At the end the audit
chain is sealed and verified: a broken one fails the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chain_check import seal_and_verify
from bench.scan import ITEMS, NOW, _app, generate
from bench.scratch_db import fresh_postgres

ROUNDS = 20
PAGES = {
    "jw.hexiaoping": [
        "/", "/monitor/warnings?period=year", "/monitor/warnings?period=year&level=red",
        "/monitor/warnings?period=year&offset=1000", "/monitor/statistics?period=year",
        "/monitor/notifications", "/monitor/warnings/export.csv?period=month",
    ],
    "czj.wangfang": ["/work", "/items?status=running", "/work/warnings"],
    "admin": ["/admin/people?unit=czj", "/admin/processes?unit=czj", "/admin/calendar"],
}  # fmt: skip


def measure(url: str) -> list[tuple[str, str, float, float, int]]:
    from riskctl.core.clock import set_clock
    from riskctl.extensions import db
    from riskctl.org.demo import DEMO_PASSWORD
    from riskctl.risk import services

    set_clock(lambda: NOW)
    app = _app(url)
    with app.app_context():
        started = time.perf_counter()
        result = services.scan_now(db.session, _admin(), full=True, at=NOW)
        db.session.commit()
        print(f"full scan: {time.perf_counter() - started:.1f} s, {result.raised:,} warnings")
    rows = []
    for username, paths in PAGES.items():
        item = _an_item(app)
        extra = [f"/items/{item}"] if username == "czj.wangfang" else []
        for path, times, size in time_pages(app, username, DEMO_PASSWORD, [*paths, *extra]):
            rows.append((username, path, statistics.median(times), max(times), size))
    return rows


def time_pages(
    app: Any, username: str, password: str, paths: list[str], rounds: int = ROUNDS
) -> list[tuple[str, list[float], int]]:
    """Each path asked for ``rounds`` times by ``username`` signed in through the Flask
    test client: (path, the times in ms, the answer's size in bytes).  A non-200 fails."""
    from riskctl.core.clock import set_clock

    set_clock(lambda: NOW)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    rows = []
    for path in paths:
        times = []
        size = 0
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            size = len(response.data)
        rows.append((path, times, size))
    return rows


def _admin() -> Any:
    from riskctl.core.access import SYSTEM_ADMIN

    return SYSTEM_ADMIN


def _an_item(app: Any) -> int:
    import sqlalchemy as sa

    from riskctl.extensions import db
    from riskctl.org.models import Unit
    from riskctl.workflow.models import Item

    with app.app_context():
        czj = db.session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
        return int(db.session.scalar(sa.select(sa.func.max(Item.id)).where(Item.unit_id == czj)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgresql", metavar="URL", default=None)
    parser.add_argument("--items", type=int, default=ITEMS)
    args = parser.parse_args()
    if args.postgresql:
        url, cleanup = fresh_postgres(args.postgresql, "riskctl_pages")
        label = "PostgreSQL"
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'pages.db'}"
        label = "SQLite (WAL, synchronous=NORMAL)"
        cleanup = lambda: None  # noqa: E731
    try:
        made = generate(url, args.items)
        print(f"{label}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        print(f"data: {made['items']:,} items, {made['steps']:,} steps")
        for username, path, median, slowest, size in measure(url):
            shown = re.sub(r"\?.*", lambda m: m.group(0)[:40], path)
            print(f"{username:14s} {shown:55s} median {median:7.1f} ms  "
                  f"max {slowest:7.1f} ms  {size / 1024:6.0f} KiB")  # fmt: skip
        seal_and_verify(url)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
