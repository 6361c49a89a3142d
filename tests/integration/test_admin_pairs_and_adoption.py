"""Issue 18 on the administrators' pages: a unit's incompatible post pairs added, changed
and retired (audited, never deleted), and a template adopted with the unit's posts, time
limits and risk values, a second identical adoption refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.controls import services as controls
from riskctl.controls.models import ControlMode, PostIncompatibility
from riskctl.core.audit import AuditRecord
from riskctl.org.models import Unit
from riskctl.process.models import ProcessDefinition, ProcessStatus
from tests.integration.test_admin_pages import post
from tests.integration.test_pages import csrf_from, sign_in

BASIS = "《行政事业单位内部控制规范（试行）》第十五条"
OTHER_ROLES = ["czj.wangfang", "czj.zhoujie", "jw.hexiaoping"]  # staff, 纪检组长, 监察员


@pytest.fixture
def admin(client: Any) -> Any:
    sign_in(client, "admin")
    return client


def _unit_id(session: Any, code: str) -> int:
    return int(session.scalar(sa.select(Unit.id).where(Unit.code == code)))


def _row(session: Any, code: str, a: str, b: str) -> PostIncompatibility | None:
    return session.scalar(
        sa.select(PostIncompatibility).where(
            PostIncompatibility.unit_id == _unit_id(session, code),
            PostIncompatibility.post_a == a, PostIncompatibility.post_b == b,
        )
    )  # fmt: skip


def _audits(session: Any, action: str) -> list[AuditRecord]:
    return list(
        session.scalars(
            sa.select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        )
    )


def _pair_form(**fields: str) -> dict[str, str]:
    return {"action": "add", "post_a": "purchaser", "post_b": "acceptor", "mode": "flag",
            "name": "采购与验收不相容", "basis": BASIS, **fields}  # fmt: skip


# ---------------------------------------------------------------- incompatible pairs


def test_an_admin_adds_a_pair_on_the_unit_page_with_its_basis_audited(admin, session):
    added = post(admin, "/admin/units/czj/pairs", _pair_form())
    assert added.status_code == 302, added.text
    assert added.headers["Location"] == "/admin/units/czj#pairs"
    row = _row(session, "czj", "acceptor", "purchaser")
    assert row is not None
    assert (row.mode, row.name, row.basis) == (ControlMode.FLAG, "采购与验收不相容", BASIS)
    (record,) = _audits(session, "post_incompatibility.created")
    assert record.actor == "admin" and record.after is not None
    assert record.after["basis"] == BASIS and record.after["mode"] == "flag"
    page = admin.get("/admin/units/czj").text
    listed = page.split('id="pair-acceptor-purchaser"', 1)[1].split("</tr>", 1)[0]
    assert "采购与验收不相容" in listed and BASIS in listed and "标记" in listed


def test_an_empty_name_is_made_from_the_posts_names(admin, session):
    added = post(admin, "/admin/units/czj/pairs", _pair_form(name="", basis=""))
    assert added.status_code == 302, added.text
    row = _row(session, "czj", "acceptor", "purchaser")
    assert row is not None and row.name == "验收员与采购经办不相容" and row.basis == ""


def test_a_default_pair_changed_becomes_the_units_own_and_keeps_its_name(admin, session):
    changed = post(admin, "/admin/units/czj/pairs",
                   {"action": "save", "post_a": "cashier", "post_b": "accountant",
                    "mode": "flag", "name": "", "basis": "《会计基础工作规范》"})  # fmt: skip
    assert changed.status_code == 302, changed.text
    row = _row(session, "czj", "accountant", "cashier")
    assert row is not None and row.mode is ControlMode.FLAG
    assert row.name == "出纳不得兼任会计（账目登记）" and row.basis == "《会计基础工作规范》"
    nmj = {p.rule: p for p in controls.post_pairs(session, _unit_id(session, "nmj"))}
    assert nmj["posts:accountant~cashier"].mode is ControlMode.BLOCK  # other units keep it
    renamed = post(admin, "/admin/units/czj/pairs",
                   {"action": "save", "post_a": "accountant", "post_b": "cashier",
                    "mode": "block", "name": "出纳与会计不相容", "basis": ""})  # fmt: skip
    assert renamed.status_code == 302
    session.refresh(row)
    assert (row.mode, row.name, row.basis) == (ControlMode.BLOCK, "出纳与会计不相容", "")
    (update, *_rest) = _audits(session, "post_incompatibility.updated")
    assert update.before == {"mode": "flag", "name": "出纳不得兼任会计（账目登记）",
                             "basis": "《会计基础工作规范》"}  # fmt: skip


def test_a_pair_is_retired_not_deleted_and_put_back_by_giving_it_a_mode(admin, session):
    assert post(admin, "/admin/units/czj/pairs", _pair_form()).status_code == 302
    retired = post(admin, "/admin/units/czj/pairs",
                   {"action": "retire", "post_a": "acceptor", "post_b": "purchaser"})  # fmt: skip
    assert retired.status_code == 302, retired.text
    row = _row(session, "czj", "acceptor", "purchaser")
    assert row is not None and row.mode is ControlMode.OFF  # the row stays
    assert row.name == "采购与验收不相容" and row.basis == BASIS
    (record,) = _audits(session, "post_incompatibility.updated")
    assert (record.before, record.after) == ({"mode": "flag"}, {"mode": "off"})
    czj = _unit_id(session, "czj")
    assert controls.static_conflicts(session, czj, ["purchaser", "acceptor"]) == []
    page = admin.get("/admin/units/czj").text
    listed = page.split('id="pair-acceptor-purchaser"', 1)[1].split("</tr>", 1)[0]
    assert "关闭" in listed and 'value="retire"' not in listed
    again = post(admin, "/admin/units/czj/pairs",
                 {"action": "retire", "post_a": "acceptor", "post_b": "purchaser"})  # fmt: skip
    assert again.status_code == 422 and "这一对不相容岗位在本单位已停用" in again.text
    back = post(admin, "/admin/units/czj/pairs",
                {"action": "save", "post_a": "acceptor", "post_b": "purchaser", "mode": "block",
                 "name": "采购与验收不相容", "basis": BASIS})  # fmt: skip
    assert back.status_code == 302
    session.expire_all()  # the request changed the row this session holds
    assert [p.name for p in controls.static_conflicts(session, czj, ["purchaser", "acceptor"])] == [
        "采购与验收不相容"
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"post_b": "purchaser"}, "post_b", "请选择两个不同的岗位"),
        ({"post_a": ""}, "post_a", "请选择本单位的一个岗位"),
        ({"post_a": "astronaut"}, "post_a", "不是本单位的岗位"),
        ({"mode": "off"}, "mode", "请选择“拒绝”或“标记”"),
        ({"name": "名" * 201}, "name", "最多 200 个字符"),
        ({"basis": "据" * 501}, "basis", "最多 500 个字符"),
    ],
)  # fmt: skip
def test_pair_problems_are_shown_beside_their_fields_in_chinese(
    admin, session, change, field, message
):
    refused = post(admin, "/admin/units/czj/pairs", _pair_form(**change))
    assert refused.status_code == 422
    beside = refused.text.split(f'id="error-{field}">', 1)[1].split("</span>", 1)[0]
    assert message in beside
    assert _row(session, "czj", "acceptor", "purchaser") is None
    assert _audits(session, "post_incompatibility.created") == []


def test_a_row_problem_is_shown_in_that_rows_form(admin):
    refused = post(admin, "/admin/units/czj/pairs",
                   {"action": "save", "post_a": "accountant", "post_b": "cashier",
                    "mode": "flag", "name": "名" * 201, "basis": ""})  # fmt: skip
    assert refused.status_code == 422
    listed = refused.text.split('id="pair-accountant-cashier"', 1)[1].split("</tr>", 1)[0]
    assert "<details open>" in listed and 'id="error-edit-name">最多 200 个字符' in listed


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_other_roles_may_not_change_pairs_or_adopt(client, session, username):
    sign_in(client, username)
    token = csrf_from(client.get("/", follow_redirects=True).text)
    changed = client.post("/admin/units/czj/pairs", data={**_pair_form(), "csrf_token": token})
    assert changed.status_code == 403
    assert _row(session, "czj", "acceptor", "purchaser") is None
    assert client.get("/admin/processes/adopt?unit=czj&template=procurement").status_code == 403
    adopted = client.post("/admin/processes/adopt",
                          data={"unit": "czj", "template": "procurement", "key": "p2",
                                "name": "政府采购（分散采购）", "csrf_token": token})  # fmt: skip
    assert adopted.status_code == 403


# ---------------------------------------------------------------- adopting a template

ADOPT = "/admin/processes/adopt?unit=nmj&template=procurement"


def _adopt_form(page: str, **fields: str) -> dict[str, str]:
    """The adopt page's form as the browser would send it, prefilled values and all."""
    import re

    inputs = r'<input type="(?:text|number)"[^>]* name="([^"]+)"[^>]* value="([^"]*)"'
    form = dict(re.findall(inputs, page))
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        form[name] = chosen.group(1) if chosen else ""
    return {**form, "unit": "nmj", "template": "procurement", "publish": "on", **fields}


