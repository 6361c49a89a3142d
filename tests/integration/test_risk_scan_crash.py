"""A scan killed half-way leaves nothing behind; the next scans raise each event once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.clock import set_clock
from riskctl.extensions import db
from riskctl.risk import services as risk
from riskctl.risk.models import RiskEvent, RiskScan
from riskctl.workflow import services as workflow
from tests.conftest import fresh_database, load_demo_data, make_app, pin_clock

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

# Run in a child process: a scan that kills itself (SIGKILL, no clean-up of any kind)
# right after it has written its new events and their audit records, before the commit.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime, UTC
    from riskctl.core import audit
    from riskctl.core.clock import set_clock
    from riskctl.risk import scan, services
    from riskctl.extensions import db
    from tests.conftest import make_app

    set_clock(lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    real_record_many = audit.record_many

    def record_then_die(session, events, actor=None):
        events = list(events)
        real_record_many(session, events, actor)
        if any(e.action == "risk_event.raise" for e in events):
            session.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    scan.audit.record_many = record_then_die
    app = make_app(sys.argv[1])
    with app.app_context():
        scan.run_scan(db.session, services.current_policy(db.session))
        db.session.commit()
    """
)


@pytest.fixture
def loaded(tmp_path: Any) -> Any:
    url, cleanup = fresh_database("sqlite", tmp_path)
    app = make_app(url)
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        set_clock(lambda: START)
        from riskctl.auth.services import find_person

        principal = find_person(db.session, "czj.wangfang").principal()
        for n in range(3):
            fields = {"purpose": "差旅", "budget_line": "公用经费", "amount": "800.00"}
            workflow.start_item(db.session, principal, "expense_reimbursement", f"报销{n}", fields)
        db.session.commit()
        db.session.remove()
    yield app, url
    pin_clock()
    with app.app_context():
        db.engine.dispose()
    cleanup()


def test_a_scan_killed_half_way_leaves_nothing_and_the_next_raise_each_event_once(loaded):
    app, url = loaded
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url], env=env, capture_output=True, timeout=120
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    set_clock(lambda: LATER)
    with app.app_context():
        session = db.session
        assert session.scalar(sa.select(sa.func.count()).select_from(RiskEvent)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(RiskScan)) == 0
        first = risk.scan_now(session, SYSTEM_ADMIN)
        session.commit()
        second = risk.scan_now(session, SYSTEM_ADMIN, full=True)
        session.commit()
        identities = session.scalars(sa.select(RiskEvent.identity)).all()
        assert first.raised >= 3 and second.raised == 0
        assert len(identities) == len(set(identities)) == first.raised
        db.session.remove()
