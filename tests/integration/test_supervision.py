"""Talks and the supervision ledger over the API, on SQLite and PostgreSQL: planning,
recording and confirming talks; findings with progress, evidence, 销号 and 退回; the
dispositions followed through; the 任前廉政谈话 of a leading post; the rules and the
reminders.  In 区财政局 (czj): 王芳 (staff, handler), 李强 (section chief), 周洁 (discipline
team leader); the commission's inspector 刘红 oversees czj and wjj, not 区农牧局 (nmj)."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.alerts.models import Channel, Kind, Notification
from riskctl.core.access import SYSTEM_ADMIN
from riskctl.core.audit import AuditRecord
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.org import services as org
from riskctl.org.models import Person, Unit
from riskctl.org.schemas import PersonIn
from riskctl.risk import services as risk
from riskctl.risk.models import EventStatus, Level, RiskEvent
from riskctl.supervision.models import Finding, SupervisionFile, Talk
from riskctl.supervision.reminders import send_reminders
from tests import files
from tests.integration.test_attachments import multipart

INSPECTOR, LEADER, STAFF, COLLEAGUE = "jw.liuhong", "czj.zhoujie", "czj.wangfang", "czj.liqiang"
_seq = itertools.count()


def later(days: int) -> str:
    return (local_date() + timedelta(days=days)).isoformat()


def plan(client: Any, token_for: Any, *, who: str = INSPECTOR, expect: int = 201,
         **changes: Any) -> dict[str, Any]:  # fmt: skip
    body = {"kind": "reminder_talk", "unit": "czj", "talker": INSPECTOR, "subjects": [STAFF],
            "due_on": later(5), "topic": "采购需求提出不规范，进行谈话提醒"} | changes  # fmt: skip
    response = client.post("/api/v1/talks", json=body, headers=token_for(who))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def red(session: Any, unit: str = "czj", username: str | None = STAFF) -> int:
    """A red warning about ``username``'s work in ``unit``, written straight to the table."""
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == unit))
    person = session.scalar(sa.select(Person.id).where(Person.username == username))
    event = RiskEvent(
        identity=f"supervision-test|{next(_seq)}", rule="step_overdue", unit_id=unit_id,
        person_id=person, severity=90, score=90.0, level=Level.RED, factors={"severity": 90},
        evidence={}, status=EventStatus.OPEN, policy_version=0,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event.id


def resolve(
    client: Any, token_for: Any, event_id: int, disposition: str, *, who: str = INSPECTOR,
    expect: int = 200, **follow_up: Any,
) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"disposition": disposition, "note": "核实后处置"}
    if follow_up:
        body["follow_up"] = follow_up
    response = client.post(f"/api/v1/risk-events/{event_id}/resolve", json=body,
                           headers=token_for(who))  # fmt: skip
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def enter(client: Any, token_for: Any, *, who: str = LEADER, expect: int = 201,
          **changes: Any) -> dict[str, Any]:  # fmt: skip
    body = {"unit": "czj", "source": "patrol", "description": "公务接待超标准，未严格执行公函制度",
            "measures": "修订接待制度，逐笔清理", "responsible": STAFF,
            "deadline": later(20)} | changes  # fmt: skip
    response = client.post("/api/v1/ledger", json=body, headers=token_for(who))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def upload(client: Any, token_for: Any, path: str, data: bytes, name: str, *, who: str,
           expect: int = 201) -> dict[str, Any]:  # fmt: skip
    body, content_type = multipart(data, name)
    response = client.post(path, data=body, content_type=content_type, headers=token_for(who))
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def count(session: Any, model: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)))


# ---------------------------------------------------------------- talks


