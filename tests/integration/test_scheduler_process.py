"""The scheduler process's application (``flask riskctl scheduler``): what it imports and
that every job runs on it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from riskctl import role_of

ROOT = Path(__file__).resolve().parents[2]
# What serves pages, the API, sign-in or migrations, and nothing a job needs.
WEB_ONLY = (
    "flask_socketio", "socketio", "flask_smorest", "flask_wtf", "flask_limiter",
    "flask_migrate", "alembic", "riskctl.api", "riskctl.web", "riskctl.cli",
    "riskctl.risk.views", "riskctl.workflow.views", "riskctl.auth.views",
)  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["flask", "riskctl", "scheduler"], "scheduler"),
        (["/venv/bin/flask", "--app", "wsgi", "riskctl", "--lang", "en", "scheduler"], "scheduler"),
        (
            ["python", "-m", "flask", "riskctl", "scheduler", "--standby-interval", "0.5"],
            "scheduler",
        ),
        (["flask", "riskctl", "--lang=en", "scheduler"], "scheduler"),
        (["flask", "riskctl", "demo", "scheduler"], "web"),
        (["flask", "riskctl", "scan"], "web"),
        (["flask", "db", "upgrade"], "web"),
        (["gunicorn", "wsgi:app"], "web"),
        (["flask"], "web"),
    ],
)
def test_the_role_comes_from_the_command_line(argv, role):
    assert role_of(argv) == role


# Run in a process of its own (this one has imported everything): builds the app as
# wsgi.py does for `flask riskctl scheduler`, runs every job once at the test clock, and
# says what it had imported by then and which jobs failed.
CHILD = """
import json, sys
from datetime import datetime, timezone
sys.argv = ["flask", "riskctl", "scheduler"]
from riskctl.core.clock import running_from, set_clock
set_clock(running_from(datetime.fromisoformat(sys.stdin.readline().strip())))
import wsgi
from riskctl.core import audit
from riskctl.extensions import db
from riskctl.scheduler import JOBS
failed, done = {}, {}
for spec in JOBS:
    with wsgi.app.app_context():
        audit.act_as(db.session, audit.AuditActor(None, "scheduler", f"job {spec.id}"))
        try:
            done[spec.id] = spec.func()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            failed[spec.id] = repr(exc)
print(json.dumps({"imported": sorted(sys.modules), "failed": failed, "done": done,
                  "commands": sorted(wsgi.app.cli.commands["riskctl"].commands)}))
"""


def test_the_scheduler_process_imports_no_page_and_runs_every_job(backend, tmp_path):
    from riskctl.extensions import db
    from tests.conftest import TEST_NOW, fresh_database, make_app, with_demo

    url, cleanup = fresh_database(backend, tmp_path)
    try:
        app = with_demo(make_app(url))
        with app.app_context():
            db.engine.dispose()
        env = {**os.environ, "RISKCTL_ENV": "testing", "RISKCTL_DATABASE_URL": url,
               "RISKCTL_UPLOAD_DIR": str(tmp_path / "files"), "RISKCTL_REDIS_URL": ""}  # fmt: skip
        child = subprocess.run(
            [sys.executable, "-c", CHILD], input=TEST_NOW.isoformat() + "\n", env=env,
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert child.returncode == 0, child.stderr
        found = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        cleanup()
    assert found["failed"] == {}
    assert found["commands"] == ["scheduler"]
    # The jobs did their work: the first scan of the demo raised its warnings, and the
    # audit trail's records of them were sealed.
    assert found["done"]["risk.scan"]["raised"] > 0
    assert found["done"]["audit.seal"]["sealed"] > 0
    imported = set(found["imported"])
    assert not {m for m in imported for w in WEB_ONLY if m == w or m.startswith(w + ".")}
    assert "riskctl.risk.scan" in imported
