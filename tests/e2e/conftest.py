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

from tests.conftest import TEST_SECRET, need_service
from tests.processes import free_port, run_flask

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
        deadline = time.monotonic() + 30
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
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.requests_seen = []  # every URL the page asked for, to prove nothing leaves the host
    page.on("request", lambda request: page.requests_seen.append(request.url))
    yield page
    context.close()