def test_a_planned_talk_is_seen_by_its_people_recorded_by_the_talker_and_confirmed(
    client, token_for, session
):
    talk = plan(client, token_for)
    assert (talk["status"], talk["talker"], talk["unit"]) == ("planned", INSPECTOR, "czj")
    assert [s["person"] for s in talk["subjects"]] == [STAFF]
    assert talk["talker_label"].startswith("刘红（区纪委")
    mine = client.get("/api/v1/talks", headers=token_for(STAFF)).json
    assert [t["id"] for t in mine["items"]] == [talk["id"]]
    # A colleague of the unit takes no part: it is not theirs to see.
    assert client.get("/api/v1/talks", headers=token_for(COLLEAGUE)).json["total"] == 0
    assert (
        client.get(f"/api/v1/talks/{talk['id']}", headers=token_for(COLLEAGUE)).status_code == 404
    )
    assert client.get(f"/api/v1/talks/{talk['id']}", headers=token_for(LEADER)).status_code == 200

    early = client.post(f"/api/v1/talks/{talk['id']}/confirm", json={}, headers=token_for(STAFF))
    assert early.status_code == 409 and early.json["error"]["code"] == "talk_not_held"
    body = {"held_on": local_date().isoformat(), "record": "指出问题，本人表示接受并整改。"}
    by_subject = client.post(f"/api/v1/talks/{talk['id']}/record", json=body,
                             headers=token_for(STAFF))  # fmt: skip
    assert by_subject.status_code == 403 and by_subject.json["error"]["code"] == "not_the_talker"
    held = client.post(
        f"/api/v1/talks/{talk['id']}/record", json=body, headers=token_for(INSPECTOR)
    )
    assert held.status_code == 200, held.json
    assert (held.json["status"], held.json["outcome"], held.json["recorded_by"]) == (
        "held", "held", INSPECTOR,
    )  # fmt: skip
    again = client.post(
        f"/api/v1/talks/{talk['id']}/record", json=body, headers=token_for(INSPECTOR)
    )
    assert again.status_code == 409
    confirmed = client.post(
        f"/api/v1/talks/{talk['id']}/confirm", json={}, headers=token_for(STAFF)
    )
    assert confirmed.status_code == 200 and confirmed.json["subjects"][0]["confirmed_at"]
    twice = client.post(f"/api/v1/talks/{talk['id']}/confirm", json={}, headers=token_for(STAFF))
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_confirmed"
    by_talker = client.post(f"/api/v1/talks/{talk['id']}/confirm", json={},
                            headers=token_for(INSPECTOR))  # fmt: skip
    assert by_talker.status_code == 403
    actions = set(session.scalars(sa.select(AuditRecord.target_type)))
    assert {"talk", "talk_subject"} <= actions


def test_planning_names_every_problem_and_writes_nothing(client, token_for, session):
    before = count(session, Talk)
    body = plan(client, token_for, expect=422, due_on=later(-1), talker=COLLEAGUE,
                subjects=["nmj.gaopeng", "nobody.here"], topic="  ")  # fmt: skip
    paths = {d["path"] for d in body["error"]["details"]}
    assert paths == {"due_on", "talker", "subjects[0]", "subjects[1]", "topic"}
    assert (
        plan(client, token_for, expect=422, subjects=[INSPECTOR])["error"]["details"][0]["path"]
        == "subjects[0]"
    )  # the inspector is no person of czj
    two_lines = plan(client, token_for, expect=422, topic="谈话\n提醒", place="谈话室\t二楼")
    assert {d["path"] for d in two_lines["error"]["details"]} == {"topic", "place"}
    assert count(session, Talk) == before


def test_a_talk_of_a_unit_outside_the_scope_is_refused_with_403(client, token_for, session):
    body = plan(client, token_for, expect=403, unit="nmj", subjects=["nmj.gaopeng"])
    assert body["error"]["code"] == "not_your_unit"
    plan(client, token_for, who=LEADER, expect=403, unit="nmj", subjects=["nmj.gaopeng"])
    plan(client, token_for, who=STAFF, expect=403)
    assert count(session, Talk) == 0


