"""Issue 18: unit codes of either case that compare case-insensitively (统一社会信用代码,
"CZJ-01"), and administrators' inputs of an unexpected kind answered 422 at their path,
never 500 (a policy entry's day or unit, a risk value, a calendar day)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.core.calendar_store import CalendarOverride
from riskctl.org.models import Unit
from tests.integration.test_admin_pages import post
from tests.integration.test_org_import import upload
from tests.integration.test_pages import sign_in
from tests.integration.test_workflow import PROCUREMENT, Driver

USCC = "91510400MA01ABCD2X"  # 18 characters: upper-case letters and digits


@pytest.fixture
def admin(token_for: Any) -> Any:
    return token_for("admin")


@pytest.fixture
def admin_page(client: Any) -> Any:
    sign_in(client, "admin")
    return client


# ---------------------------------------------------------------- unit codes


def test_a_unit_code_of_upper_case_letters_is_kept_as_given(client, admin):
    made = client.post("/api/v1/units", json={"code": USCC, "name": "某国有企业",
                                              "kind": "department"}, headers=admin)  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.json["code"] == USCC
    posted = client.post(f"/api/v1/units/{USCC.lower()}/posts",
                         json={"code": "cashier", "name": "出纳"}, headers=admin)  # fmt: skip
    assert posted.status_code == 201, posted.json
    assert posted.json["unit"] == USCC


def test_a_unit_code_differing_only_in_case_is_the_same_unit(client, session, admin):
    body = {"code": "CZJ", "name": "重复的财政局", "kind": "department"}
    again = client.post("/api/v1/units", json=body, headers=admin)
    assert again.status_code == 409 and again.json["error"]["details"][0]["path"] == "code"
    assert session.scalar(sa.select(sa.func.count()).select_from(Unit).where(
        sa.func.lower(Unit.code) == "czj")) == 1  # fmt: skip
    assert client.get("/api/v1/units/CZJ/posts", headers=admin).status_code == 200


def test_the_database_itself_refuses_a_second_unit_differing_only_in_case(session):
    # What two requests racing past the service's check would write.
    session.add(Unit(code="Zz-Race", name="甲", kind="department"))
    session.flush()
    session.add(Unit(code="zZ-rACE", name="乙", kind="department"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_a_unit_saved_meanwhile_in_another_case_is_a_409_not_a_500(session, monkeypatch):
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.core.errors import Conflict
    from riskctl.org import services as org

    session.add(Unit(code="Race-2", name="甲", kind="department"))
    session.flush()
    # The check before saving did not see it yet (the other request had not committed).
    monkeypatch.setattr(org, "unit_by_code", lambda _session, _code: None)
    with pytest.raises(Conflict) as refused:
        org.save_unit(session, SYSTEM_ADMIN, {"code": "RACE-2", "name": "乙", "kind": "department"})
    assert refused.value.code == "duplicate" and refused.value.details[0]["path"] == "code"


def test_a_person_names_units_in_either_case(client, session, admin):
    person = {"username": "czj.daxie", "password": "welcome-2026", "name": "大写",
              "phone": "+8613911113333", "unit": "CZJ", "roles": ["inspector"],
              "scope": ["Czj"]}  # fmt: skip
    made = client.post("/api/v1/people", json=person, headers=admin)
    assert made.status_code == 201, made.json
    assert made.json["unit"] == "czj" and made.json["scope"] == ["czj"]
    listed = client.get("/api/v1/people?unit=CZJ", headers=admin)
    assert listed.status_code == 200 and listed.json["total"] >= 1


def test_an_import_refers_to_units_in_either_case_and_finds_case_duplicates(client, session, admin):
    units = "code,name,kind,parent\nCZJ-01,财政局一分局,部门,CZJ\n"
    posts = "unit,code,name,risk\nczj-01,cashier,出纳,4\n"
    done = upload(client, admin, units=units, posts=posts)
    assert done.status_code == 200, done.json
    unit = session.scalar(sa.select(Unit).where(Unit.code == "CZJ-01"))
    assert unit is not None and unit.parent.code == "czj" and unit.posts[0].code == "cashier"
    twice = "code,name,kind,parent\nJYJ,区教育局,部门,\njyj,区教育局,部门,\n"
    refused = upload(client, admin, units=twice)
    assert refused.status_code == 422
    assert [(e["row"], e["path"]) for e in refused.json["error"]["details"]] == [(3, "code")]


# ---------------------------------------------------------------- the policy page


def _policy_form(page: str) -> dict[str, str]:
    form = {f"factor-{k}": v for k, v in
            {"1": "0.6", "2": "0.8", "3": "1.0", "4": "1.25", "5": "1.5"}.items()}  # fmt: skip
    form.update({"threshold-red": "80", "threshold-orange": "50", "threshold-yellow": "20"})
    for code in re.findall(r'name="enabled-([a-z_]+)" [^>]*checked', page):
        form[f"enabled-{code}"] = "on"
    return form


RULE = "procurement_just_under_threshold"


@pytest.mark.parametrize(
    ("params", "status", "path"),
    [
        ("- from: 2026-01-01\n  values: {band: 0.1}", 200, None),  # a YAML date
        ("- from: 20260101\n  values: {band: 0.1}", 422, "from"),  # a number: was a 500
        ("- from: 2026-01-01\n  unit: [czj]\n  values: {band: 0.1}", 422, "unit"),  # was a 500
        ("- from: 2026-01-01\n  unit: CZJ\n  values: {band: 0.1}", 200, None),
    ],
)
def test_the_policy_preview_reads_entry_days_and_units_or_says_why(
    admin_page, client, token_for, session, params, status, path
):
    # Something for the rule to look at, so that the scan reads the entries.
    Driver(client, token_for).start("procurement", PROCUREMENT | {"amount": "3980000.00"})
    form = _policy_form(admin_page.get("/admin/policy").text)
    form[f"params-{RULE}"] = params
    answer = post(admin_page, "/admin/policy", {**form, "action": "preview"})
    assert answer.status_code == status
    if path is not None:  # the problem is shown beside the rule, with its path
        assert f"<code>rules.{RULE}.params[0].{path}</code>" in answer.text


def test_a_yaml_date_is_saved_as_its_text(admin_page, session):
    from riskctl.risk.models import RiskPolicy

    form = _policy_form(admin_page.get("/admin/policy").text)
    form["params-step_overdue"] = "- from: 2026-01-01\n  unit: CZJ\n  values: {base: 33}"
    saved = post(admin_page, "/admin/policy", {**form, "action": "save", "comment": "测试"})
    assert saved.status_code == 302
    row = session.scalars(sa.select(RiskPolicy).order_by(RiskPolicy.version.desc())).first()
    assert row.body["rules"]["step_overdue"]["params"] == [
        {"from": "2026-01-01", "unit": "czj", "values": {"base": 33}}
    ]


# ---------------------------------------------------------------- other admin forms


def test_a_risk_value_in_other_digits_is_ignored_not_a_500(admin_page):
    answer = post(admin_page, "/admin/risk-values?unit=czj",
                  {"unit": "czj", "post:cashier": "²"})  # fmt: skip
    assert answer.status_code == 302


@pytest.mark.parametrize("day", ["20270201", "2027-W05-1", "2027-02-01T00:00"])
def test_a_calendar_day_is_written_yyyy_mm_dd(admin_page, session, day):
    refused = post(admin_page, "/admin/calendar", {"day": day, "is_working": "0",
                                                   "reason": "测试放假"})  # fmt: skip
    assert refused.status_code == 422 and 'id="error-day"' in refused.text
    assert session.get(CalendarOverride, date(2027, 2, 1)) is None


def test_a_silence_names_its_unit_in_either_case(client, token_for):
    answer = client.post("/api/v1/silences", json={
        "matcher": {"unit": "CZJ"}, "ends_at": "2026-12-02T10:00:00+08:00", "reason": "演练",
    }, headers=token_for("admin"))  # fmt: skip
    assert answer.status_code == 201, answer.json
    assert answer.json["matcher"] == {"unit": "czj"}
