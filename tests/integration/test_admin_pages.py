"""The administrators' pages: units and posts, people with the static incompatible-post
check before saving, CSV import with every bad row, processes (upload with every problem
at its path, draft, publish, compare), the policy with its preview, calendar overrides."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.controls.models import ControlHit, HitOutcome
from riskctl.core.calendar_store import CalendarOverride, local_date
from riskctl.org.models import Person, Post, Unit
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.risk.models import RiskPolicy
from tests.integration.test_pages import csrf_from, sign_in
from tests.integration.test_workflow import PROCUREMENT, Driver


@pytest.fixture
def admin(client: Any) -> Any:
    sign_in(client, "admin")
    return client


def post(client: Any, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf_from(client.get(url.split("?")[0] if "/people/" not in url else url).text)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def test_only_administrators_open_the_admin_pages(client):
    sign_in(client, "jw.hexiaoping")
    assert client.get("/admin/units").status_code == 403
    assert client.get("/admin/policy").status_code == 403


def test_a_unit_is_created_and_a_bad_code_is_shown_beside_its_field(admin, session):
    bad = post(admin, "/admin/units", {"code": "Bad Code!", "name": "", "kind": "department"})
    assert bad.status_code == 422
    assert re.search(r'id="error-code">', bad.text) and re.search(r'id="error-name">', bad.text)
    good = post(admin, "/admin/units", {"code": "sjj", "name": "区审计局", "kind": "department"})
    assert good.status_code == 302 and good.headers["Location"] == "/admin/units/sjj"
    added = post(admin, "/admin/units/sjj", {"code": "auditor", "name": "审计员", "risk": "4"})
    assert added.status_code == 302
    created = session.scalar(sa.select(Post).join(Unit).where(Unit.code == "sjj"))
    assert (created.code, created.name, created.risk) == ("auditor", "审计员", 4)
    page = admin.get("/admin/units/sjj").text
    assert "审计员" in page and "出纳不得兼任会计" in page  # the platform's default pairs


def test_the_post_check_shows_incompatible_posts_before_saving(admin, session):
    url = "/admin/people/czj.liujing"  # 刘静, 出纳
    form = {"action": "check", "post_rows": "2", "name": "刘静", "phone": "+8613900000012",
            "unit": "czj", "roles": "staff", "risk": "3", "is_active": "on",
            "posts-0-code": "cashier", "posts-1-code": "accountant"}  # fmt: skip
    checked = post(admin, url, form)
    result = checked.text.split('id="post-check"', 1)[1].split("</div>", 1)[0]
    assert "出纳不得兼任会计" in result and "保存将被拒绝" in result
    person = session.scalar(sa.select(Person).where(Person.username == "czj.liujing"))
    assert sorted(p.code for p in person.current_posts(local_date())) == [
        "cashier"
    ]  # a check saves nothing
    saved = post(admin, url, {**form, "action": "save"})
    assert saved.status_code == 422  # block mode: refused, and the attempt is on record
    hit = session.scalar(
        sa.select(ControlHit).where(ControlHit.outcome == HitOutcome.REFUSED)
        .order_by(ControlHit.id.desc())
    )  # fmt: skip
    assert hit is not None and hit.rule == "posts:accountant~cashier"


def test_a_person_is_created_with_dated_posts(admin, session):
    form = {"action": "save", "post_rows": "2", "username": "czj.test", "name": "测试员",
            "phone": "+8613911112222", "unit": "czj", "roles": ["staff"], "risk": "2",
            "is_active": "on", "password": "a-long-password-2026",
            "posts-0-code": "purchaser", "posts-0-from": "2026-01-01",
            "posts-0-to": "2026-12-31"}  # fmt: skip
    response = post(admin, "/admin/people/new", form)
    assert response.status_code == 302, response.text
    person = session.scalar(sa.select(Person).where(Person.username == "czj.test"))
    (held,) = person.assignments
    assert (held.post.code, held.valid_from.isoformat(), held.valid_to.isoformat()) == (
        "purchaser", "2026-01-01", "2026-12-31",
    )  # fmt: skip
    bad = post(admin, "/admin/people/new", {**form, "username": "czj.test2", "phone": "123",
                                             "posts-0-to": "2025-01-01"})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="error-phone"' in bad.text and 'id="error-posts[0]-valid_to"' in bad.text
    assert "请使用国际格式" in bad.text  # the phone's problem, in Chinese


def test_a_csv_import_lists_every_bad_row(admin, session):
    people = (
        "username,name,phone,unit,roles,posts,risk,scope\n"
        "czj.new1,新人一,+8613900009991,czj,staff,purchaser,3,\n"
        "czj.new2,新人二,not-a-phone,czj,staff,purchaser,3,\n"
        "czj.new3,新人三,+8613900009993,nowhere,staff,,3,\n"
    ).encode()
    response = post(admin, "/admin/import", {"people": (io.BytesIO(people), "people.csv")},
                    content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422
    table = response.text.split('id="import-errors"', 1)[1]
    rows = re.findall(r"<tr><td>people\.csv</td><td>(\d+)</td><td><code>([^<]*)</code>", table)
    assert {(row, path) for row, path in rows} >= {("3", "phone"), ("4", "unit")}
    assert session.scalar(sa.select(Person).where(Person.username == "czj.new1")) is None
    partial = post(admin, "/admin/import", {"people": (io.BytesIO(people), "people.csv"),
                                            "partial": "on"},
                   content_type="multipart/form-data")  # fmt: skip
    assert partial.status_code == 200 and 'id="import-summary"' in partial.text
    assert session.scalar(sa.select(Person).where(Person.username == "czj.new1")) is not None


BROKEN = """\
key: small_purchase
name: 小额采购
category: procurement
fields:
  - {key: amount, label: 金额, type: money}
