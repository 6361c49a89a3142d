"""Hostile input is refused at the edge with a 4xx in the envelope of api.md (a 4xx page
on the pages), naming where the problem is; never a 500, never minutes of work.

One test per class of problem, each with the examples of the security review: numbers
beyond 64 bits anywhere (path, query, body), money, JSON that is not text or too deep,
silence matchers, moments outside the calendar, CSV cells, YAML, control characters."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from tests.integration.test_pages import csrf_from, sign_in

BIG = "99999999999999999999"  # > 2**64
STAFF = "czj.wangfang"


def refused(response: Any, status: int | tuple[int, ...], path: str | None = None) -> dict:
    """The error envelope of api.md, with ``path`` among the details' paths."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    if path is not None:
        assert path in [d.get("path") for d in error["details"]], error
    return error


# ---------------------------------------------------------------- whole numbers


@pytest.mark.parametrize(
    ("user", "url", "path"),
    [
        (STAFF, f"/api/v1/items?offset={BIG}", "offset"),
        (STAFF, f"/api/v1/items?limit={BIG}", "limit"),
        (STAFF, f"/api/v1/tasks?offset={BIG}", "offset"),
        (STAFF, f"/api/v1/risk-events?item={BIG}", "item"),
        (STAFF, f"/api/v1/items/{BIG}", "item_id"),
        (STAFF, f"/api/v1/risk-events/{BIG}", "event_id"),
        (STAFF, f"/api/v1/processes/procurement?unit=czj&version={BIG}", "version"),
        ("admin", f"/api/v1/alerts?event=-{BIG}", "event"),
        ("admin", f"/api/v1/control-hits?item={BIG}", "item"),
        ("admin", f"/api/v1/units/czj/posts?offset={BIG}", "offset"),
    ],
)
def test_a_number_beyond_64_bits_in_a_path_or_query_is_a_422_naming_it(
    client, token_for, user, url, path
):
    refused(client.get(url, headers=token_for(user)), 422, path)


def test_a_number_beyond_64_bits_in_a_body_is_a_422_naming_it(client, token_for):
    admin = token_for("admin")
    expire = client.post(f"/api/v1/silences/{BIG}/expire", json={}, headers=admin)
    refused(expire, 422, "silence_id")
    adopt = {"template": "expense_reimbursement", "unit": "czj", "risks": {"pay": int(BIG)}}
    risks = client.post("/api/v1/processes/adopt", headers=admin, json=adopt)
    refused(risks, 422, "risks.pay")
    # In a free-form part of a body (item fields, the policy) the JSON guard says so.
    policy = client.put("/api/v1/policy", headers=admin, json={"factors": {"x": 10**30}})
    refused(policy, 422, "factors.x")


def test_offsets_go_to_64_bits_and_ids_to_the_integer_column(client, token_for):
    """An offset is no column: 64 bits.  An id is an INTEGER column: PostgreSQL refuses a
    parameter beyond 32 bits for it."""
    headers = token_for(STAFF)
    response = client.get(f"/api/v1/items?offset={2**63 - 1}", headers=headers)
    assert response.status_code == 200
    assert response.json["items"] == [] and response.json["offset"] == 2**63 - 1
    assert client.get(f"/api/v1/items/{2**31 - 1}", headers=headers).status_code == 404
    refused(client.get(f"/api/v1/items/{2**31}", headers=headers), 422, "item_id")
    refused(client.get(f"/api/v1/risk-events?item={2**31}", headers=headers), 422, "item")
    refused(client.get(f"/api/v1/processes/procurement?unit=czj&version={2**31}",
                       headers=headers), 422, "version")  # fmt: skip


def test_a_reference_field_holds_an_item_id(client, token_for):
    body = {"process": "contract", "title": "合同", "fields": {
        "subject": "采购电脑", "counterparty": "某公司", "contract_amount": "1.00"}}  # fmt: skip
    for ref in (str(2**31), "²", "CG-1", 0):
        body["fields"]["procurement_ref"] = ref
        refused(client.post("/api/v1/items", json=body, headers=token_for(STAFF)), 422,
                "fields.procurement_ref")  # fmt: skip