def test_a_scan_of_the_record_is_kept_by_its_digest_and_a_wrong_or_large_file_refused(
    app, client, token_for, session, store, monkeypatch
):
    talk = plan(client, token_for)
    path = f"/api/v1/talks/{talk['id']}/files"
    data = files.pdf()
    kept = upload(client, token_for, path, data, "谈话记录.pdf", who=INSPECTOR)
    assert kept["content_type"] == "application/pdf" and store.path_of(kept["sha256"]).is_file()
    got = client.get(f"{path}/{kept['id']}", headers=token_for(STAFF))
    assert got.status_code == 200 and got.data == data
    got.close()
    wrong = upload(client, token_for, path, files.docx(), "记录.docx", who=INSPECTOR, expect=422)
    assert wrong["error"]["details"][0]["path"] == "file"
    settings = app.config["RISKCTL"].model_copy(update={"SUPERVISION_FILE_MAX_BYTES": 1024})
    monkeypatch.setitem(app.config, "RISKCTL", settings)
    large = upload(client, token_for, path, files.pdf(b"x" * 4000), "大.pdf", who=INSPECTOR,
                   expect=413)  # fmt: skip
    assert large["error"]["code"] == "file_too_large"
    upload(client, token_for, path, files.pdf(), "他人.pdf", who=COLLEAGUE, expect=404)
    assert count(session, SupervisionFile) == 1
    # A scan may be larger than the usual request limit, up to its own.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    monkeypatch.setitem(app.config, "RISKCTL", settings.model_copy(
        update={"SUPERVISION_FILE_MAX_BYTES": 1024 * 1024}))  # fmt: skip
    big = upload(client, token_for, path, files.pdf(b"z" * (512 * 1024)), "扫描.pdf", who=INSPECTOR)
    assert big["size"] > 512 * 1024
    downloads = session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.target_type == "supervision_file")
    ).all()
    assert "supervision_file.downloaded" in downloads


def test_an_annual_plan_of_collective_talks_talks_to_the_whole_unit(client, token_for, session):
    year = local_date().year + 1
    body = {"unit": "czj", "year": year, "note": "年度集体廉政谈话",
            "sessions": [{"due_on": f"{year}-03-15", "topic": "春节后集体廉政谈话",
                          "talker": LEADER},
                         {"due_on": f"{year}-09-15", "topic": "中秋国庆前集体廉政谈话",
                          "talker": INSPECTOR}]}  # fmt: skip
    made = client.post("/api/v1/talks/plans", json=body, headers=token_for(LEADER))
    assert made.status_code == 201, made.json
    first, second = made.json["talks"]
    members = session.scalar(sa.select(sa.func.count()).select_from(Person).join(Unit)
                             .where(Unit.code == "czj"))  # fmt: skip
    assert first["kind"] == "collective" and len(first["subjects"]) == members - 1
    assert LEADER not in [s["person"] for s in first["subjects"]]
    assert len(second["subjects"]) == members  # the inspector is no person of czj
    duplicate = client.post("/api/v1/talks/plans", json=body, headers=token_for(LEADER))
    assert duplicate.status_code == 409
    bad = client.post(
        "/api/v1/talks/plans",
        headers=token_for(LEADER),
        json=body
        | {
            "year": year + 1,
            "sessions": [{"due_on": f"{year}-01-02", "topic": "x", "talker": STAFF}],
        },
    )
    assert {d["path"] for d in bad.json["error"]["details"]} == {
        "sessions[0].due_on",
        "sessions[0].talker",
    }
    listed = client.get(f"/api/v1/talks/plans?year={year}", headers=token_for(INSPECTOR)).json
    assert [p["year"] for p in listed["items"]] == [year]


# ---------------------------------------------------------------- dispositions followed through


def test_a_red_resolved_with_a_reminder_talk_plans_the_talk_linked_both_ways(
    client, token_for, session
):
    event_id = red(session)
    answer = resolve(
        client, token_for, event_id, "reminder_talk", due=later(3), place="区纪委谈话室"
    )
    (follow,) = answer["follow_ups"]
    assert (follow["kind"], follow["what"], follow["state"]) == ("talk", "reminder_talk", "planned")
    talk = client.get(f"/api/v1/talks/{follow['id']}", headers=token_for(STAFF)).json
    assert talk["risk_event_id"] == event_id and talk["disposition"] == "reminder_talk"
    assert (talk["talker"], talk["disposed_by"], talk["place"]) == (
        INSPECTOR,
        INSPECTOR,
        "区纪委谈话室",
    )
    assert [s["person"] for s in talk["subjects"]] == [STAFF] and talk["due_on"] == later(3)
    shown = client.get(f"/api/v1/risk-events/{event_id}", headers=token_for(INSPECTOR)).json
    assert shown["follow_ups"] == [follow]


def test_a_follow_up_due_in_the_past_is_422_and_the_warning_stays_open(client, token_for, session):
    event_id = red(session)
    body = resolve(client, token_for, event_id, "admonishment", expect=422, due=later(-1))
    assert body["error"]["details"] == [{"path": "follow_up.due", "message": "不得早于今天"}]
    body = resolve(client, token_for, event_id, "letter_inquiry", expect=422, talker=STAFF,
                   subjects=["nmj.gaopeng"])  # fmt: skip
    assert {d["path"] for d in body["error"]["details"]} == {
        "follow_up.talker",
        "follow_up.subjects[0]",
    }
    assert session.get(RiskEvent, event_id).status is EventStatus.OPEN
    assert count(session, Talk) == 0