def _versions(session: Any, key: str, unit: str = "nmj") -> list[ProcessDefinition]:
    return list(
        session.scalars(
            sa.select(ProcessDefinition)
            .where(ProcessDefinition.unit_id == _unit_id(session, unit),
                   ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version)
        )
    )  # fmt: skip


def test_the_adopt_page_offers_the_units_posts_and_the_templates_limits(admin):
    page = admin.get(ADOPT)
    assert page.status_code == 200
    html = page.text
    purchaser = html.split('name="post-purchaser">', 1)[1].split("</select>", 1)[0]
    assert '<option value="purchaser" selected>采购经办 (purchaser)' in purchaser  # same code
    assert "采购需求申报" in html.split('id="adopt-posts"', 1)[1]  # which steps use the post
    assert 'name="limit-request" value="3wd"' in html and 'name="risk-request" value="3"' in html
    assert 'name="risk-process" value="4"' in html
    assert 'name="key" maxlength="40" value="procurement"' in html and "政府采购" in html
    listing = admin.get("/admin/processes?unit=nmj").text
    assert 'action="/admin/processes/adopt" class="form" id="adopt-choose"' in listing


def test_a_template_is_adopted_with_the_units_posts_limits_and_risk_values(admin, session):
    form = _adopt_form(admin.get(ADOPT).text, key="procurement_small", name="政府采购（分散采购）")
    form |= {"post-asset_keeper": "archivist", "limit-request": "5wd", "risk-request": "5",
             "risk-process": "3"}  # fmt: skip
    adopted = post(admin, "/admin/processes/adopt", form)
    assert adopted.status_code == 302, adopted.text
    (row,) = _versions(session, "procurement_small")
    assert row.status is ProcessStatus.PUBLISHED and row.template == "procurement"
    assert row.name == "政府采购（分散采购）" and row.risk == 3
    nodes = {n["key"]: n for n in row.body["nodes"]}
    assert nodes["store"]["post"] == "archivist" and nodes["pay"]["post"] == "cashier"
    assert nodes["request"]["limit"] == "5wd" and nodes["request"]["risk"] == 5
    assert nodes["review"]["limit"] == "2wd"  # unchanged
    (record,) = [r for r in _audits(session, "process_definition.created")
                 if r.target_id == "procurement_small"]  # fmt: skip
    assert record.actor == "admin"


