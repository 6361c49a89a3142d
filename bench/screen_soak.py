"""The big screen under a stream of warnings: does the page's memory stay flat?

A served riskctl (SQLite, demo data) and the /screen page in Debian's Chromium (headless,
1920×1080); ``--events`` red warnings are resolved through the API one after another
(each pushes a screen event, and the page reloads its snapshot shortly after).  Every
``--every`` events the page's garbage is collected and its JS heap, DOM nodes and event
listeners are read over the DevTools protocol.  A page that leaks grows with the count;
one that does not stays flat.  At the end the audit chain is sealed and verified: a
broken one fails the run.

    .venv/bin/python bench/screen_soak.py [--events 2000] [--every 250]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from chain_check import seal_and_verify  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from riskctl.org.demo import DEMO_PASSWORD  # noqa: E402
from tests.e2e.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.processes import Processes, insert_warning, riskctl_env, run_flask  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--every", type=int, default=250)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {chromium}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'soak.db'}"
        env = riskctl_env(url)
        run_flask(env, "db", "upgrade")
        run_flask(env, "riskctl", "demo", "--no-history")
        token = run_flask(env, "riskctl", "screen-token", "soak").split("token=")[1].strip()
        started = time.perf_counter()
        ids = [insert_warning(url, f"soak:{n}", level="red", on_screen=True)
               for n in range(args.events)]  # fmt: skip
        print(f"{len(ids)} warnings written in {time.perf_counter() - started:.1f} s")
        procs = Processes(env, Path(tmp))
        try:
            base = procs.web("web")
            login = {"username": "jw.hexiaoping", "password": DEMO_PASSWORD}
            bearer = requests.post(f"{base}/api/v1/auth/token", json=login, timeout=10).json()
            headers = {"Authorization": f"Bearer {bearer['token']}"}
            http = requests.Session()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"{base}/screen?token={token}")
                page.wait_for_selector("#link.live")
                page.wait_for_selector("#units li.unit")
                devtools = page.context.new_cdp_session(page)
                devtools.send("Performance.enable")

                def sample(done: int) -> None:
                    page.wait_for_timeout(1500)  # the debounced snapshot reload settles
                    devtools.send("HeapProfiler.collectGarbage")
                    metrics = {m["name"]: m["value"] for m in
                               devtools.send("Performance.getMetrics")["metrics"]}  # fmt: skip
                    rows = page.locator("#ticker li").count()
                    heap = metrics["JSHeapUsedSize"] / 2**20
                    print(f"{done:>6} events: JS heap {heap:6.2f} MiB, "
                          f"DOM nodes {int(metrics['Nodes']):>6}, listeners "
                          f"{int(metrics['JSEventListeners']):>5}, ticker rows {rows}")  # fmt: skip

                sample(0)
                started = time.perf_counter()
                for n, event_id in enumerate(ids, start=1):
                    answer = http.post(
                        f"{base}/api/v1/risk-events/{event_id}/resolve", headers=headers,
                        json={"disposition": "no_problem", "note": "soak"}, timeout=10,
                    )  # fmt: skip
                    assert answer.status_code == 200, answer.text
                    if n % args.every == 0:
                        sample(n)
                print(f"{len(ids)} events in {time.perf_counter() - started:.1f} s")
                browser.close()
        finally:
            procs.stop_all()
        seal_and_verify(url)


if __name__ == "__main__":
    main()