nodes:
  - {key: start, kind: start}
  - {key: apply, name: 申请, post: no_such_post, limit: 3xd}
  - {key: done, kind: end}
edges:
  - [start, apply]
  - [apply, nowhere]
"""


def test_a_process_upload_shows_every_problem_at_its_path(admin):
    response = post(admin, "/admin/processes/upload?unit=czj",
                    {"unit": "czj", "text": BROKEN, "action": "check"})  # fmt: skip
    assert response.status_code == 422
    paths = re.findall(r"<tr><td><code>([^<]+)</code></td>", response.text)
    assert "nodes[1].post" in paths and "nodes[1].limit" in paths
    assert any(p.startswith("edges[1]") for p in paths)


def test_a_draft_is_saved_published_and_compared(admin, session):
    text = (
        BROKEN.replace("no_such_post", "purchaser").replace("3xd", "3wd").replace("nowhere", "done")
    )
    saved = post(admin, "/admin/processes/upload?unit=czj",
                 {"unit": "czj", "text": text, "action": "save"})  # fmt: skip
    assert saved.status_code == 302, saved.text
    listing = admin.get("/admin/processes?unit=czj").text
    assert "小额采购" in listing and "发布 v1" in listing
    published = post(admin, "/admin/processes/czj/small_purchase/publish", {})
    assert published.status_code == 302
    second = text.replace("name: 申请", "name: 采购申请")
    post(admin, "/admin/processes/upload?unit=czj", {"unit": "czj", "text": second,
                                                     "action": "save"})  # fmt: skip
    rows = session.scalars(
        sa.select(ProcessDefinition).where(ProcessDefinition.key == "small_purchase")
        .order_by(ProcessDefinition.version)
    ).all()  # fmt: skip
    assert [(r.version, r.status) for r in rows] == [
        (1, ProcessStatus.PUBLISHED), (2, ProcessStatus.DRAFT),
    ]  # fmt: skip
    diff = admin.get("/admin/processes/czj/small_purchase/compare?a=1&b=2").text
    assert 'class="diff_chg"' in diff or 'class="diff_add"' in diff
    assert '<span class="diff_add">采购</span>申请' in diff
    view = admin.get("/admin/processes/czj/small_purchase/v2").text
    assert 'class="mermaid"' in view and "采购申请" in view


def test_the_policy_preview_shows_what_it_would_raise_before_saving(
    admin, session, client, token_for
):
    # Something to find: a purchase budgeted just under the open-tender threshold.
    Driver(client, token_for).start("procurement", PROCUREMENT | {"amount": "3980000.00"})
    page = admin.get("/admin/policy").text
    assert "化整为零规避公开招标" in page
    before = session.scalar(sa.select(sa.func.max(RiskPolicy.version))) or 0
    form = {f"factor-{k}": v for k, v in
            {"1": "0.6", "2": "0.8", "3": "1.0", "4": "1.25", "5": "1.5"}.items()}  # fmt: skip
    form.update({"threshold-red": "30", "threshold-orange": "20", "threshold-yellow": "10"})
    for code in re.findall(r'name="enabled-([a-z_]+)" [^>]*checked', page):
        form[f"enabled-{code}"] = "on"
    preview = post(admin, "/admin/policy", {**form, "action": "preview"})
    assert preview.status_code == 200
    section = preview.text.split('id="preview"', 1)[1]
    counts = re.findall(r"<td><b>(\d+)</b></td>", section)
    assert len(counts) == 4 and int(counts[0]) > 0  # reds under the lowered thresholds
    assert (session.scalar(sa.select(sa.func.max(RiskPolicy.version))) or 0) == before
    bad = post(admin, "/admin/policy", {**form, "threshold-red": "many", "action": "preview"})
    assert bad.status_code == 422 and 'id="error-thresholds-red"' in bad.text
    saved = post(admin, "/admin/policy", {**form, "action": "save", "comment": "测试"})
    assert saved.status_code == 302
    assert session.scalar(sa.select(sa.func.max(RiskPolicy.version))) == before + 1


def test_calendar_overrides_are_added_and_removed(admin, session):
    missing = post(admin, "/admin/calendar", {"day": "2027-02-01", "is_working": "0",
                                              "reason": ""})  # fmt: skip
    assert missing.status_code == 422 and 'id="error-reason"' in missing.text
    added = post(admin, "/admin/calendar", {"day": "2027-02-01", "is_working": "0",
                                            "reason": "测试放假"})  # fmt: skip
    assert added.status_code == 302
    page = admin.get("/admin/calendar?year=2027").text
    assert "测试放假" in page and 'class="rest" title="2027-02-01"' in page
    post(admin, "/admin/calendar", {"action": "remove", "day": "2027-02-01"})
    assert session.get(CalendarOverride, date(2027, 2, 1)) is None


def test_risk_values_of_the_four_levels_are_set_in_one_form(admin, session):
    from riskctl.risk.models import RiskValue

    page = admin.get("/admin/risk-values?unit=czj").text
    assert 'name="node:procurement:bidding"' in page and 'name="post:cashier"' in page
    response = post(admin, "/admin/risk-values?unit=czj", {
        "unit": "czj", "node:procurement:bidding": "2", "post:cashier": "5",
    })  # fmt: skip
    assert response.status_code == 302
    row = session.scalar(
        sa.select(RiskValue).where(RiskValue.process == "procurement", RiskValue.node == "bidding")
    )
    assert row is not None and row.risk == 2
    cashier = session.scalar(sa.select(Post).join(Unit).where(Unit.code == "czj",
                                                              Post.code == "cashier"))  # fmt: skip
    assert cashier.risk == 5
    assert "2 个风险值已修改" in admin.get("/admin/risk-values?unit=czj").text


def test_a_year_without_a_published_arrangement_is_marked_and_admins_are_reminded(admin, at):
    from datetime import UTC, datetime

    from riskctl.core.calendar import last_published_year

    known = last_published_year()
    assert 'id="provisional"' not in admin.get(f"/admin/calendar?year={known}").text
    # Years no other test touches (the shared database may hold overrides of next year).
    this, guessed = known + 6, known + 7
    page = admin.get(f"/admin/calendar?year={guessed}").text
    assert 'id="provisional"' in page
    assert f"{guessed}年的节假日安排，本年工作日仅按法定节假日推算" in page
    at(datetime(this, 10, 20, 2, 0, tzinfo=UTC))  # the autumn before: the notice is due
    home = admin.get("/").text
    assert f'id="calendar-provisional-{guessed}"' in home
    assert f'id="calendar-provisional-{this}"' in home
    at(datetime(known, 10, 20, 2, 0, tzinfo=UTC))
    assert f'id="calendar-provisional-{known}"' not in admin.get("/").text
    # once the administrator enters the notice, the year is no longer provisional
    post(admin, "/admin/calendar", {"day": f"{guessed}-02-06", "is_working": "1",
                                    "reason": "调休上班"})  # fmt: skip
    assert f'id="calendar-provisional-{guessed}"' not in admin.get("/").text


def test_a_discipline_leader_is_not_offered_to_start_items(client):
    sign_in(client, "czj.zhoujie")
    home = client.get("/").text
    assert 'id="todo-tasks"' in home and "/work/start" not in home