def test_a_rectification_enters_a_finding_with_a_deadline_and_the_default_days(
    client, token_for, session
):
    event_id = red(session)
    answer = resolve(client, token_for, event_id, "rectification", measures="完善采购需求审核")
    (follow,) = answer["follow_ups"]
    finding = client.get(f"/api/v1/ledger/{follow['id']}", headers=token_for(STAFF)).json
    expected = working_calendar(session).add_working_days(local_date(), 20)
    assert finding["deadline"] == expected.isoformat()
    assert (finding["source"], finding["responsible"], finding["risk_event_id"]) == (
        "risk_warning", STAFF, event_id,
    )  # fmt: skip
    assert finding["description"].startswith(f"风险预警 #{event_id}「单环节超时」")
    assert finding["measures"] == "完善采购需求审核" and finding["disposed_by"] == INSPECTOR


def test_dispositions_that_order_nothing_and_dismissals_write_no_follow_up(
    client, token_for, session
):
    for disposition in ("no_problem", "criticism", "case_clue"):
        assert resolve(client, token_for, red(session), disposition)["follow_ups"] == []
    dismissed = client.post(f"/api/v1/risk-events/{red(session)}/dismiss", json={"reason": "误报"},
                            headers=token_for(INSPECTOR))  # fmt: skip
    assert dismissed.status_code == 200 and dismissed.json["follow_ups"] == []
    assert count(session, Talk) == 0 and count(session, Finding) == 0


# ---------------------------------------------------------------- the ledger


def test_a_finding_is_rectified_with_evidence_and_verified_by_an_inspector_only(
    client, token_for, session, store
):
    finding = enter(client, token_for)
    assert (finding["status"], finding["responsible"]) == ("rectifying", STAFF)
    assert (
        client.get(f"/api/v1/ledger/{finding['id']}", headers=token_for(COLLEAGUE)).status_code
        == 404
    )
    base = f"/api/v1/ledger/{finding['id']}"
    progress = client.post(f"{base}/progress", json={"text": "已修订接待制度并印发"},
                           headers=token_for(STAFF))  # fmt: skip
    assert progress.status_code == 201, progress.json
    proof = upload(client, token_for, f"{base}/files?update={progress.json['id']}", files.jpeg(),
                   "制度文件.jpg", who=STAFF)  # fmt: skip
    assert proof["update_id"] == progress.json["id"]
    early = client.post(f"{base}/return", json={"reason": "证据不足"}, headers=token_for(INSPECTOR))
    assert early.status_code == 409
    done = client.post(f"{base}/submit", json={"text": "整改完成"}, headers=token_for(STAFF))
    assert done.status_code == 200 and done.json["status"] == "submitted"
    assert client.post(f"{base}/progress", json={"text": "再补充"},
                       headers=token_for(STAFF)).status_code == 409  # fmt: skip
    not_theirs = client.post(f"{base}/verify", json={}, headers=token_for(LEADER))
    assert not_theirs.status_code == 403 and not_theirs.json["error"]["code"] == "inspector_only"
    back = client.post(f"{base}/return", json={"reason": "缺少清理台账", "deadline": later(30)},
                       headers=token_for(INSPECTOR))  # fmt: skip
    assert back.status_code == 200 and (back.json["status"], back.json["returns"]) == (
        "rectifying",
        1,
    )
    assert back.json["deadline"] == later(30)
    client.post(f"{base}/submit", json={}, headers=token_for(STAFF))
    closed = client.post(
        f"{base}/verify", json={"note": "经核查已整改到位"}, headers=token_for(INSPECTOR)
    )
    assert closed.status_code == 200 and closed.json["status"] == "verified"
    assert [u["kind"] for u in closed.json["updates"]] == [
        "progress",
        "submitted",
        "returned",
        "submitted",
        "verified",
    ]
    assert closed.json["files"][0]["sha256"] == proof["sha256"]


