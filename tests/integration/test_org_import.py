"""POST /api/v1/org/import: all or nothing with every bad row reported, or ?partial=1."""

import io

import pytest
import sqlalchemy as sa

from riskctl.core.audit import AuditRecord
from riskctl.org.models import Person, Post, Unit
from tests.conftest import count

UNITS = "code,name,kind,parent\njyj,区教育局,department,\nxyz,新区某局,部门,jyj\n"
POSTS = "unit,code,name,risk\njyj,cashier,出纳,4\njyj,accountant,会计,\n"
PEOPLE = (
    "username,name,phone,unit,roles,posts,risk,scope\n"
    "jyj.one,一号,+8613911110001,jyj,staff,cashier,3,\n"
    "jyj.two,二号,+8613911110002,jyj,工作人员;纪检组长,accountant:2026-01-01:,4,\n"
)
BAD_PEOPLE = (
    "username,name,phone,unit,roles,posts,risk,scope\n"
    "jyj.one,一号,+8613911110001,jyj,staff,cashier,3,\n"
    "jyj.bad,坏行,12345,jyj,staff,cashier,9,\n"  # row 3: phone and risk
    "jyj.ghost,幽灵,+8613911110003,nowhere,staff,,3,\n"  # row 4: unknown unit
    "jyj.one,重复,+8613911110004,jyj,staff,,3,\n"  # row 5: duplicate in file
)


@pytest.fixture
def admin(token_for):
    return token_for("admin")


def upload(client, headers, query="", **parts):
    data = {name: (io.BytesIO(text if isinstance(text, bytes) else text.encode()), f"{name}.csv")
            for name, text in parts.items()}  # fmt: skip
    return client.post(f"/api/v1/org/import{query}", data=data, headers=headers,
                       content_type="multipart/form-data")  # fmt: skip


def sizes(session):
    return tuple(count(session, m) for m in (Unit, Post, Person))


def test_a_clean_import_creates_everything_in_order(client, session, admin):
    before = sizes(session)
    response = upload(client, admin, units=UNITS, posts=POSTS, people=PEOPLE)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 6
    assert response.json["errors"] == []
    assert sizes(session) == (before[0] + 2, before[1] + 2, before[2] + 2)
    two = session.scalar(sa.select(Person).where(Person.username == "jyj.two"))
    assert two is not None
    assert {r.value for r in two.roles} == {"staff", "discipline_leader"}
    assert str(two.assignments[0].valid_from) == "2026-01-01"


def test_reimporting_updates_instead_of_duplicating(client, session, admin):
    upload(client, admin, units=UNITS, posts=POSTS, people=PEOPLE)
    again = upload(client, admin, units=UNITS.replace("区教育局", "区教育和体育局"))
    assert again.json["created"] == 0
    assert again.json["updated"] == 1  # only jyj's name changed
    assert again.json["summary"]["units"]["unchanged"] == 1
    assert session.scalar(sa.select(Unit.name).where(Unit.code == "jyj")) == "区教育和体育局"


def test_any_bad_row_rejects_the_whole_import_and_lists_every_bad_row(client, session, admin):
    before = sizes(session)
    response = upload(client, admin, units=UNITS, posts=POSTS, people=BAD_PEOPLE)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "import_rejected"
    bad = {(d["file"], d["row"], d["path"]) for d in error["details"]}
    assert bad == {
        ("people", 3, "phone"),
        ("people", 3, "risk"),
        ("people", 4, "unit"),
        ("people", 5, "username"),
    }
    assert sizes(session) == before
    rejected = session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.action == "org.import_rejected")
    ).all()
    assert rejected


def test_partial_writes_the_good_rows_and_reports_the_bad(client, session, admin):
    before = sizes(session)
    response = upload(client, admin, "?partial=1", units=UNITS, posts=POSTS, people=BAD_PEOPLE)
    assert response.status_code == 200
    assert response.json["summary"]["people"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 3,
    }
    assert {e["row"] for e in response.json["errors"]} == {3, 4, 5}
    assert sizes(session) == (before[0] + 2, before[1] + 2, before[2] + 1)


def test_a_gb18030_file_from_excel_imports(client, session, admin):
    response = upload(client, admin, units=UNITS.encode("gb18030"))
    assert response.status_code == 200
    assert session.scalar(sa.select(Unit.name).where(Unit.code == "xyz")) == "新区某局"


def test_a_file_with_a_wrong_header_is_rejected_with_row_1(client, admin):
    response = upload(client, admin, units="code,title\njyj,区教育局\n")
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert {(d["row"], d["path"], d["message"]) for d in details} == {
        (1, "header", "缺少列“name”"),
        (1, "header", "缺少列“kind”"),
        (1, "header", "未知列“title”"),
    }


def test_an_import_without_files_is_422(client, admin):
    response = client.post("/api/v1/org/import", data={}, headers=admin,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422


def test_an_oversize_upload_is_413_and_writes_nothing(client, session, app, admin):
    before = sizes(session)
    row = "jyj.x,某,+8613911110001,jyj,staff,,3,\n"
    huge = "username,name,phone,unit,roles,posts,risk,scope\n" + row * (
        app.config["MAX_CONTENT_LENGTH"] // len(row) + 10
    )
    # Encoded by hand: werkzeug's test client would spool this size to a temp file that it
    # leaves open when the app refuses the body.
    boundary = "riskctl-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="people"; '
        f'filename="people.csv"\r\nContent-Type: text/csv\r\n\r\n{huge}\r\n--{boundary}--\r\n'
    ).encode()
    response = client.post("/api/v1/org/import", data=body, headers=admin,
                           content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert sizes(session) == before
