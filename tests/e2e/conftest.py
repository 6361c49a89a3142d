"""A live riskctl (`flask riskctl serve` in a subprocess, on SQLite with the demo data) and
Debian's Chromium driven by Playwright.  Playwright's own browser download does not work
on the intranet-like machines we build on, so the system Chromium is used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from riskctl.org.demo import DEMO_PASSWORD
from tests.conftest import TEST_SECRET, need_service
from tests.processes import free_port, run_flask, unshifted_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The environment of the live server, for tests that run CLI commands against its database.
LIVE_ENV: dict[str, str] = {}


@pytest.fixture(scope="session")
def live_cli(live_server: str) -> Any:
    """Run ``flask <args>`` against the live server's database; returns its output."""

    return lambda *args: run_flask(LIVE_ENV, *args)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "RISKCTL_ENV": "development",
        "RISKCTL_DATABASE_URL": f"sqlite:///{tmp / 'live.db'}",
        "RISKCTL_SECRET_KEY": TEST_SECRET,
        "RISKCTL_SCHEDULER_LOCK_FILE": str(tmp / "scheduler.lock"),
        "RISKCTL_LOG_LEVEL": "WARNING",
    }
    LIVE_ENV.clear()
    LIVE_ENV.update(env)
    flask = [sys.executable, "-m", "flask"]
    for args in (["db", "upgrade"], ["riskctl", "demo"]):
        subprocess.run([*flask, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [*flask, "riskctl", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a ceiling: a loaded CI machine starts slowly
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/healthz", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need_service("Chromium", "install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_FLAGS, env=unshifted_env()
        )
        yield browser
        browser.close()


# Where each test's last screenshot goes; `make screenshots` points it at docs/screenshots.
SHOTS = Path(os.environ.get("RISKCTL_SCREENSHOTS") or Path(__file__).parent / "screenshots")


@pytest.fixture
def page(browser: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Chinese-speaking browser tab at 1366×768.  A console error or an uncaught
    exception on any page fails the test; the tab's last state is saved as a screenshot
    named after the test (or ``page.shot_name``)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.requests_seen = []  # every URL the page asked for, to prove nothing leaves the host
    page.console_errors = []
    page.shot_name = request.node.name.split("[")[0].removeprefix("test_")
    page.full_page = False
    page.on("request", lambda r: page.requests_seen.append(r.url))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("response", lambda r: page.console_errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.status not in (401, 422) else None)  # fmt: skip
    yield page
    SHOTS.mkdir(parents=True, exist_ok=True)
    if page.shot_name and not page.is_closed():
        page.screenshot(path=str(SHOTS / f"{page.shot_name}.png"), full_page=page.full_page)
    errors = list(page.console_errors)
    context.close()
    assert errors == [], f"console errors: {errors}"


def submit_login(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")


def sign_in(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    submit_login(page, base, username, password)
    page.wait_for_url(f"{base}/")


def api_headers(base: str, username: str) -> dict[str, str]:
    """A bearer token of a demo person, for setting the scene through the API."""
    import requests

    login = {"username": username, "password": DEMO_PASSWORD}
    token = requests.post(f"{base}/api/v1/auth/token", json=login, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}