def test_a_finding_for_a_unit_outside_the_scope_is_403_and_bad_input_422(
    client, token_for, session
):
    enter(client, token_for, who=INSPECTOR, unit="nmj", responsible=None, expect=403)
    enter(client, token_for, who=LEADER, unit="nmj", responsible=None, expect=403)
    enter(client, token_for, who=STAFF, expect=403)
    body = enter(client, token_for, expect=422, deadline=later(-3), responsible="nmj.gaopeng",
                 description="")  # fmt: skip
    assert {d["path"] for d in body["error"]["details"]} == {
        "deadline",
        "responsible[0]",
        "description",
    }
    assert count(session, Finding) == 0


def test_the_person_responsible_never_verifies_their_own_finding(client, token_for, session):
    from riskctl.supervision import ledger
    from riskctl.supervision.models import FindingSource

    czj = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    inspector = session.scalar(sa.select(Person.id).where(Person.username == INSPECTOR))
    own = ledger.add_finding(session, None, ledger.Entry(
        czj, FindingSource.INSPECTION, "监察员本人负责整改的问题", "", inspector,
        local_date() + timedelta(days=5)))  # fmt: skip
    refused = client.post(f"/api/v1/ledger/{own.id}/verify", json={}, headers=token_for(INSPECTOR))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "own_work"
    closed = client.post(f"/api/v1/ledger/{own.id}/verify", json={},
                         headers=token_for("jw.hexiaoping"))  # fmt: skip
    assert closed.status_code == 200 and closed.json["verified_by"] == "jw.hexiaoping"


def test_a_warning_is_put_on_the_ledger(client, token_for, session):
    event_id = red(session)
    finding = enter(client, token_for, who=INSPECTOR, risk_event=event_id, unit=None,
                    description=None, source="audit")  # fmt: skip
    assert (finding["unit"], finding["source"], finding["risk_event_id"]) == (
        "czj", "risk_warning", event_id,
    )  # fmt: skip
    assert f"#{event_id}" in finding["description"]
    other = red(session, "nmj", "nmj.gaopeng")
    enter(client, token_for, who=INSPECTOR, risk_event=other, unit=None, expect=404)
    shown = client.get(f"/api/v1/risk-events/{event_id}", headers=token_for(INSPECTOR)).json
    assert [(f["kind"], f["id"]) for f in shown["follow_ups"]] == [("finding", finding["id"])]


# ---------------------------------------------------------------- leading posts


def test_taking_up_a_leading_post_plans_a_pre_appointment_talk(client, token_for, session):
    org.save_post(session, SYSTEM_ADMIN, "czj", {"code": "leader", "name": "分管领导", "risk": 4,
                                                 "is_leading": True}, upsert=True)  # fmt: skip
    body = {
        "username": "czj.newleader",
        "password": "leader-pass-2026",
        "name": "新领导",
        "phone": "+8613900009001",
        "unit": "czj",
        "roles": ["staff"],
        "posts": ["leader"],
    }
    assert client.post("/api/v1/people", json=body, headers=token_for("admin")).status_code == 201
    (talk,) = client.get("/api/v1/talks?kind=pre_appointment", headers=token_for(LEADER)).json[
        "items"
    ]
    assert [s["person"] for s in talk["subjects"]] == ["czj.newleader"]
    assert talk["talker"] == LEADER and talk["post_name"] == "分管领导"
    assert talk["due_on"] == later(30) and talk["created_by"] is None
    # A holding of the past, or of a post that is not leading, plans nothing.
    past = body | {
        "username": "czj.oldleader",
        "posts": [{"code": "leader", "valid_from": later(-60)}],
    }
    staff = body | {"username": "czj.newclerk", "posts": ["handler"]}
    for other in (past, staff):  # through the service: no password to hash
        del other["password"]
        org.save_person(session, SYSTEM_ADMIN, PersonIn().load(other))
    assert count(session, Talk) == 1


