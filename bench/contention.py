"""SQLite under contention: a long operation (a full scan of a large database, an import
of 100,000 units, a policy preview) while other people sign in, start items and read
pages.  Run by hand; results go to docs/benchmarks.md.

    .venv/bin/python bench/contention.py                 # 20,000 items, both operations
    .venv/bin/python bench/contention.py --items 5000 --units 20000

A real server (``flask riskctl serve``) on a scratch SQLite database with the data of
bench/scan.py; the long operation runs through the API in one thread while four other
threads, for as long as it lasts, each repeat: sign in on the login page, start an
expense item through the API, list items, open the home page.  Every answer is counted
by status.  What must hold: no 500 at all; a writer that cannot get the write lock in
time is answered 503 ``busy`` with Retry-After; readers are never refused.
"""

from __future__ import annotations

import argparse
import collections
import io
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chain_check import seal_and_verify
from bench.scan import generate
from riskctl.org.demo import DEMO_PASSWORD
from tests.processes import Processes, riskctl_env

WORKERS = 4
EXPENSE = {
    "process": "expense_reimbursement",
    "title": "差旅报销",
    "fields": {"purpose": "差旅", "budget_line": "公用经费", "amount": "800.00"},
}


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: collections.Counter[tuple[str, int]] = collections.Counter()
        self.retry_after_missing = 0

    def add(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.counts[(what, response.status_code)] += 1
            if response.status_code == 503 and not response.headers.get("Retry-After"):
                self.retry_after_missing += 1


def token(base: str, username: str) -> str:
    answer = requests.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": DEMO_PASSWORD},
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def worker(base: str, stop: threading.Event, tally: Tally, bearer: dict[str, str]) -> None:
    while not stop.is_set():
        browser = requests.Session()
        page = browser.get(f"{base}/login", timeout=60)
        tally.add("GET /login", page)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if found:
            login = browser.post(
                f"{base}/login",
                allow_redirects=False,
                timeout=60,
                data={
                    "username": "czj.wangfang",
                    "password": DEMO_PASSWORD,
                    "csrf_token": found.group(1),
                },
            )
            tally.add("POST /login", login)
            tally.add("GET /", browser.get(f"{base}/", timeout=60))
        tally.add(
            "POST /api/v1/items",
            requests.post(f"{base}/api/v1/items", json=EXPENSE, headers=bearer, timeout=60),
        )
        tally.add(
            "GET /api/v1/items",
            requests.get(f"{base}/api/v1/items?limit=20", headers=bearer, timeout=60),
        )


def under_load(base: str, name: str, long_call: Any) -> tuple[float, Any, Tally]:
    tally = Tally()
    stop = threading.Event()
    bearer = {"Authorization": f"Bearer {token(base, 'czj.wangfang')}"}
    threads = [
        threading.Thread(target=worker, args=(base, stop, tally, bearer)) for _ in range(WORKERS)
    ]
    for t in threads:
        t.start()
    time.sleep(1)
    started = time.perf_counter()
    answer = long_call()
    took = time.perf_counter() - started
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()
    print(f"\n{name}: {answer.status_code} in {took:.1f} s")
    for (what, status), n in sorted(tally.counts.items()):
        print(f"  {what:22} {status}  × {n}")
    if tally.retry_after_missing:
        print(f"  503 without Retry-After: {tally.retry_after_missing}")
    return took, answer, tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/contention.db"
        print(f"generating {args.items:,} items …")
        generate(url, args.items)
        procs = Processes(
            riskctl_env(url, LOG_LEVEL="ERROR", LOGIN_FAILURES_PER_USER="100000 per minute",
                        LOGIN_FAILURES_PER_IP="100000 per minute",
                        LOGIN_FAILURES_PER_USER_AND_IP="100000 per minute"),
            Path(tmp),
        )  # fmt: skip
        try:
            base = procs.web("web")
            admin = {"Authorization": f"Bearer {token(base, 'admin')}"}
            results = [
                under_load(
                    base,
                    f"full scan of {args.items:,} items",
                    lambda: requests.post(
                        f"{base}/api/v1/scan", json={"full": True}, headers=admin, timeout=900
                    ),
                )
            ]
            results.append(
                under_load(
                    base,
                    "policy preview (what-if, every rule)",
                    lambda: requests.post(
                        f"{base}/api/v1/policy/preview", json={}, headers=admin, timeout=900
                    ),
                )
            )
            units = "code,name,kind,parent\n" + "".join(
                f"b{n:06d},压测单位{n},department,\n" for n in range(args.units)
            )
            files = {"units": ("units.csv", io.BytesIO(units.encode()), "text/csv")}
            results.append(
                under_load(
                    base,
                    f"import of {args.units:,} units",
                    lambda: requests.post(
                        f"{base}/api/v1/org/import", files=files, headers=admin, timeout=1800
                    ),
                )
            )
        finally:
            procs.stop_all()
        served = procs.log("web")
        errors = sum(
            n for _, _, t in results for (_, s), n in t.counts.items() if s >= 500 and s != 503
        )
        busy = sum(n for _, _, t in results for (_, s), n in t.counts.items() if s == 503)
        print(
            f"\nserver errors (5xx other than 503): {errors}; 503 busy: {busy}; "
            f"tracebacks in the server log: {served.count('Traceback')}"
        )
        if "Traceback" in served:
            start = served.index("Traceback")
            print("the first traceback in the server log:\n" + served[start - 300 : start + 3000])
        seal_and_verify(url)
        if errors or "Traceback" in served:
            sys.exit(1)


if __name__ == "__main__":
    main()