# ---------------------------------------------------------------- money


def _expense(amount: Any) -> dict[str, Any]:
    return {"process": "expense_reimbursement", "title": "差旅费",
            "fields": {"purpose": "出差", "budget_line": "差旅费", "amount": amount}}  # fmt: skip


@pytest.mark.parametrize(
    "amount", ["1e999999999", "9" * 100_000, "NaN", "Infinity", "-Infinity", "1E+3", "0x10"]
)
def test_money_that_is_no_amount_is_a_422_at_its_field(client, token_for, amount):
    started = time.monotonic()
    response = client.post("/api/v1/items", json=_expense(amount), headers=token_for(STAFF))
    refused(response, 422, "fields.amount")
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------- JSON bodies


def test_a_lone_surrogate_in_json_is_refused_at_its_path(client, token_for):
    body = '{"process": "expense_reimbursement", "title": "\\ud800", "fields": {}}'
    response = client.post("/api/v1/items", data=body, content_type="application/json",
                           headers=token_for(STAFF))  # fmt: skip
    refused(response, 422, "title")
    key = '{"process": "x", "title": "t", "fields": {"\\udfff": 1}}'
    response = client.post("/api/v1/items", data=key, content_type="application/json",
                           headers=token_for(STAFF))  # fmt: skip
    refused(response, 422, "fields")


@pytest.mark.parametrize("depth", [65, 20_000])
def test_json_nested_too_deep_is_a_400(client, token_for, depth):
    body = '{"process": "x", "title": "t", "fields": {"a": ' + "[" * depth + "]" * depth + "}}"
    response = client.post("/api/v1/items", data=body, content_type="application/json",
                           headers=token_for(STAFF))  # fmt: skip
    assert refused(response, 400)["code"] == "malformed_json"


def test_json_numbers_that_are_not_finite_are_refused(client, token_for):
    headers = token_for("admin")
    for text, status in (("NaN", 400), ("Infinity", 400), ("1e999", 422)):
        body = '{"factors": {"x": ' + text + "}}"
        response = client.put("/api/v1/policy", data=body, content_type="application/json",
                              headers=headers)  # fmt: skip
        refused(response, status)


def test_a_definition_sent_as_json_goes_through_the_same_guard(client, token_for):
    body = '{"key": "x", "name": "\\ud800"}'
    response = client.post("/api/v1/processes/validate?unit=czj", data=body,
                           content_type="application/json", headers=token_for("admin"))  # fmt: skip
    refused(response, 422, "name")


# ---------------------------------------------------------------- silences


@pytest.mark.parametrize(
    ("matcher", "path"),
    [
        ({"unit": {"$ne": 1}}, "matcher.unit"),
        ({"unit": ["czj"]}, "matcher.unit"),
        ({"rule": {"$gt": ""}}, "matcher.rule"),
        ({"rule": ["x"]}, "matcher.rule"),
        ({"level": {}}, "matcher.level"),
        ({"item": int(BIG)}, "matcher.item"),
        ({"item": "1"}, "matcher.item"),
    ],
)
def test_a_silence_matcher_takes_plain_values_only(client, token_for, matcher, path):
    body = {"matcher": matcher, "ends_at": "2026-12-02T00:00:00+00:00", "reason": "维护"}
    refused(client.post("/api/v1/silences", json=body, headers=token_for("admin")), 422, path)


# ---------------------------------------------------------------- moments and days


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+08:00",
               "9999-12-31T23:59:59-08:00", "9999-12-31T23:59:59+00:00"],
)  # fmt: skip
def test_a_preview_at_a_moment_outside_the_calendar_is_a_422(client, token_for, moment):
    response = client.post("/api/v1/policy/preview", json={"at": moment},
                           headers=token_for("admin"))  # fmt: skip
    refused(response, 422, "at")


def test_moments_and_days_outside_the_calendar_are_refused_everywhere(client, token_for):
    admin = token_for("admin")
    late = "9999-12-31T23:59:59-08:00"
    refused(client.get(f"/api/v1/items?to={late}", headers=admin), 422, "to")
    refused(client.get(f"/api/v1/stats/risk?group_by=day&from={late}", headers=admin), 422, "from")
    back_test = {"from": "0001-01-01", "to": "0001-01-31"}
    refused(client.post("/api/v1/policy/preview", json=back_test, headers=admin), 422, "from")
    refused(client.get("/api/v1/calendar/overrides?to=9999-12-31", headers=admin), 422, "to")


