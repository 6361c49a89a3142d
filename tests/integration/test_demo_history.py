"""The demo history: months of work in the pilot units whose scan shows the planted
problems — and nothing else red."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import seal_pending, verify_chain
from riskctl.core.clock import set_clock
from riskctl.extensions import db
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.models import Level, RiskEvent
from riskctl.workflow.history import load_history
from riskctl.workflow.models import Item
from tests.conftest import fresh_database, load_demo_data, make_app, pin_clock

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PLANTED_RED = {("czj", "procurement_splitting"), ("qjz", "incompatible_posts"),
               ("czj", "meeting_chair_not_last")}  # fmt: skip


@pytest.fixture(scope="module")
def scanned(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    url, cleanup = fresh_database(backend, tmp_path_factory.mktemp(f"history-{backend}"))
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            load_demo_data(db.session)
            made = load_history(db.session, now=NOW)
            set_clock(lambda: NOW)
            risk.scan_now(db.session, SYSTEM_ADMIN, full=True)
            db.session.commit()
            rows = db.session.execute(
                sa.select(Unit.code, RiskEvent.rule, RiskEvent.level, RiskEvent.evidence).join(
                    Unit, Unit.id == RiskEvent.unit_id
                )
            ).all()
            again = load_history(db.session, now=NOW)
            items = db.session.scalar(sa.select(sa.func.count()).select_from(Item))
            sms = _send_the_sms(db.session)
            db.session.commit()
            seal_pending(db.session)
            db.session.commit()
            chain = verify_chain(db.session)
            yield made, rows, again, items, sms, chain
    finally:
        pin_clock()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cleanup()


def _send_the_sms(session: Any) -> dict[tuple[str, str], set[str]]:
    """The scan's SMS, dispatched through the real Twilio client to the fake Twilio:
    who received a message about which (unit, rule)."""
    from riskctl.alerts import dispatch
    from riskctl.alerts.fake_twilio import FakeTwilio
    from riskctl.alerts.models import Channel, Notification, Status
    from riskctl.alerts.sms import TwilioBackend
    from riskctl.org.models import Person

    fake = FakeTwilio().start()
    try:
        backend = TwilioBackend(fake.account_sid, fake.auth_token, "+15005550006",
                                base_url=fake.url)  # fmt: skip
        dispatch.dispatch_sms(session, backend, risk.current_policy(session), now=lambda: NOW)
        rows = session.execute(
            sa.select(Unit.code, RiskEvent.rule, Person.username, Notification.phone,
                      Notification.body)
            .join(RiskEvent, RiskEvent.id == Notification.event_id)
            .join(Unit, Unit.id == RiskEvent.unit_id)
            .join(Person, Person.id == Notification.recipient_id)
            .where(Notification.channel == Channel.SMS, Notification.status == Status.SENT)
        ).all()  # fmt: skip
        delivered = {(m["to"], m["body"]) for m in fake.messages}
    finally:
        fake.stop()
    told: dict[tuple[str, str], set[str]] = {}
    for unit, rule, username, phone, body in rows:
        assert (phone, body) in delivered  # what the log says was sent, Twilio received
        told.setdefault((unit, rule), set()).add(username)
    return told


def test_the_planted_warnings_reach_the_right_people_by_sms(scanned):
    *_, sms, _chain = scanned
    # orange (just under the threshold, 区卫计局): the handler and the unit's leader
    assert {"wjj.hexue"} <= sms[("wjj", "procurement_just_under_threshold")]
    assert not {"jw.hexiaoping", "jw.liuhong"} & sms[("wjj", "procurement_just_under_threshold")]
    # red (a split purchase, 区财政局): + the inspectors whose scope holds the unit
    assert {"czj.zhoujie", "jw.hexiaoping", "jw.liuhong"} <= sms[("czj", "procurement_splitting")]
    assert "jw.sunwei" not in sms[("czj", "procurement_splitting")]  # not his scope


def test_the_planted_problems_are_found_and_nothing_else_is_red(scanned):
    made, rows, _again, _items, _sms, _chain = scanned
    assert made.items > 100 and made.steps > 500
    found = {(unit, rule) for unit, rule, _level, _evidence in rows}
    assert ("czj", "procurement_splitting") in found
    assert ("wjj", "procurement_just_under_threshold") in found
    assert ("qjz", "incompatible_posts") in found
    # The head spoke first at czj's meeting; wjj's meeting was by the book.
    assert ("czj", "meeting_chair_not_last") in found
    assert not [r for r in rows if r[0] == "wjj" and r[1].startswith("meeting_")]
    assert not [r for r in rows if r[1] == "major_decision_without_meeting"]
    late = [r for r in rows if r[1] == "step_overdue"]
    assert late and {r[0] for r in late} == {"nmj"}  # chronic lateness in one unit only
    reds = {(unit, rule) for unit, rule, level, _e in rows if level is Level.RED}
    assert reds <= PLANTED_RED
    assert not [r for r in rows if r[0] == "rsj"]  # a unit that works by the book
    (split,) = [e for u, rule, _l, e in rows if rule == "procurement_splitting"]
    assert len(split["items"]) == 3 and split["budget_project"] == "办公设备购置"
    (pair,) = [e for u, rule, _l, e in rows if rule == "incompatible_posts"]
    assert pair["outcome"] == "flagged" and pair["control_rule"] == "procurement:request~accept"


def test_the_history_is_made_once(scanned):
    _made, _rows, again, items, _sms, _chain = scanned
    assert again.items == 0 and set(again.skipped_units) == {"czj", "wjj", "nmj", "rsj", "qjz"}
    assert items > 100


def test_the_audit_chain_of_the_history_verifies(scanned):
    # The history runs on a clock in Beijing; the database gives every moment back in UTC.
    made, *_, chain = scanned
    assert chain.ok, chain.first_break
    assert chain.count > made.steps and chain.pending == 0
