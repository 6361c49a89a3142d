"""Creating units, posts and people; every bad input gets its 4xx and writes nothing."""

import json
from datetime import date

import pytest

from riskctl.core.audit import AuditRecord
from riskctl.core.errors import ValidationFailed
from riskctl.org.models import Person, Post, PostAssignment, Unit
from tests.conftest import count

NEW_PERSON = {
    "username": "czj.xinren",
    "password": "welcome-2026",
    "name": "辛仁",
    "phone": "+8613911112222",
    "unit": "czj",
    "roles": ["staff"],
    "posts": ["cashier", {"code": "handler", "valid_from": "2026-01-01"}],
    "risk": 4,
    "conflicts": [{"counterparty": "攀枝花某某科技有限公司", "relation": "配偶任股东"}],
}


@pytest.fixture
def admin(token_for):
    return token_for("admin")


def snapshot(session):
    return tuple(count(session, m) for m in (Unit, Post, Person, PostAssignment, AuditRecord))


def test_admin_creates_a_unit_a_post_and_a_person(client, admin):
    unit = client.post(
        "/api/v1/units",
        json={"code": "jyj", "name": "区教育局", "kind": "department"},
        headers=admin,
    )
    assert unit.status_code == 201
    assert unit.json["name"] == "区教育局"
    post = client.post(
        "/api/v1/units/jyj/posts",
        json={"code": "cashier", "name": "出纳", "risk": 4},
        headers=admin,
    )
    assert post.status_code == 201
    assert post.json == {"code": "cashier", "name": "出纳", "risk": 4, "unit": "jyj",
                         "is_leading": False}  # fmt: skip
    body = dict(NEW_PERSON, username="jyj.new", unit="jyj", posts=["cashier"])
    person = client.post("/api/v1/people", json=body, headers=admin)
    assert person.status_code == 201, person.json
    assert person.json["posts"][0]["code"] == "cashier"
    assert "password" not in person.json


def test_created_person_keeps_posts_validity_and_declared_conflicts(client, admin):
    response = client.post("/api/v1/people", json=NEW_PERSON, headers=admin)
    assert response.status_code == 201
    posts = {p["code"]: p for p in response.json["posts"]}
    assert posts["handler"]["valid_from"] == "2026-01-01"
    assert posts["cashier"]["valid_to"] is None
    assert response.json["conflicts"][0]["relation"] == "配偶任股东"
    assert response.json["risk"] == 4


def test_chinese_text_is_sent_as_is_not_escaped(client, admin):
    response = client.get("/api/v1/units/czj", headers=admin)
    assert "区财政局".encode() in response.data