def test_a_date_field_of_an_item_is_a_day_of_the_calendar(client, token_for):
    body = _expense("100.00")
    body["process"] = "asset_acquisition"
    body["fields"] = {"asset_name": "电脑", "quantity": 1, "amount": "1.00",
                      "accepted_on": "9999-12-31"}  # fmt: skip
    refused(client.post("/api/v1/items", json=body, headers=token_for(STAFF)), 422,
            "fields.accepted_on")  # fmt: skip


# ---------------------------------------------------------------- CSV


def test_a_csv_cell_over_128_kib_is_a_422_naming_its_row(client, token_for):
    text = "code,name,kind,parent\nbig," + "x" * (129 * 1024) + ",department,\n"
    response = client.post(
        "/api/v1/org/import", headers=token_for("admin"), content_type="multipart/form-data",
        data={"units": (io.BytesIO(text.encode()), "units.csv")},
    )  # fmt: skip
    error = refused(response, 422)
    assert error["details"][0]["file"] == "units" and error["details"][0]["row"] == 2


def test_control_characters_in_a_csv_cell_are_refused_with_the_row(client, token_for):
    text = "code,name,kind,parent\nsjj,审计\x01局,department,\n"
    response = client.post(
        "/api/v1/org/import", headers=token_for("admin"), content_type="multipart/form-data",
        data={"units": (io.BytesIO(text.encode()), "units.csv")},
    )  # fmt: skip
    error = refused(response, 422, "name")
    assert error["details"][0]["row"] == 2


# ---------------------------------------------------------------- YAML


def _validate_yaml(client: Any, token_for: Any, text: str) -> Any:
    return client.post("/api/v1/processes/validate?unit=czj", data=text.encode("utf-8"),
                       content_type="application/yaml", headers=token_for("admin"))  # fmt: skip