def test_posts_are_marked_leading_through_the_api_and_the_csv_import(client, token_for, session):
    made = client.post(
        "/api/v1/units/czj/posts",
        headers=token_for("admin"),
        json={"code": "deputy", "name": "副局长", "risk": 4, "is_leading": True},
    )
    assert made.status_code == 201 and made.json["is_leading"] is True
    plain = client.post(
        "/api/v1/units/czj/posts",
        headers=token_for("admin"),
        json={"code": "clerk2", "name": "文员", "risk": 2},
    )
    assert plain.json["is_leading"] is False
    csv = "unit,code,name,risk,leading\nczj,head,主要负责人,5,是\nczj,clerk2,文员,2,\n"
    imported = client.post("/api/v1/org/import", headers=token_for("admin"),
                           data={"posts": (io.BytesIO(csv.encode()), "posts.csv")},
                           content_type="multipart/form-data")  # fmt: skip
    assert imported.status_code == 200, imported.json
    posts = {
        p["code"]: p["is_leading"]
        for p in client.get("/api/v1/units/czj/posts?limit=100", headers=token_for("admin")).json[
            "items"
        ]
    }
    assert (posts["head"], posts["clerk2"], posts["deputy"]) == (True, False, True)
    people_csv = (
        "username,name,phone,unit,roles,posts\n"
        "czj.newhead,新局长,+8613900009002,czj,工作人员,head\n"
    )
    client.post("/api/v1/org/import", headers=token_for("admin"),
                data={"people": (io.BytesIO(people_csv.encode()), "people.csv")},
                content_type="multipart/form-data")  # fmt: skip
    (talk,) = session.scalars(sa.select(Talk)).all()
    assert talk.kind.value == "pre_appointment"
    bad = "unit,code,name,leading\nczj,x1,某岗位,也许\n"
    refused = client.post("/api/v1/org/import", headers=token_for("admin"),
                          data={"posts": (io.BytesIO(bad.encode()), "posts.csv")},
                          content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["path"] == "is_leading"


# ---------------------------------------------------------------- rules, reminders, statistics


def _scan(session: Any) -> None:
    risk.scan_now(session, SYSTEM_ADMIN, full=True)


def _events(session: Any, rule: str) -> list[RiskEvent]:
    return list(session.scalars(sa.select(RiskEvent).where(RiskEvent.rule == rule)))


def test_a_follow_up_talk_not_held_raises_its_own_warning_told_to_who_disposed(
    client, token_for, session, at
):
    event_id = red(session)
    follow = resolve(client, token_for, event_id, "reminder_talk", talker=LEADER,
                     due=later(1))["follow_ups"][0]  # fmt: skip
    calendar = working_calendar(session)
    due = date.fromisoformat(later(1))
    day = calendar.add_working_days(due, 4)
    at(calendar.end_of_day(day) - timedelta(hours=10))
    _scan(session)
    (event,) = _events(session, "talk_overdue")
    assert event.person_id == session.scalar(sa.select(Person.id).where(Person.username == LEADER))
    assert event.subject == f"talk:{follow['id']}" and event.evidence["working_days_late"] == 4
    assert event.evidence["disposed_by"] == session.scalar(
        sa.select(Person.id).where(Person.username == INSPECTOR)
    )
    told = set(
        session.scalars(
            sa.select(Person.username)
            .join(Notification, Notification.recipient_id == Person.id)
            .where(Notification.event_id == event.id, Notification.channel == Channel.IN_APP)
        )
    )
    assert INSPECTOR in told  # who disposed the first warning, whatever the route
    words = risk.explained_evidence(session, event, "zh").text()
    assert "周洁" in words and f"预警 #{event_id}" in words and "刘红" in words
    # Held at last: the next day's scan clears it (a red waits for its disposition).
    held = {"held_on": day.isoformat(), "record": "已谈话"}
    assert client.post(f"/api/v1/talks/{follow['id']}/record", json=held,
                       headers=token_for(LEADER)).status_code == 200  # fmt: skip
    at(calendar.end_of_day(calendar.add_working_days(day, 1)) - timedelta(hours=10))
    _scan(session)
    session.refresh(event)
    assert event.status is EventStatus.AUTO_CLOSED or event.cause_cleared_at is not None


def test_a_rectification_past_its_deadline_is_a_warning_unless_done_in_time(
    client, token_for, session, at
):
    late = enter(client, token_for, deadline=later(2))
    on_time = enter(client, token_for, deadline=later(2), description="另一问题：账目不清")
    client.post(f"/api/v1/ledger/{on_time['id']}/submit", json={}, headers=token_for(STAFF))
    calendar = working_calendar(session)
    at(calendar.end_of_day(calendar.add_working_days(date.fromisoformat(later(2)), 3))
       - timedelta(hours=10))  # fmt: skip
    _scan(session)
    (event,) = _events(session, "rectification_overdue")
    assert event.subject == f"finding:{late['id']}" and event.evidence["working_days_late"] == 3
    assert "disposed_by" not in event.evidence  # entered by hand: nobody disposed anything


def test_reminders_go_to_the_talker_and_the_person_responsible_once(client, token_for, session):
    talk = plan(client, token_for, due_on=later(1))
    enter(client, token_for, deadline=later(1))
    plan(client, token_for, due_on=later(40))  # far off: no reminder yet
    assert send_reminders(session, lead_working_days=3) == 2
    assert send_reminders(session, lead_working_days=3) == 0
    rows = session.scalars(sa.select(Notification).where(Notification.kind == Kind.REMINDER)).all()
    by = {session.get(Person, n.recipient_id).username: n for n in rows}
    assert set(by) == {INSPECTOR, STAFF}
    assert by[INSPECTOR].data["link"] == f"/supervision/talks/{talk['id']}"
    assert (
        by[INSPECTOR].title.startswith("谈话提醒：谈话提醒应于") and "整改时限" in by[STAFF].title
    )
    mine = client.get("/api/v1/notifications", headers=token_for(INSPECTOR)).json["items"]
    assert mine[0]["link"] == f"/supervision/talks/{talk['id']}"


def test_the_statistics_count_dispositions_followed_through_by_form_and_outcome(
    client, token_for, session
):
    talk_event, late_event, rectified = red(session), red(session), red(session)
    held = resolve(client, token_for, talk_event, "reminder_talk")["follow_ups"][0]
    client.post(f"/api/v1/talks/{held['id']}/record", headers=token_for(INSPECTOR),
                json={"held_on": local_date().isoformat(), "record": "已谈"})  # fmt: skip
    resolve(client, token_for, late_event, "admonishment")
    resolve(client, token_for, rectified, "rectification")
    stats = client.get("/api/v1/stats/follow-ups?unit=czj", headers=token_for(INSPECTOR)).json
    rows = {
        r["key"]: (r["count"], r["held"], r["late"], r["open"]) for r in stats["by_disposition"]
    }
    assert rows["reminder_talk"] == (1, 1, 0, 0)
    assert rows["admonishment"] == (1, 0, 0, 1) and rows["rectification"] == (1, 0, 0, 1)
    assert rows["letter_inquiry"] == (0, 0, 0, 0)
    forms = {r["key"]: r["count"] for r in stats["by_form"]}
    assert forms == {"first": 2, "none": 1} and stats["total"] == 3
    assert client.get("/api/v1/stats/follow-ups", headers=token_for(STAFF)).status_code == 403


def test_the_demo_plants_a_talk_held_late_and_a_finding_past_its_deadline_once(session):
    from riskctl.supervision import demo
    from tests.conftest import TEST_NOW, pin_clock

    try:
        planted = demo.load_demo(session, now=TEST_NOW)
    finally:
        pin_clock()  # the demo moves the clock to when each thing happened
    assert (planted.talks, planted.findings, planted.leading_posts) == (4, 3, 12)
    talks = {t.kind.value: t for t in session.scalars(sa.select(Talk))}
    late = talks["reminder_talk"]
    assert late.status.value == "held" and late.held_on > late.due_on
    assert late.subjects[0].confirmed_at is not None
    assert talks["pre_appointment"].post_id is not None and talks["collective"].plan_id
    overdue = session.scalar(sa.select(Finding).join(Unit).where(Unit.code == "nmj"))
    assert overdue.deadline < local_date() and overdue.status.value == "rectifying"
    _scan(session)
    (event,) = _events(session, "rectification_overdue")
    assert event.subject == f"finding:{overdue.id}"
    assert _events(session, "talk_overdue") == []  # the late talk was held after all
    assert demo.load_demo(session, now=TEST_NOW).talks == 0  # loaded once


def test_the_printed_disposition_form_lists_the_talk_its_disposition_ordered(
    client, token_for, session
):
    from tests.integration.test_pages import sign_in

    event_id = red(session)
    (follow,) = resolve(client, token_for, event_id, "reminder_talk", due=later(3))["follow_ups"]
    sign_in(client, INSPECTOR)
    html = client.get(f"/monitor/warnings/{event_id}/print").get_data(as_text=True)
    table = html.split('class="grid follow-ups"', 1)[1].split("</table>", 1)[0]
    assert f"谈话提醒 #{follow['id']}" in table and "待谈话" in table
