"""SQLite's one writer at a time must not starve everyone else: reads take no write lock,
a scan judges without it, and a writer that cannot get it in time is told 503 busy with
Retry-After (a page, the API, the CLI) — never a 500 or a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from riskctl.core.db import configure_sqlite
from riskctl.extensions import db
from tests.conftest import IsolatedClient, bearer_for, make_app, with_demo
from tests.integration.test_pages import sign_in

BUSY_MS = 300  # short, so that the waits of this module stay short


@pytest.fixture(scope="module")
def lone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    path = tmp_path_factory.mktemp("locking") / "riskctl.db"
    app = make_app(f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT_MS=BUSY_MS)
    app.test_client_class = IsolatedClient
    with_demo(app)
    yield app, path
    with app.app_context():
        db.engine.dispose()
    configure_sqlite("NORMAL", 5000)  # the process-wide default for later apps


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process's long transaction (an import, a scan) holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_reads_answer_while_another_writer_holds_the_lock(lone):
    app, path = lone
    client = app.test_client()
    bearer = bearer_for(app, "czj.wangfang")
    assert sign_in(client, "czj.wangfang").status_code == 302
    with write_lock_held(path):
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        assert client.get("/api/v1/items?limit=5", headers=bearer).status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/work").status_code == 200


def test_a_writer_that_cannot_get_the_lock_is_told_503_busy_with_retry_after(lone):
    app, path = lone
    client = app.test_client()
    bearer = bearer_for(app, "czj.wangfang")
    body = {"process": "expense_reimbursement", "title": "差旅报销",
            "fields": {"purpose": "差旅", "budget_line": "公用经费",
                       "amount": "800.00"}}  # fmt: skip
    with write_lock_held(path):
        api = client.post("/api/v1/items", json=body, headers=bearer)
        page = sign_in(client, "czj.wangfang", "a-wrong-password")
    assert api.status_code == 503 and api.json["error"]["code"] == "busy"
    assert api.headers["Retry-After"] == "5"
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert "系统繁忙" in page.text
    # the lock gone, the same request goes through
    assert client.post("/api/v1/items", json=body, headers=bearer).status_code == 201


def test_a_scan_judges_without_holding_the_write_lock(lone, monkeypatch):
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.risk import scan, services

    app, path = lone
    seen: list[str] = []
    judge = scan.judge

    def judge_and_look(*args: Any, **kwargs: Any) -> Any:
        result = judge(*args, **kwargs)
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the scan held the lock
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))
        finally:
            other.close()
        return result

    monkeypatch.setattr(scan, "judge", judge_and_look)
    with app.app_context():
        services.scan_now(db.session, SYSTEM_ADMIN, full=True)
        db.session.commit()
        db.session.remove()
    assert seen == ["free"]


def test_the_cli_says_busy_and_exits_75_instead_of_a_traceback(lone):
    app, path = lone
    runner = app.test_cli_runner()
    with write_lock_held(path):
        result = runner.invoke(
            args=["riskctl", "calendar", "override", "2027-02-06", "--working", "--reason", "调休"]
        )
    assert result.exit_code == 75, result.output
    assert "busy" in result.output and "Traceback" not in result.output


def test_an_upload_holds_no_write_lock_while_its_file_arrives(lone, tmp_path, monkeypatch):
    from riskctl.files.storage import FileStore
    from tests import files

    app, path = lone
    monkeypatch.setitem(app.config, "RISKCTL_UPLOAD_DIR", str(tmp_path / "uploads"))
    client = app.test_client()
    bearer = bearer_for(app, "czj.wangfang")
    body = {
        "process": "expense_reimbursement",
        "title": "上传时不占写锁",
        "fields": {"purpose": "差旅", "budget_line": "2026-公用经费", "amount": "800.00"},
    }
    item = client.post("/api/v1/items", json=body, headers=bearer)  # fmt: skip
    assert item.status_code == 201, item.json
    seen: list[str] = []
    receive = FileStore.receive

    def receive_and_look(self: FileStore, stream: Any, limit: int) -> Any:
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the upload held the lock
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError as exc:
            seen.append(str(exc))
        finally:
            other.close()
        return receive(self, stream, limit)

    monkeypatch.setattr(FileStore, "receive", receive_and_look)
    from tests.integration.test_attachments import upload

    made = upload(client, lambda _who: bearer, item.json["id"], files.pdf(), "发票.pdf")
    assert made["filename"] == "发票.pdf"
    assert seen == ["free"]