def test_a_yaml_alias_bomb_is_refused_at_once(client, token_for):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for name, previous in zip("bcdefgh", "abcdefg", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    started = time.monotonic()
    response = _validate_yaml(client, token_for, bomb)
    assert time.monotonic() - started < 1
    assert "不允许使用锚点和别名" in refused(response, 422)["message"]  # Chinese by default


def test_yaml_nested_5000_deep_is_a_422(client, token_for):
    response = _validate_yaml(client, token_for, "[" * 5000 + "]" * 5000)
    assert "嵌套超过 32 层" in refused(response, 422)["message"]


@pytest.mark.parametrize(
    "text",
    [
        "key: !!python/object/apply:os.system ['true']\n",
        "key: x\nname: !!binary aGk=\n",
        "key: x\nname: !!set {a: null}\n",
        'key: x\nname: "\\ud800"\n',
        "key: x\nrisk: .inf\n",
        "key: x\nrisk: 100000000000000000000000\n",
        "key: x\n1: y\n",
        "key: x\n? [a, b]\n: y\n",
    ],
)
def test_yaml_tags_and_values_json_cannot_hold_are_refused(client, token_for, text):
    refused(_validate_yaml(client, token_for, text), 422)


# ---------------------------------------------------------------- control characters


def test_control_characters_in_free_text_are_a_422_naming_the_field(client, token_for):
    response = client.post("/api/v1/risk-events/1/explain", json={"text": "a\u0001b"},
                           headers=token_for(STAFF))  # fmt: skip
    assert "U+0001" in refused(response, 422, "text")["message"]
    body = dict(_expense("10.00"), comment="第一行\n第二行\t\u0085")  # C1: NEL
    refused(client.post("/api/v1/items", json=body, headers=token_for(STAFF)), 422, "comment")
    body = _expense("10.00")
    body["fields"]["purpose"] = "出差\u001b[31m"  # a terminal escape in an item's text field
    refused(client.post("/api/v1/items", json=body, headers=token_for(STAFF)), 422,
            "fields.purpose")  # fmt: skip


def test_tabs_and_newlines_are_free_text_but_not_a_line(client, token_for):
    body = dict(_expense("10.00"), comment="第一行\r\n第二行\t完")
    assert client.post("/api/v1/items", json=body, headers=token_for(STAFF)).status_code == 201
    body = dict(_expense("10.00"), title="差旅费\n报销")
    refused(client.post("/api/v1/items", json=body, headers=token_for(STAFF)), 422, "title")
    unit = {"code": "sjj", "name": "区审计局\t", "kind": "department"}
    refused(client.post("/api/v1/units", json=unit, headers=token_for("admin")), 422, "name")


def test_a_definition_name_is_one_line(client, token_for):
    response = _validate_yaml(client, token_for, 'key: x\nname: "采购\\n流程"\n')
    assert response.status_code == 200
    assert "name" in [p["path"] for p in response.json["problems"]]


def test_control_characters_in_a_page_form_are_refused_naming_the_field(client, session):
    sign_in(client, "admin")
    token = csrf_from(client.get("/admin/units").text)
    form = {"csrf_token": token, "code": "sjj", "name": "区审计\u0007局", "kind": "department"}
    response = client.post("/admin/units", data=form)
    assert response.status_code == 422
    assert "控制字符" in response.text and "U+0007" in response.text


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize(
    ("user", "url"),
    [
        (STAFF, f"/work?offset={BIG}"),
        (STAFF, f"/items?offset={BIG}"),
        (STAFF, "/items?offset=%C2%B2"),  # "²" is a digit to str.isdigit, not to int()
        (STAFF, "/items?offset=abc"),
        (STAFF, f"/items/{BIG}"),
        (STAFF, f"/tasks/{BIG}"),
        (STAFF, f"/work/warnings?offset={BIG}"),
        (STAFF, f"/notifications?offset={BIG}"),
        ("admin", f"/monitor/warnings?offset={BIG}"),
        ("admin", f"/monitor/warnings/{BIG}"),
        ("admin", f"/monitor/notifications?offset={BIG}"),
        ("admin", f"/admin/people?offset={BIG}"),
        ("admin", "/admin/calendar?year=99999"),
        ("admin", f"/admin/processes/czj/procurement/v{BIG}"),
        ("admin", f"/admin/processes/czj/procurement/compare?a={BIG}"),
    ],
)
def test_pages_answer_bad_numbers_with_a_422_page_in_chinese(client, user, url):
    sign_in(client, user)
    response = client.get(url)
    assert response.status_code == 422, response.text[:500]
    assert "输入有误" in response.text


def test_every_json_body_is_guarded_even_before_sign_in(client):
    body = '{"username": ' + "[" * 20_000 + "]" * 20_000 + "}"
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert refused(response, 400)["code"] == "malformed_json"
    surrogate = '{"username": "\\ud800", "password": "x"}'
    response = client.post("/api/v1/auth/token", data=surrogate, content_type="application/json")
    refused(response, 422, "username")


def test_hostile_input_leaves_the_error_log_quiet(client, token_for, caplog):
    """A refusal is not an internal error: nothing is logged as one."""
    client.get(f"/api/v1/items?offset={BIG}", headers=token_for(STAFF))
    client.post("/api/v1/items", data=json.dumps(_expense("1e999999999")),
                content_type="application/json", headers=token_for(STAFF))  # fmt: skip
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@pytest.mark.parametrize(
    "url",
    ["/monitor/warnings?from=0001-01-01&to=0001-01-02",
     "/monitor/warnings?from=9999-12-30&to=9999-12-31",
     "/monitor/statistics?from=0001-01-01&to=0001-01-02",
     "/monitor/warnings/export.csv?from=9999-12-30&to=9999-12-31"],
)  # fmt: skip
def test_a_period_outside_the_calendar_is_shown_beside_its_field(client, url):
    sign_in(client, "admin")
    response = client.get(url)
    assert response.status_code == 422
    if "export" not in url:  # an export refuses bad filters with the bare 422 page
        assert "应为 1900-01-01 至 2099-12-31 之间的日期" in response.text