def test_a_second_identical_adoption_is_refused_unless_key_and_name_differ(admin, session):
    before = len(_versions(session, "procurement"))
    page = admin.get(ADOPT).text
    # The same again (a version identical to the one in place), or a second 政府采购.
    for change in ({}, {"key": "procurement2"}):
        refused = post(admin, "/admin/processes/adopt", _adopt_form(page, **change))
        assert refused.status_code == 409, change
        said = refused.text.split('id="adopt-problems"', 1)[1].split("</ul>", 1)[0]
        assert "本单位已采用该模板" in said and "政府采购（分散采购）" in said
        assert 'id="error-key"' in refused.text and 'id="error-name"' in refused.text
    assert len(_versions(session, "procurement")) == before
    assert _versions(session, "procurement2") == []
    both = post(admin, "/admin/processes/adopt",
                _adopt_form(page, key="procurement2", name="政府采购（分散采购）"))  # fmt: skip
    assert both.status_code == 302
    assert [r.name for r in _versions(session, "procurement2")] == ["政府采购（分散采购）"]


def test_adopting_again_under_the_key_in_place_with_a_change_is_its_next_version(admin, session):
    # docs/processes.md: a unit whose adoption upgrade-templates cannot carry adopts again.
    before = _versions(session, "procurement")
    form = _adopt_form(admin.get(ADOPT).text, **{"limit-request": "5wd"})
    again = post(admin, "/admin/processes/adopt", form)
    assert again.status_code == 302, again.text
    after = _versions(session, "procurement")
    assert len(after) == len(before) + 1 and after[-1].status is ProcessStatus.PUBLISHED
    assert {n["key"]: n for n in after[-1].body["nodes"]}["request"]["limit"] == "5wd"


