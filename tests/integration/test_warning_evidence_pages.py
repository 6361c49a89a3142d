"""A warning's page says its evidence in words (issue 18): the demo's warnings, one of
each rule, read in Chinese and in English without a key, a username, JSON or an ISO
timestamp; the raw evidence is folded away for administrators only."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import sqlalchemy as sa

from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.clock import set_clock
from riskctl.risk import services as risk
from riskctl.risk.models import RiskEvent
from riskctl.workflow.history import load_history
from tests.integration.test_demo_history import NOW
from tests.integration.test_pages import csrf_from, sign_in
from tests.unit.test_evidence_words import problems


def _demo_events(session: Any) -> list[RiskEvent]:
    """One event of each rule the demo history raises (its planted splitting, control
    hit and meeting among them), in the test's rolled-back transaction."""
    set_clock(lambda: NOW)  # the autouse clock fixture pins it back after the test
    load_history(session, now=NOW)
    risk.scan_now(session, SYSTEM_ADMIN, full=True)
    session.flush()
    events = list(session.scalars(sa.select(RiskEvent).order_by(RiskEvent.id)))
    one: dict[str, RiskEvent] = {}
    for event in events:
        one.setdefault(event.rule, event)
    return list(one.values())


def visible(page: str, start: str, end: str) -> str:
    """The text a reader sees between two markers of a page."""
    part = page[page.index(start) : page.index(end, page.index(start))]
    part = re.sub(r"<(script|style)\b.*?</\1>", " ", part, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", part))


def evidence_text(page: str) -> str:
    """The warning's card as a reader sees it: its name, subject, facts and evidence."""
    card = visible(page, '<section class="card level-card', "</section>")
    return card.split("原始数据")[0].split("Raw data")[0]


def test_every_rule_of_the_demo_reads_in_words_on_its_warning_page(client: Any, session: Any):
    events = _demo_events(session)
    rules = {e.rule for e in events}
    assert {"procurement_splitting", "incompatible_posts", "meeting_chair_not_last"} <= rules
    sign_in(client, "jw.hexiaoping")  # an inspector over all five units
    pages = {e.id: client.get(f"/monitor/warnings/{e.id}") for e in events}
    for event in events:
        page = pages[event.id]
        assert page.status_code == 200, event.rule
        text = evidence_text(page.get_data(as_text=True))
        assert text.strip() and problems(text) == [], f"{event.rule}: {text}"
        assert 'class="raw-evidence"' not in page.get_data(as_text=True)  # not an administrator
    home = client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_from(home), "next": "/"})
    for event in events:
        page = client.get(f"/monitor/warnings/{event.id}").get_data(as_text=True)
        text = evidence_text(page)
        assert problems(text) == [], f"{event.rule} (en): {text}"


def test_the_warning_list_names_the_subject_never_its_code(client: Any, session: Any):
    _demo_events(session)
    sign_in(client, "jw.hexiaoping")
    page = client.get("/monitor/warnings?period=year").get_data(as_text=True)
    rows = visible(page, '<div id="warning-list"', "</table>")
    assert not re.search(r"[a-z_]+:[a-z_]+~[a-z_]+|\bmeeting:\d+|\bitem:\d+", rows), rows
    assert problems(rows) == [], rows


def test_an_administrator_finds_the_raw_evidence_folded_away_and_the_api_both(
    client: Any, session: Any
):
    event = _demo_events(session)[0]
    sign_in(client, "admin")
    page = client.get(f"/monitor/warnings/{event.id}").get_data(as_text=True)
    assert '<details class="raw-evidence">' in page and "原始数据（管理员）" in page
    body = client.get(f"/api/v1/risk-events/{event.id}").json
    assert body["evidence"] == event.evidence  # unchanged
    explained = body["evidence_explained"]
    assert set(explained) == {"zh", "en"} and explained["zh"]["sentences"] + [
        t["title"] for t in explained["zh"]["tables"]
    ]
