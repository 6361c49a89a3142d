"""Backup and restore as an administrator does it, on SQLite and PostgreSQL: ``flask riskctl
backup`` of an installation with a completed step and an attached file, ``flask riskctl
restore`` into an empty database and an empty file store, and the audit chain and the
file's bytes checked on the copy; a database with tables and a damaged backup refused
before anything is written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from riskctl.attachments.models import Attachment
from riskctl.core.audit import AuditRecord
from riskctl.extensions import db
from riskctl.files.storage import FileStore
from riskctl.workflow.models import Step
from tests import files
from tests.conftest import (
    PG_URL,
    IsolatedClient,
    bearer_for,
    create_pg_database,
    drop_pg_database,
    make_app,
)
from tests.integration.test_attachments import EXPENSE, STARTER, multipart

# A sibling of the configured test database, named after it.
PG_PREFIX = sa.make_url(PG_URL).database or "test"


def _database(backend: str, tmp: Path, role: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{role}.db'}"
    return create_pg_database(f"{PG_PREFIX}_{role}")


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        drop_pg_database(url)


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["riskctl", *args])


@pytest.fixture(scope="module")
def source(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An installation where czj.wangfang started an expense item, attached a PDF and
    completed her step (all committed), and its backup."""
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.org.demo import DATA
    from riskctl.org.importer import import_org
    from riskctl.process import services as processes

    tmp = tmp_path_factory.mktemp(f"backup-{backend}")
    url = _database(backend, tmp, "backup")
    app = make_app(url, UPLOAD_DIR=str(tmp / "uploads"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        # Enough of the demo for one process of one unit (all of it takes seconds).
        org = {part: (DATA / f"{part}.csv").read_bytes() for part in ("units", "posts", "people")}
        import_org(db.session, SYSTEM_ADMIN, org)
        processes.adopt(db.session, SYSTEM_ADMIN, "expense_reimbursement", unit="czj")
        db.session.commit()
        db.session.remove()
    who = bearer_for(app, STARTER)
    client = app.test_client()
    body = {"process": "expense_reimbursement", "title": "备份测试", "fields": EXPENSE}
    item = client.post("/api/v1/items", json=body, headers=who).json
    pdf = files.pdf()
    payload, content_type = multipart(pdf, "合同.pdf")
    attached = client.post(f"/api/v1/items/{item['id']}/attachments", data=payload,
                           content_type=content_type, headers=who)  # fmt: skip
    assert attached.status_code == 201, attached.json
    done = client.post(f"/api/v1/tasks/{item['tasks'][0]['id']}/complete", json={}, headers=who)
    assert done.status_code == 200, done.json
    made = _run(app, "backup", str(tmp / "backup"))
    assert made.exit_code == 0, made.output
    yield {"app": app, "backup": tmp / "backup", "pdf": pdf, "item": item["id"], "out": made.output}
    with app.app_context():
        db.engine.dispose()
    _drop(url)


def _steps(app: Flask, item_id: int) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Step.node, Step.kind, Step.at)
            .where(Step.item_id == item_id)
            .order_by(Step.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_a_backup_restores_into_an_empty_database_with_its_audit_chain_and_files(
    source, backend, tmp_path
):
    backup: Path = source["backup"]
    manifest = json.loads((backup / "manifest.json").read_text("utf-8"))
    sha = hashlib.sha256(source["pdf"]).hexdigest()
    assert [f["path"] for f in manifest["files"]] == [f"files/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert manifest["database"]["dialect"] == backend and manifest["audit_head"]["seq"] > 0
    assert "备份已写入" in source["out"]
    with source["app"].app_context():  # the backup is on the source's audit chain
        assert db.session.scalar(
            sa.select(sa.func.count()).where(AuditRecord.action == "backup.created")
        ) == 1  # fmt: skip
        db.session.remove()

    url = _database(backend, tmp_path, "restore")
    target = make_app(url, UPLOAD_DIR=str(tmp_path / "restored-uploads"))
    try:
        printed = hashlib.sha256((backup / "manifest.json").read_bytes()).hexdigest()
        restored = _run(target, "restore", str(backup), "--manifest-sha256", printed)
        assert restored.exit_code == 0, restored.output
        assert "审计链完好" in restored.output
        verified = _run(target, "audit", "verify")  # as the administrator checks it
        assert verified.exit_code == 0 and "审计链完好" in verified.output, verified.output
        assert _steps(target, source["item"]) == _steps(source["app"], source["item"])
        with target.app_context():
            attachment = db.session.scalars(sa.select(Attachment)).one()
            assert (attachment.sha256, attachment.size) == (sha, len(source["pdf"]))
            restore_records = db.session.scalars(
                sa.select(AuditRecord).where(AuditRecord.action == "backup.restored")
            ).all()
            assert [r.after["reaches_head"] for r in restore_records] == [True]
            db.session.remove()
        with FileStore(tmp_path / "restored-uploads").open(sha) as file:
            data = file.read()
        assert data == source["pdf"] and hashlib.sha256(data).hexdigest() == sha
        files_ok = _run(target, "attachments", "verify")
        assert files_ok.exit_code == 0 and "已校验 1 个文件" in files_ok.output
    finally:
        with target.app_context():
            db.engine.dispose()
        _drop(url)


def test_restore_refuses_a_database_that_has_tables(source):
    app = source["app"]
    before = sorted(p for p in Path(app.config["RISKCTL_UPLOAD_DIR"]).rglob("*"))
    refused = _run(app, "restore", str(source["backup"]))
    assert refused.exit_code == 1
    assert "只能恢复到空数据库" in refused.output and "database_not_empty" in refused.output
    english = _run(app, "--lang", "en", "restore", str(source["backup"]))
    assert "restore only into an empty database" in english.output
    assert sorted(p for p in Path(app.config["RISKCTL_UPLOAD_DIR"]).rglob("*")) == before


def test_a_damaged_backup_is_refused_before_anything_is_written(source, tmp_path):
    app = source["app"]  # a database with tables: the damage is found first
    copy = tmp_path / "copy"
    shutil.copytree(source["backup"], copy)
    (stored,) = [p for p in (copy / "files").rglob("*") if p.is_file()]
    manifest = (copy / "manifest.json").read_bytes()

    def refusal(*options: str) -> str:
        result = _run(app, "restore", str(copy), *options)
        assert result.exit_code == 1, result.output
        assert "backup_damaged" in result.output
        return str(result.output)

    original = stored.read_bytes()
    altered = original + b"x"
    stored.chmod(0o644)
    stored.write_bytes(altered)
    output = refusal()
    assert "备份已损坏" in output and stored.relative_to(copy).as_posix() in output
    # A manifest edited to fit the altered file passes on its own, not against the
    # SHA-256 the backup printed.
    edited = json.loads(manifest)
    edited["files"][0].update(sha256=hashlib.sha256(altered).hexdigest(), size=len(altered))
    (copy / "manifest.json").write_text(json.dumps(edited), "utf-8")
    assert _run(app, "restore", "--check", str(copy)).exit_code == 0
    assert "清单" in refusal("--manifest-sha256", hashlib.sha256(manifest).hexdigest())
    stored.write_bytes(original)
    (copy / "manifest.json").write_bytes(b"{not json")
    assert "清单" in refusal()
    when = json.loads(manifest) | {"created_at": "yesterday"}  # shown in local time: a moment
    (copy / "manifest.json").write_text(json.dumps(when), "utf-8")
    assert "清单" in refusal()
    (copy / "manifest.json").write_bytes(manifest)
    (copy / "extra.txt").write_text("?")
    assert "extra.txt" in refusal()
    (copy / "extra.txt").unlink()
    checked = _run(app, "restore", "--check", str(copy))
    assert checked.exit_code == 0, checked.output


def test_a_backup_goes_only_into_a_new_or_empty_directory(source):
    refused = _run(source["app"], "backup", str(source["backup"]))
    assert refused.exit_code == 1 and "backup_refused" in refused.output


def test_a_postgresql_password_reaches_pg_dump_in_a_private_file_not_the_command_line():
    import stat
    from urllib.parse import unquote

    from riskctl.backup.services import _libpq

    url = sa.make_url("postgresql+psycopg://riskctl:se:cr\\et@db.example:6543/riskctl")
    with _libpq(url) as uri:
        assert "se:cr" not in unquote(uri) and uri.startswith("postgresql://riskctl@db.example")
        passfile = Path(unquote(uri.split("passfile=")[1]))
        assert passfile.read_text() == "db.example:6543:riskctl:riskctl:se\\:cr\\\\et\n"
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    assert not passfile.exists()