def test_the_api_refuses_a_second_adoption_with_409(client, token_for, session):
    admin = token_for("admin")
    again = client.post("/api/v1/processes/adopt", headers=admin,
                        json={"template": "procurement", "unit": "nmj"})  # fmt: skip
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_adopted"
    assert "请使用不同的流程代码和名称" in again.json["error"]["message"]  # Chinese by default
    english = client.post("/api/v1/processes/adopt", json={"template": "procurement",
                          "unit": "nmj"}, headers={**admin, "Accept-Language": "en"})  # fmt: skip
    assert english.json["error"]["code"] == "already_adopted"
    assert "different process key and a different name" in english.json["error"]["message"]
    own = client.post("/api/v1/processes/adopt", headers=admin,
                      json={"template": "procurement", "unit": "nmj", "key": "procurement2",
                            "name": "政府采购（分散采购）"})  # fmt: skip
    assert own.status_code == 201, own.json
    assert own.json["name"] == "政府采购（分散采购）"


def test_the_cli_refuses_a_second_adoption_and_takes_a_name(app, session):
    runner = app.test_cli_runner()
    again = runner.invoke(args=["riskctl", "process", "adopt", "procurement", "--unit", "nmj"])
    assert again.exit_code == 1 and "已将模板“procurement”采用为" in again.output
    own = runner.invoke(args=["riskctl", "process", "adopt", "procurement", "--unit", "nmj",
                              "--key", "procurement2",
                              "--name", "政府采购（分散采购）"])  # fmt: skip
    assert own.exit_code == 0, own.output
    (row,) = _versions(session, "procurement2")
    assert row.name == "政府采购（分散采购）"


def test_adopt_problems_are_shown_beside_their_fields_in_chinese(admin, session):
    page = admin.get(ADOPT).text
    blank = {"post-purchaser": "", "risk-request": "9"}
    parsed = post(admin, "/admin/processes/adopt", _adopt_form(page, key="p2", name="分散采购",
                                                               **blank))  # fmt: skip
    assert parsed.status_code == 422
    assert 'id="error-post-purchaser">请选择本单位的一个岗位' in parsed.text
    assert 'id="error-risk-request">应在 1 到 5 之间' in parsed.text
    checked = post(admin, "/admin/processes/adopt", _adopt_form(
        page, key="Bad Key", name="分散采购", **{"limit-request": "3x",
                                               "limit-review": "999wd"}))  # fmt: skip
    assert checked.status_code == 422
    assert 'id="error-key">以小写字母开头' in checked.text
    assert 'id="error-limit-request">“3x”不是有效的时限，请填写如 3wd' in checked.text
    assert 'id="error-limit-review">“999wd”：时限应在 1 到 365wd 之间' in checked.text
    tampered = post(admin, "/admin/processes/adopt", _adopt_form(
        page, key="p3", name="分散采购", **{"post-purchaser": "astronaut"}))  # fmt: skip
    assert tampered.status_code == 422
    assert 'id="error-post-purchaser">不是本单位的岗位' in tampered.text
    for key in ("p2", "p3"):
        assert _versions(session, key) == []