def test_malformed_json_is_400_and_writes_nothing(client, session, admin):
    before = snapshot(session)
    response = client.post(
        "/api/v1/units", data='{"code": "x",', content_type="application/json", headers=admin
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert snapshot(session) == before


def test_wrong_types_are_422_with_every_path(client, session, admin):
    before = snapshot(session)
    response = client.post(
        "/api/v1/people",
        json=dict(NEW_PERSON, risk="high", roles="staff", posts=[7], phone=13911112222),
        headers=admin,
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert {d["path"] for d in error["details"]} == {"risk", "roles", "posts[0]", "phone"}
    assert snapshot(session) == before


def test_a_json_array_instead_of_an_object_is_422(client, session, admin):
    response = client.post("/api/v1/units", json=["czj"], headers=admin)
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["path"] == ""


def test_unknown_unit_of_a_person_and_unknown_posts_are_all_reported(client, session, admin):
    before = snapshot(session)
    body = dict(NEW_PERSON, unit="nowhere", posts=["cashier"])
    response = client.post("/api/v1/people", json=body, headers=admin)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert {"path": "unit", "message": "没有代码为“nowhere”的单位"} in error["details"]
    body = dict(NEW_PERSON, posts=["cashier", "astronaut"], scope=["wjj"])
    response = client.post("/api/v1/people", json=body, headers=admin)
    paths = {d["path"] for d in response.json["error"]["details"]}
    assert paths == {"posts[1]", "scope"}
    assert snapshot(session) == before


def test_posts_of_an_unknown_unit_are_404(client, session, admin):
    before = snapshot(session)
    response = client.post(
        "/api/v1/units/nowhere/posts", json={"code": "x", "name": "x"}, headers=admin
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_unit"
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/units", {"code": "czj", "name": "重复", "kind": "department"}),
        ("/api/v1/units/czj/posts", {"code": "cashier", "name": "出纳"}),
        ("/api/v1/people", dict(NEW_PERSON, username="czj.wangfang")),
    ],
)
def test_duplicate_codes_are_409_and_write_nothing(client, session, admin, path, body):
    before = snapshot(session)
    response = client.post(path, json=body, headers=admin)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "duplicate"
    assert snapshot(session) == before


def test_a_weak_password_is_refused(client, session, admin):
    response = client.post(
        "/api/v1/people", json=dict(NEW_PERSON, password="12345678"), headers=admin
    )
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["path"] == "password"


def test_an_oversize_body_is_413_and_writes_nothing(client, session, app, admin):
    before = snapshot(session)
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"code": "big", "name": "x" * (limit + 10), "kind": "department"})
    response = client.post(
        "/api/v1/units", data=body, content_type="application/json", headers=admin
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert snapshot(session) == before


def test_a_unit_cannot_become_its_own_ancestor(client, session, admin):
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.org.services import save_unit

    save_unit(session, SYSTEM_ADMIN, {"code": "child", "name": "下级", "kind": "department",
                                      "parent": "czj"})  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        save_unit(session, SYSTEM_ADMIN, {"code": "czj", "name": "区财政局", "kind": "department",
                                          "parent": "child"}, upsert=True)  # fmt: skip
    assert [d["path"] for d in caught.value.details] == ["parent"]
    assert "会使该单位成为自己的上级" in str(caught.value)  # outside a request: Chinese


def test_unknown_routes_and_methods_are_json_errors(client, admin):
    missing = client.get("/api/v1/nothing-here", headers=admin)
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = client.put("/api/v1/units", json={}, headers=admin)
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_lists_use_the_envelope_and_paging(client, admin):
    first = client.get("/api/v1/units?limit=2&offset=0", headers=admin).json
    second = client.get("/api/v1/units?limit=2&offset=2", headers=admin).json
    assert first["total"] == 6 and first["limit"] == 2 and first["offset"] == 0
    assert len(first["items"]) == 2
    assert {u["code"] for u in first["items"]}.isdisjoint(u["code"] for u in second["items"])
    # Newest first.
    assert first["items"][0]["code"] == "qjz"


def test_bad_paging_is_422(client, admin):
    response = client.get("/api/v1/units?limit=0&offset=-1", headers=admin)
    assert response.status_code == 422
    assert {d["path"] for d in response.json["error"]["details"]} == {"limit", "offset"}


def test_reading_people_is_audited(client, session, token_for):
    import sqlalchemy as sa

    client.get("/api/v1/people?unit=czj", headers=token_for("czj.zhoujie"))
    record = session.scalars(
        sa.select(AuditRecord)
        .where(AuditRecord.action == "people.read")
        .order_by(AuditRecord.seq.desc())
    ).first()
    assert record is not None
    assert record.actor == "czj.zhoujie"
    assert "czj.wangfang" in record.after["returned"]


def test_filtering_people_by_an_unknown_unit_is_404(client, admin):
    response = client.get("/api/v1/people?unit=nowhere", headers=admin)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_unit"


def test_filtering_people_by_a_unit_outside_the_scope_is_403(client, token_for):
    response = client.get("/api/v1/people?unit=nmj", headers=token_for("czj.wangfang"))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "out_of_scope"


def test_colleagues_see_names_and_posts_but_not_phones_conflicts_or_risk(
    client, session, token_for, person
):
    from riskctl.org.models import ConflictOfInterest

    session.add(ConflictOfInterest(person_id=person("czj.liujing").id,
                                   counterparty="恒达商贸有限公司", relation="配偶任职",
                                   declared_on=date(2026, 1, 5)))  # fmt: skip
    session.flush()

    def liujing(username: str, path: str = "/api/v1/people?unit=czj&limit=100") -> dict:
        body = client.get(path, headers=token_for(username)).json
        rows = body.get("items", [body])
        return next(p for p in rows if p["username"] == "czj.liujing")

    for path in ("/api/v1/people?unit=czj&limit=100", "/api/v1/people/czj.liujing"):
        seen = liujing("czj.wangfang", path)  # a colleague (staff)
        assert seen["name"] == "刘静" and [p["code"] for p in seen["posts"]] == ["cashier"]
        assert seen["phone"] == "+86139****0014" and seen["conflicts"] == []
        assert seen["risk"] is None
        for who in ("czj.zhoujie", "jw.liuhong", "admin"):  # leader, inspector, admin
            full = liujing(who, path)
            assert full["phone"] == "+8613900000014" and full["risk"] == 3
            assert full["conflicts"][0]["counterparty"] == "恒达商贸有限公司"
    me = client.get("/api/v1/people/czj.liujing", headers=token_for("czj.liujing")).json
    assert me["phone"] == "+8613900000014"  # one's own data
