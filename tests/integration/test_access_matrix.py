"""Every /api/v1 endpoint × every role × the caller's own unit and another unit.

"own" is a unit the actor legitimately works on (staff and discipline leader: their unit;
inspector: a unit in their scope); "other" is one they have nothing to do with.  Admins
see all.  A new endpoint fails ``test_every_api_route_is_in_the_matrix`` until it is
added here.
"""

import io
import itertools

import pytest

ACTORS = {
    # role: (username, own unit, other unit, a person of the own unit, of the other unit)
    "staff": ("czj.wangfang", "czj", "nmj", "czj.liqiang", "nmj.gaopeng"),
    "discipline_leader": ("czj.zhoujie", "czj", "nmj", "czj.liqiang", "nmj.gaopeng"),
    "inspector": ("jw.liuhong", "czj", "nmj", "czj.liqiang", "nmj.gaopeng"),
    "admin": ("admin", "czj", "nmj", "czj.liqiang", "nmj.gaopeng"),
    "anonymous": (None, "czj", "nmj", "czj.liqiang", "nmj.gaopeng"),
}
_seq = itertools.count()


def _unit_body():
    return {"code": f"m{next(_seq)}", "name": "矩阵单位", "kind": "department"}


def _post_body():
    return {"code": f"p{next(_seq)}", "name": "矩阵岗位", "risk": 3}


def _person_body(unit):
    return {
        "username": f"{unit}.matrix{next(_seq)}",
        "password": "matrix-pass-1",
        "name": "矩阵",
        "phone": "+8613900009999",
        "unit": unit,
        "roles": ["staff"],
    }


def _csv(unit):
    return {"posts": (io.BytesIO(f"unit,code,name,risk\n{unit},mx{next(_seq)},矩阵,3\n".encode()),
                      "posts.csv")}  # fmt: skip


# Items need a person of the unit to start them: the unit's handler, with a token issued
# by the test's own ``token_for`` (set by the autouse fixture below).
HANDLER = {"czj": "czj.wangfang", "nmj": "nmj.gaopeng"}
_tokens: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _share_tokens(token_for):
    _tokens["for"] = token_for
    yield
    _tokens.clear()


def _item(c, unit):
    """A fresh expense item of ``unit``; its open task is the handler's 申请."""
    body = {
        "process": "expense_reimbursement",
        "title": "矩阵报销",
        "fields": {"purpose": "差旅", "budget_line": "2026-公用经费", "amount": "800.00"},
    }
    response = c.post("/api/v1/items", json=body, headers=_tokens["for"](HANDLER[unit]))
    assert response.status_code == 201, response.get_json()
    return response.json


def _draft(c, unit, key):
    """An admin's draft of a small valid process in ``unit``."""
    response = c.post(
        f"/api/v1/processes?unit={unit}",
        data=_draft_text(key).encode(),
        content_type="application/yaml",
        headers=_tokens["for"]("admin"),
    )
    assert response.status_code == 201, response.get_json()


def _publish(c, h, unit):
    key = f"mx{next(_seq)}"
    _draft(c, unit, key)
    return c.post(f"/api/v1/processes/{key}/publish?unit={unit}", headers=h)


def _validate(c, h, unit):
    return c.post(
        f"/api/v1/processes/validate?unit={unit}",
        headers=h,
        data=_draft_text(f"mx{next(_seq)}"),
        content_type="application/yaml",
    )


def _draft_text(key):
    return (
        f"key: {key}\nname: 矩阵流程\ncategory: other\nnodes:\n  - {{key: s, kind: start}}\n"
        "  - {key: t, name: 办理, post: handler, limit: 2wd}\n  - {key: e, kind: end}\n"
        "edges:\n  - [s, t]\n  - [t, e]\n"
    )


def _bpmn_text(key):
    """The small process of ``_draft_text`` as a BPMN file (the designer's save)."""
    import yaml

    from riskctl.process.bpmn import export_bpmn

    return export_bpmn(yaml.safe_load(_draft_text(key))).encode()


def _complete_first(c, h, unit):
    item = _item(c, unit)
    return c.post(f"/api/v1/tasks/{item['tasks'][0]['id']}/complete", headers=h, json={})


# Who takes a 三重一大 item to its meeting, by post (the meeting's secretary is 档案管理).
DECIDERS = {
    "czj": {"handler": "czj.wangfang", "section_chief": "czj.liqiang", "leader": "czj.zhaolei",
            "finance_reviewer": "czj.zhangmin", "discipline_leader": "czj.zhoujie"},
    "nmj": {"handler": "nmj.gaopeng", "section_chief": "nmj.luoxia", "leader": "nmj.tangming",
            "finance_reviewer": "nmj.liangyu", "discipline_leader": "nmj.dengyun"},
}  # fmt: skip


def _meeting_task(c, unit):
    """A major decision of ``unit`` taken up to its meeting; its (open) meeting task."""
    body = {"process": "major_decision", "title": "矩阵议题",
            "fields": {"topic": "矩阵议题", "decision_type": "重大项目安排"}}  # fmt: skip
    item = c.post("/api/v1/items", json=body, headers=_tokens["for"](HANDLER[unit])).json
    while item["tasks"][0]["kind"] != "meeting":
        task = item["tasks"][0]
        who = _tokens["for"](DECIDERS[unit][task["post"]])
        decision = {"decision": "approve"} if task["decisions"] else {}
        item = c.post(f"/api/v1/tasks/{task['id']}/complete", json=decision, headers=who).json
    return item["tasks"][0]


def _meeting_body(unit):
    return {"held_on": "2026-12-01", "present": [], "views": [], "minutes": "矩阵"}


def _attachment(c, unit):
    """A file attached by ``unit``'s handler to a fresh item of ``unit``; its id."""
    response = _attach(c, _tokens["for"](HANDLER[unit]), unit)
    assert response.status_code == 201, response.get_json()
    return response.json["id"]


def _pdf():
    return f"%PDF-1.4\n矩阵 {next(_seq)}\n%%EOF\n".encode()


def _attach(c, h, unit):
    return c.post(f"/api/v1/items/{_item(c, unit)['id']}/attachments", headers=h,
                  data={"file": (io.BytesIO(_pdf()), "矩阵.pdf")},
                  content_type="multipart/form-data")  # fmt: skip


def _download(c, h, unit):
    response = c.get(f"/api/v1/attachments/{_attachment(c, unit)}/content", headers=h)
    response.get_data()
    response.close()  # the file, as a server closes it
    return response


def _delete_override(c, h):
    day = "/api/v1/calendar/overrides/2027-01-03"
    put = c.put(day, json={"is_working": True, "reason": "矩阵"}, headers=_tokens["for"]("admin"))
    assert put.status_code == 200, put.get_json()
    return c.delete(day, headers=h)


def _event(unit, level="orange"):
    """A risk event about the work of ``unit``'s handler, written straight to the table."""
    from riskctl.extensions import db
    from riskctl.org.models import Person, Unit
    from riskctl.risk.models import EventStatus, Level, RiskEvent

    session = db.session
    unit_id = session.query(Unit.id).filter(Unit.code == unit).scalar()
    person_id = session.query(Person.id).filter(Person.username == HANDLER[unit]).scalar()
    event = RiskEvent(
        identity=f"matrix|{next(_seq)}", rule="step_overdue", unit_id=unit_id,
        person_id=person_id, severity=60, score=60.0 if level == "orange" else 90.0,
        level=Level(level), factors={"severity": 60}, evidence={}, status=EventStatus.OPEN,
        policy_version=0,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event.id


def _on_event(c, h, unit, action, body=None, level="orange"):
    return c.post(f"/api/v1/risk-events/{_event(unit, level)}/{action}", headers=h, json=body or {})


def _notification(username):
    """An in-app notification addressed to ``username``."""
    from riskctl.alerts.models import Channel, Kind, Notification, Status
    from riskctl.extensions import db
    from riskctl.org.models import Person

    session = db.session
    person_id = session.query(Person.id).filter(Person.username == username).scalar()
    row = Notification(
        dedupe_key=f"matrix:{next(_seq)}", channel=Channel.IN_APP, kind=Kind.RAISED,
        status=Status.SENT, recipient_id=person_id, title="矩阵", body="矩阵", data={},
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def _silence(unit):
    from datetime import timedelta

    from riskctl.alerts.models import Silence
    from riskctl.core.clock import utcnow
    from riskctl.extensions import db

    silence = Silence(matcher={"unit": unit}, starts_at=utcnow(),
                      ends_at=utcnow() + timedelta(hours=1), reason="矩阵")  # fmt: skip
    db.session.add(silence)
    db.session.flush()
    return silence.id


def _silence_body(unit):
    from datetime import timedelta

    from riskctl.core.clock import utcnow

    ends = utcnow() + timedelta(days=1)
    return {"matcher": {"unit": unit, "level": "yellow"}, "reason": "矩阵",
            "ends_at": ends.isoformat()}  # fmt: skip


def _thresholds():
    yellow = 21 + next(_seq) % 20
    return {"thresholds": {"red": 80, "orange": 50, "yellow": yellow}}


def _pair(unit):
    return {"posts": ["handler", "acceptor"], "mode": "flag", "name": "矩阵"}


def _mitigation(unit):
    return {
        "unit": unit,
        "rule": "procurement:request~accept",
        "name": "矩阵缓释",
        "approver": "czj.zhoujie" if unit == "czj" else "nmj.dengyun",
        "valid_from": "2026-01-01",
        "valid_to": "2026-06-30",
    }


# Talks and the ledger (riskctl.supervision): the unit's discipline leader plans and
# enters, its handler is talked to and answers for the finding.
LEADERS = {"czj": "czj.zhoujie", "nmj": "nmj.dengyun"}


def _soon(days=5):
    from datetime import timedelta

    from riskctl.core.calendar_store import local_date

    return (local_date() + timedelta(days=days)).isoformat()


def _talk_body(unit):
    return {"kind": "reminder_talk", "unit": unit, "talker": LEADERS[unit],
            "subjects": [HANDLER[unit]], "due_on": _soon(), "topic": "矩阵谈话"}  # fmt: skip


def _ids(*usernames):
    from riskctl.extensions import db
    from riskctl.org.models import Person

    rows = db.session.query(Person.username, Person.id).filter(Person.username.in_(usernames))
    return dict(rows.all())


def _unit_id(unit):
    from riskctl.extensions import db
    from riskctl.org.models import Unit

    return db.session.query(Unit.id).filter(Unit.code == unit).scalar()


def _talk(c, unit, held=False):
    """A talk of ``unit``'s discipline leader with its handler (held: recorded), written
    through the service (the routes under test are the calls, not the scene)."""
    from datetime import date

    from riskctl.extensions import db
    from riskctl.supervision import talks
    from riskctl.supervision.models import TalkKind, TalkStatus

    ids = _ids(LEADERS[unit], HANDLER[unit])
    talk = talks.add_talk(db.session, ids[LEADERS[unit]], talks.Plan(
        TalkKind.REMINDER_TALK, _unit_id(unit), ids[LEADERS[unit]], (ids[HANDLER[unit]],),
        date.fromisoformat(_soon()), "矩阵谈话"))  # fmt: skip
    if held:
        talk.status, talk.held_on, talk.record = TalkStatus.HELD, talk.due_on, "矩阵记录"
        db.session.flush()
    return talk.id


def _plan_body(unit):
    day = _soon(3)
    sessions = [{"due_on": day, "topic": "矩阵集体谈话", "talker": LEADERS[unit]}]
    return {"unit": unit, "year": int(day[:4]), "sessions": sessions}


def _finding_body(unit):
    return {"unit": unit, "source": "inspection", "description": "矩阵问题",
            "responsible": HANDLER[unit], "deadline": _soon(20)}  # fmt: skip


def _finding(c, unit, submitted=False):
    """A finding of ``unit`` its handler answers for (submitted: asked for 销号)."""
    from datetime import date

    from riskctl.core.clock import utcnow
    from riskctl.extensions import db
    from riskctl.supervision import ledger
    from riskctl.supervision.models import FindingSource, FindingStatus

    ids = _ids(LEADERS[unit], HANDLER[unit])
    finding = ledger.add_finding(db.session, ids[LEADERS[unit]], ledger.Entry(
        _unit_id(unit), FindingSource.INSPECTION, "矩阵问题", "", ids[HANDLER[unit]],
        date.fromisoformat(_soon(20))))  # fmt: skip
    if submitted:
        finding.status, finding.submitted_at = FindingStatus.SUBMITTED, utcnow()
        db.session.flush()
    return finding.id


def _scan_file():
    return {"file": (io.BytesIO(_pdf()), "矩阵.pdf")}


def _supervision_file(c, h, owner, owner_id, unit):
    """GET a file of a talk or a finding, stored as the service stores it."""
    from riskctl.extensions import db
    from riskctl.files import services as files
    from riskctl.supervision.models import SupervisionFile

    store = files.store_of(c.application.config)
    kept = files.receive(store, io.BytesIO(_pdf()), "矩阵.pdf", limit=1 << 20)
    row = SupervisionFile(
        unit_id=_unit_id(unit), talk_id=owner_id if owner == "talks" else None,
        finding_id=owner_id if owner == "ledger" else None, filename=kept.filename,
        content_type=kept.content_type, size=kept.size, sha256=kept.sha256,
        uploaded_by_id=_ids(LEADERS[unit])[LEADERS[unit]],
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    response = c.get(f"/api/v1/{owner}/{owner_id}/files/{row.id}", headers=h)
    response.get_data()
    response.close()
    return response


def _evaluation_body(unit):
    """The seed's evaluation (riskctl/assessment/seed_2019.yaml) for ``unit``."""
    from pathlib import Path

    import yaml

    seed = Path(__file__).resolve().parents[2] / "riskctl/assessment/seed_2019.yaml"
    data = yaml.safe_load(seed.read_text(encoding="utf-8"))
    return {"framework": data["framework"], "unit": unit, "year": 2019,
            "inputs": data["inputs"], "recorded": data["recorded"]}  # fmt: skip


def _evaluation(unit):
    """An evaluation of ``unit`` saved by the system; its id."""
    from riskctl.assessment import services
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.extensions import db

    data = _evaluation_body(unit)
    return services.submit(db.session, SYSTEM_ADMIN, framework=data["framework"], unit=unit,
                           year=2018, inputs=data["inputs"]).view["id"]  # fmt: skip


def _report_file(c, h, unit):
    """A report over ``unit`` alone (its row and a small stored file, not rendered: the
    route's access is under test); its PDF downloaded."""
    import io
    from datetime import date

    from flask import current_app

    from riskctl.assessment import reports
    from riskctl.extensions import db
    from riskctl.org.models import Unit

    unit_id = db.session.query(Unit.id).filter(Unit.code == unit).scalar()
    store = reports.store_of(current_app.config)
    received = store.receive(io.BytesIO(_pdf()), 1024)
    store.keep(received)
    row = reports.Report(
        kind=reports.ReportKind.ON_DEMAND, period_first=date(2026, 11, 1),
        period_last=date(2026, 11, 30), unit_ids=[unit_id],
        scope_key=reports.scope_key({unit_id}), title="矩阵报告", pdf_sha256=received.sha256,
        pdf_size=received.size, pdf_pages=1, xlsx_sha256=received.sha256,
        xlsx_size=received.size, summary={}, build_seconds=0.0,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    response = c.get(f"/api/v1/assessment/reports/{row.id}/file?format=pdf", headers=h)
    response.get_data()
    response.close()
    return response


# 廉政教育: a library article and a study task for one person, made through the services.
def _study_article():
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.education import library
    from riskctl.extensions import db

    row = library.create_material(
        db.session, SYSTEM_ADMIN, None,
        {"title": f"矩阵资料{next(_seq)}", "category": "party_rules", "source": "矩阵",
         "expected_minutes": 1, "body": "矩阵"}, None, None, limit=0,
    )  # fmt: skip
    return row.id


def _study_pdf(c):
    data = {"title": "矩阵PDF", "category": "warning_case", "source": "矩阵",
            "expected_minutes": "1", "file": (io.BytesIO(_pdf()), "矩阵.pdf")}  # fmt: skip
    made = c.post("/api/v1/education/materials", headers=_tokens["for"]("admin"), data=data,
                  content_type="multipart/form-data")  # fmt: skip
    assert made.status_code == 201, made.get_json()
    return made.json["id"]


def _study_bank(questions=3):
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.education import library
    from riskctl.extensions import db

    bank = library.create_bank(db.session, SYSTEM_ADMIN, f"矩阵题库{next(_seq)}")
    if questions:
        rows = [{"kind": "true_false", "text": f"矩阵题{n}", "answer": "A"}
                for n in range(questions)]  # fmt: skip
        library.add_questions(db.session, SYSTEM_ADMIN, bank.id, rows)
    return bank.id


def _study_task(unit=None, people=(), publish=True, quiz=False):
    from riskctl.core.access import SYSTEM_ADMIN
    from riskctl.education import services as study
    from riskctl.extensions import db

    audience = {"units": [unit] if unit else [], "people": list(people)}
    body = {"title": f"矩阵学习{next(_seq)}", "start_on": "2026-12-01", "due_on": "2026-12-15",
            "audience": audience, "materials": [_study_article()]}  # fmt: skip
    if quiz:
        body["quiz"] = {"bank": _study_bank(), "questions": 2}
    return study.create_task(db.session, SYSTEM_ADMIN, body, publish=publish)


def _assignment(username, read=False):
    """The id of a study assignment of ``username`` (its materials read when ``read``)."""
    from riskctl.core.clock import utcnow
    from riskctl.education.models import Assignment, ReadingProgress
    from riskctl.extensions import db

    task = _study_task(people=[username], quiz=read)
    row = db.session.query(Assignment).filter(Assignment.task_id == task.id).one()
    if read:
        for link in task.materials:
            db.session.add(ReadingProgress(assignment_id=row.id, material_id=link.material_id,
                                           seconds=60, read_at=utcnow()))  # fmt: skip
        db.session.flush()
    return row.id


def _progress(c, h, username):
    """A heartbeat on a material of an assignment of ``username``."""
    from riskctl.education.models import Assignment, StudyTaskMaterial
    from riskctl.extensions import db

    assignment_id = _assignment(username)
    task_id = db.session.get(Assignment, assignment_id).task_id
    material = db.session.query(StudyTaskMaterial.material_id).filter(
        StudyTaskMaterial.task_id == task_id).scalar()  # fmt: skip
    return c.post(f"/api/v1/education/assignments/{assignment_id}/progress", headers=h,
                  json={"material": material, "seconds": 30})  # fmt: skip


def _attempt(c, username):
    """A quiz attempt drawn for ``username``; its id."""
    drawn = c.post(f"/api/v1/education/assignments/{_assignment(username, read=True)}/quiz",
                   headers=_tokens["for"](username))  # fmt: skip
    assert drawn.status_code == 201, drawn.get_json()
    return drawn.json["id"]


def _download_study(c, h):
    response = c.get(f"/api/v1/education/materials/{_study_pdf(c)}/file", headers=h)
    response.get_data()
    response.close()  # the file, as a server closes it
    return response


def _study_owner(h, u, p):
    """own: the caller; other: a person of the other unit."""
    return _caller(h) if u in OWN_UNITS else p


def _question_sheet():
    from riskctl.education import importer

    return {"file": (io.BytesIO(importer.template_bytes()), "题库.xlsx")}


# (method, rule, call(client, headers, unit, person) -> response, {role: (own, other)})
OK, NO, HIDDEN, ANON = 200, 403, 404, 401
ENDPOINTS = [
    ("GET", "/api/v1/me",
     lambda c, h, u, p: c.get("/api/v1/me", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/units",
     lambda c, h, u, p: c.get("/api/v1/units", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/units",
     lambda c, h, u, p: c.post("/api/v1/units", json=_unit_body() | {"parent": u}, headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/units/<code>",
     lambda c, h, u, p: c.get(f"/api/v1/units/{u}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/units/<code>/posts",
     lambda c, h, u, p: c.get(f"/api/v1/units/{u}/posts", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/units/<code>/posts",
     lambda c, h, u, p: c.post(f"/api/v1/units/{u}/posts", json=_post_body(), headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/people",
     lambda c, h, u, p: c.get(f"/api/v1/people?unit={u}", headers=h),
     {"staff": (OK, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/people",
     lambda c, h, u, p: c.post("/api/v1/people", json=_person_body(u), headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/people/<username>",
     lambda c, h, u, p: c.get(f"/api/v1/people/{p}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/org/import",
     lambda c, h, u, p: c.post("/api/v1/org/import", data=_csv(u), headers=h,
                               content_type="multipart/form-data"),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("DELETE", "/api/v1/auth/token",
     lambda c, h, u, p: c.delete("/api/v1/auth/token", headers=h),
     {"staff": (204, 204), "discipline_leader": (204, 204), "inspector": (204, 204),
      "admin": (204, 204)}),
    ("GET", "/api/v1/processes",
     lambda c, h, u, p: c.get(f"/api/v1/processes?unit={u}", headers=h),
     {"staff": (OK, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/processes",
     lambda c, h, u, p: c.post(f"/api/v1/processes?unit={u}", headers=h,
                               data=_draft_text(f"mx{next(_seq)}").encode(),
                               content_type="application/yaml"),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("POST", "/api/v1/processes/validate",
     lambda c, h, u, p: _validate(c, h, u),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/processes/<key>",
     lambda c, h, u, p: c.get(f"/api/v1/processes/procurement?unit={u}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/processes/<key>/publish",
     lambda c, h, u, p: _publish(c, h, u),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/processes/adopt",
     lambda c, h, u, p: c.post("/api/v1/processes/adopt", headers=h,
                               json={"template": "contract", "unit": u, "key": f"mx{next(_seq)}",
                                     "name": f"合同管理（矩阵{next(_seq)}）"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/processes/<key>/bpmn",
     lambda c, h, u, p: c.get(f"/api/v1/processes/procurement/bpmn?unit={u}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/processes/import-bpmn",
     lambda c, h, u, p: c.post(f"/api/v1/processes/import-bpmn?unit={u}", headers=h,
                               data=_bpmn_text(f"mx{next(_seq)}"),
                               content_type="application/xml"),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("POST", "/api/v1/processes/validate-bpmn",
     lambda c, h, u, p: c.post(f"/api/v1/processes/validate-bpmn?unit={u}", headers=h,
                               data=_bpmn_text(f"mx{next(_seq)}"),
                               content_type="application/xml"),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/process-templates/<key>/bpmn",
     lambda c, h, u, p: c.get("/api/v1/process-templates/procurement/bpmn", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/process-templates",
     lambda c, h, u, p: c.get("/api/v1/process-templates", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/process-templates/<key>",
     lambda c, h, u, p: c.get("/api/v1/process-templates/procurement", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/items",
     lambda c, h, u, p: c.get(f"/api/v1/items?unit={u}", headers=h),
     {"staff": (OK, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    # Items start in the caller's own unit, whatever the side; every demo actor is staff.
    ("POST", "/api/v1/items",
     lambda c, h, u, p: c.post("/api/v1/items", headers=h, json={
         "process": "expense_reimbursement", "title": "矩阵",
         "fields": {"purpose": "差旅", "budget_line": "公用经费", "amount": "10.00"}}),
     # Supervisors do not start the business they supervise (the admin is staff of 区纪委).
     {"staff": (201, 201), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/items/<int:item_id>",
     lambda c, h, u, p: c.get(f"/api/v1/items/{_item(c, u)['id']}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/items/<int:item_id>/cancel",
     lambda c, h, u, p: c.post(f"/api/v1/items/{_item(c, u)['id']}/cancel", headers=h,
                               json={"reason": "矩阵"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/tasks",
     lambda c, h, u, p: c.get("/api/v1/tasks", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    # The open task is the handler's: only czj.wangfang holds that post in czj.
    ("POST", "/api/v1/tasks/<int:task_id>/complete",
     lambda c, h, u, p: _complete_first(c, h, u),
     {"staff": (OK, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (NO, NO),
      "admin": (NO, NO)}),
    # A meeting task is recorded by its secretary (档案管理): nobody in the matrix holds it.
    ("GET", "/api/v1/tasks/<int:task_id>/meeting",
     lambda c, h, u, p: c.get(f"/api/v1/tasks/{_meeting_task(c, u)['id']}/meeting", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/tasks/<int:task_id>/meeting",
     lambda c, h, u, p: c.post(f"/api/v1/tasks/{_meeting_task(c, u)['id']}/meeting",
                               json=_meeting_body(u), headers=h),
     {"staff": (NO, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (NO, NO),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/items/<int:item_id>/meetings",
     lambda c, h, u, p: c.get(f"/api/v1/items/{_item(c, u)['id']}/meetings", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    # Attachments: seen with the item; attached by its starter (the handler, staff of
    # czj) or a holder of its open task; withdrawn by the uploader only.
    ("GET", "/api/v1/items/<int:item_id>/attachments",
     lambda c, h, u, p: c.get(f"/api/v1/items/{_item(c, u)['id']}/attachments", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/items/<int:item_id>/attachments",
     lambda c, h, u, p: _attach(c, h, u),
     {"staff": (201, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (NO, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/attachments/<int:attachment_id>",
     lambda c, h, u, p: c.get(f"/api/v1/attachments/{_attachment(c, u)}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/attachments/<int:attachment_id>/content",
     lambda c, h, u, p: _download(c, h, u),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/attachments/<int:attachment_id>/withdraw",
     lambda c, h, u, p: c.post(f"/api/v1/attachments/{_attachment(c, u)}/withdraw",
                               json={"reason": "矩阵"}, headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (NO, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/units/<code>/incompatible-posts",
     lambda c, h, u, p: c.get(f"/api/v1/units/{u}/incompatible-posts", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/units/<code>/incompatible-posts",
     lambda c, h, u, p: c.post(f"/api/v1/units/{u}/incompatible-posts", json=_pair(u),
                               headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/mitigations",
     lambda c, h, u, p: c.get("/api/v1/mitigations", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/mitigations",
     lambda c, h, u, p: c.post("/api/v1/mitigations", json=_mitigation(u), headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/control-hits",
     lambda c, h, u, p: c.get(f"/api/v1/control-hits?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/calendar/overrides",
     lambda c, h, u, p: c.get("/api/v1/calendar/overrides", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("PUT", "/api/v1/calendar/overrides/<day>",
     lambda c, h, u, p: c.put("/api/v1/calendar/overrides/2027-01-02", headers=h,
                              json={"is_working": True, "reason": "矩阵"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("DELETE", "/api/v1/calendar/overrides/<day>",
     lambda c, h, u, p: _delete_override(c, h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (204, 204)}),
    ("GET", "/api/v1/risk-events",
     lambda c, h, u, p: c.get(f"/api/v1/risk-events?unit={u}", headers=h),
     {"staff": (OK, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/risk-events/<int:event_id>",
     lambda c, h, u, p: c.get(f"/api/v1/risk-events/{_event(u)}", headers=h),
     {"staff": (OK, 404), "discipline_leader": (OK, 404), "inspector": (OK, 404),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/risk-events/<int:event_id>/explain",
     lambda c, h, u, p: _on_event(c, h, u, "explain", {"text": "矩阵说明"}),
     {"staff": (OK, 404), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/risk-events/<int:event_id>/acknowledge",
     lambda c, h, u, p: _on_event(c, h, u, "acknowledge"),
     {"staff": (NO, NO), "discipline_leader": (OK, 404), "inspector": (OK, 404),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/risk-events/<int:event_id>/resolve",
     lambda c, h, u, p: _on_event(c, h, u, "resolve", {"disposition": "reminder_talk"}, "red"),
     {"staff": (NO, NO), "discipline_leader": (NO, 404), "inspector": (OK, 404),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/risk-events/<int:event_id>/dismiss",
     lambda c, h, u, p: _on_event(c, h, u, "dismiss", {"reason": "矩阵"}),
     {"staff": (NO, NO), "discipline_leader": (OK, 404), "inspector": (OK, 404),
      "admin": (NO, NO)}),
    # 意见: the unit's discipline leader on a red he may not close; read by those who handle
    ("POST", "/api/v1/risk-events/<int:event_id>/opinions",
     lambda c, h, u, p: _on_event(c, h, u, "opinions", {"text": "矩阵意见"}, "red"),
     {"staff": (NO, NO), "discipline_leader": (201, 404), "inspector": (NO, NO),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/risk-events/<int:event_id>/opinions",
     lambda c, h, u, p: c.get(f"/api/v1/risk-events/{_event(u, 'red')}/opinions", headers=h),
     {"staff": (NO, 404), "discipline_leader": (OK, 404), "inspector": (OK, 404),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/scan",
     lambda c, h, u, p: c.post("/api/v1/scan", headers=h, json={}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/policy",
     lambda c, h, u, p: c.get("/api/v1/policy", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("PUT", "/api/v1/policy",
     lambda c, h, u, p: c.put("/api/v1/policy", headers=h, json=_thresholds()),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/policy/preview",
     lambda c, h, u, p: c.post("/api/v1/policy/preview", headers=h, json={}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/risk-values",
     lambda c, h, u, p: c.get(f"/api/v1/risk-values?unit={u}", headers=h),
     {"staff": (OK, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("PUT", "/api/v1/risk-values",
     lambda c, h, u, p: c.put("/api/v1/risk-values", headers=h,
                              json={"unit": u, "target": "post", "post": "cashier", "risk": 5}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/stats/risk",
     lambda c, h, u, p: c.get(f"/api/v1/stats/risk?group_by=rule&unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/stats/dispositions",
     lambda c, h, u, p: c.get(f"/api/v1/stats/dispositions?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/alerts",
     lambda c, h, u, p: c.get("/api/v1/alerts?channel=sms", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/notifications",
     lambda c, h, u, p: c.get("/api/v1/notifications?unread=true", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    # own: a notification addressed to the caller; other: one addressed to someone else
    ("POST", "/api/v1/notifications/<int:notification_id>/read",
     lambda c, h, u, p: c.post(
         f"/api/v1/notifications/{_notification(_caller(h) if u in OWN_UNITS else p)}/read",
         headers=h, json={}),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, HIDDEN)}),
    ("POST", "/api/v1/notifications/read-all",
     lambda c, h, u, p: c.post("/api/v1/notifications/read-all", headers=h, json={}),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/silences",
     lambda c, h, u, p: c.get("/api/v1/silences", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/silences",
     lambda c, h, u, p: c.post("/api/v1/silences", headers=h, json=_silence_body(u)),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, NO),
      "admin": (201, 201)}),
    ("POST", "/api/v1/silences/<int:silence_id>/expire",
     lambda c, h, u, p: c.post(f"/api/v1/silences/{_silence(u)}/expire", headers=h, json={}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/screen/snapshot",
     lambda c, h, u, p: c.get("/api/v1/screen/snapshot", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/screens",
     lambda c, h, u, p: c.post("/api/v1/screens", headers=h, json={"name": f"大屏{u}"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (NO, NO),
      "admin": (201, 201)}),
    # Talks: those one takes part in, the unit's (leader), the scope's (inspector), all (admin).
    ("GET", "/api/v1/talks",
     lambda c, h, u, p: c.get(f"/api/v1/talks?unit={u}", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/talks",
     lambda c, h, u, p: c.post("/api/v1/talks", json=_talk_body(u), headers=h),
     {"staff": (NO, NO), "discipline_leader": (201, NO), "inspector": (201, NO),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/talks/<int:talk_id>",
     lambda c, h, u, p: c.get(f"/api/v1/talks/{_talk(c, u)}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    # Recorded by the talker (the leader) or who plans the unit's talks; not by its subject.
    ("POST", "/api/v1/talks/<int:talk_id>/record",
     lambda c, h, u, p: c.post(f"/api/v1/talks/{_talk(c, u)}/record", headers=h,
                               json={"held_on": _soon(0), "record": "矩阵"}),
     {"staff": (NO, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/talks/<int:talk_id>/files",
     lambda c, h, u, p: c.post(f"/api/v1/talks/{_talk(c, u)}/files", headers=h,
                               data=_scan_file(), content_type="multipart/form-data"),
     {"staff": (NO, HIDDEN), "discipline_leader": (201, HIDDEN), "inspector": (201, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/talks/<int:talk_id>/files/<int:file_id>",
     lambda c, h, u, p: _supervision_file(c, h, "talks", _talk(c, u), u),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    # 确认: the person talked to (the handler), and nobody else.
    ("POST", "/api/v1/talks/<int:talk_id>/confirm",
     lambda c, h, u, p: c.post(f"/api/v1/talks/{_talk(c, u, held=True)}/confirm", headers=h,
                               json={}),
     {"staff": (OK, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (NO, HIDDEN),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/talks/<int:talk_id>/cancel",
     lambda c, h, u, p: c.post(f"/api/v1/talks/{_talk(c, u)}/cancel", headers=h,
                               json={"reason": "矩阵"}),
     {"staff": (NO, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/talks/plans",
     lambda c, h, u, p: c.get(f"/api/v1/talks/plans?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/talks/plans",
     lambda c, h, u, p: c.post("/api/v1/talks/plans", json=_plan_body(u), headers=h),
     {"staff": (NO, NO), "discipline_leader": (201, NO), "inspector": (201, NO),
      "admin": (NO, NO)}),
    # The ledger: the handler answers for the finding; 销号 and 退回 by inspectors only.
    ("GET", "/api/v1/ledger",
     lambda c, h, u, p: c.get(f"/api/v1/ledger?unit={u}", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/ledger",
     lambda c, h, u, p: c.post("/api/v1/ledger", json=_finding_body(u), headers=h),
     {"staff": (NO, NO), "discipline_leader": (201, NO), "inspector": (201, NO),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/ledger/<int:finding_id>",
     lambda c, h, u, p: c.get(f"/api/v1/ledger/{_finding(c, u)}", headers=h),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/ledger/<int:finding_id>/progress",
     lambda c, h, u, p: c.post(f"/api/v1/ledger/{_finding(c, u)}/progress", headers=h,
                               json={"text": "矩阵进展"}),
     {"staff": (201, HIDDEN), "discipline_leader": (201, HIDDEN), "inspector": (201, HIDDEN),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/ledger/<int:finding_id>/files",
     lambda c, h, u, p: c.post(f"/api/v1/ledger/{_finding(c, u)}/files", headers=h,
                               data=_scan_file(), content_type="multipart/form-data"),
     {"staff": (201, HIDDEN), "discipline_leader": (201, HIDDEN), "inspector": (201, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/ledger/<int:finding_id>/files/<int:file_id>",
     lambda c, h, u, p: _supervision_file(c, h, "ledger", _finding(c, u), u),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/ledger/<int:finding_id>/submit",
     lambda c, h, u, p: c.post(f"/api/v1/ledger/{_finding(c, u)}/submit", headers=h, json={}),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/ledger/<int:finding_id>/verify",
     lambda c, h, u, p: c.post(f"/api/v1/ledger/{_finding(c, u, True)}/verify", headers=h,
                               json={}),
     {"staff": (NO, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (NO, NO)}),
    ("POST", "/api/v1/ledger/<int:finding_id>/return",
     lambda c, h, u, p: c.post(f"/api/v1/ledger/{_finding(c, u, True)}/return", headers=h,
                               json={"reason": "矩阵退回"}),
     {"staff": (NO, HIDDEN), "discipline_leader": (NO, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (NO, NO)}),
    ("GET", "/api/v1/stats/follow-ups",
     lambda c, h, u, p: c.get(f"/api/v1/stats/follow-ups?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/frameworks",
     lambda c, h, u, p: c.get("/api/v1/assessment/frameworks", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/frameworks/<key>",
     lambda c, h, u, p: c.get("/api/v1/assessment/frameworks/dept_overall_expenditure",
                              headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/evaluations",
     lambda c, h, u, p: c.get(f"/api/v1/assessment/evaluations?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/assessment/evaluations",
     lambda c, h, u, p: c.post("/api/v1/assessment/evaluations", json=_evaluation_body(u),
                               headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/assessment/evaluations/<int:evaluation_id>",
     lambda c, h, u, p: c.get(f"/api/v1/assessment/evaluations/{_evaluation(u)}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/profiles",
     lambda c, h, u, p: c.get("/api/v1/assessment/profiles", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/platform-use",
     lambda c, h, u, p: c.get("/api/v1/assessment/platform-use", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/assessment/reports",
     lambda c, h, u, p: c.get("/api/v1/assessment/reports", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    # A report on demand covers the caller's own scope, whichever side.
    ("POST", "/api/v1/assessment/reports",
     lambda c, h, u, p: c.post("/api/v1/assessment/reports", headers=h,
                               json={"from": "2026-11-01", "to": "2026-11-30"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, 201),
      "admin": (201, 201)}),
    ("GET", "/api/v1/assessment/reports/<int:report_id>/file",
     lambda c, h, u, p: _report_file(c, h, u),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    # 廉政教育: the library is everyone's; the commission and admins publish; leaders see
    # their unit's tasks and statistics; everyone studies only their own assignments.
    ("GET", "/api/v1/education/materials",
     lambda c, h, u, p: c.get("/api/v1/education/materials", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/education/materials",
     lambda c, h, u, p: c.post("/api/v1/education/materials", headers=h,
                               content_type="multipart/form-data",
                               data={"title": "矩阵", "category": "party_rules", "source": "矩阵",
                                     "expected_minutes": "1", "body": "矩阵"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, 201),
      "admin": (201, 201)}),
    ("GET", "/api/v1/education/materials/<int:material_id>",
     lambda c, h, u, p: c.get(f"/api/v1/education/materials/{_study_article()}", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/education/materials/<int:material_id>/file",
     lambda c, h, u, p: _download_study(c, h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/education/question-banks",
     lambda c, h, u, p: c.get("/api/v1/education/question-banks", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/education/question-banks",
     lambda c, h, u, p: c.post("/api/v1/education/question-banks", headers=h,
                               json={"name": f"矩阵{next(_seq)}"}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, 201),
      "admin": (201, 201)}),
    ("GET", "/api/v1/education/question-banks/<int:bank_id>",
     lambda c, h, u, p: c.get(f"/api/v1/education/question-banks/{_study_bank()}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/education/question-banks/<int:bank_id>/questions",
     lambda c, h, u, p: c.post(f"/api/v1/education/question-banks/{_study_bank(0)}/questions",
                               headers=h, json={"questions": [
                                   {"kind": "true_false", "text": "矩阵", "answer": "A"}]}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, 201),
      "admin": (201, 201)}),
    ("POST", "/api/v1/education/question-banks/<int:bank_id>/import",
     lambda c, h, u, p: c.post(f"/api/v1/education/question-banks/{_study_bank(0)}/import",
                               headers=h, data=_question_sheet(),
                               content_type="multipart/form-data"),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/education/tasks",
     lambda c, h, u, p: c.get(f"/api/v1/education/tasks?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/education/tasks",
     lambda c, h, u, p: c.post("/api/v1/education/tasks", headers=h, json={
         "title": "矩阵学习", "start_on": "2026-12-01", "due_on": "2026-12-15",
         "audience": {"units": [u], "key_posts": True}, "materials": [_study_article()]}),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (201, NO),
      "admin": (201, 201)}),
    ("GET", "/api/v1/education/tasks/<int:task_id>",
     lambda c, h, u, p: c.get(f"/api/v1/education/tasks/{_study_task(u).id}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("POST", "/api/v1/education/tasks/<int:task_id>/publish",
     lambda c, h, u, p: c.post(f"/api/v1/education/tasks/{_study_task(u, publish=False).id}"
                               "/publish", headers=h),
     {"staff": (NO, NO), "discipline_leader": (NO, NO), "inspector": (OK, HIDDEN),
      "admin": (OK, OK)}),
    ("GET", "/api/v1/education/my",
     lambda c, h, u, p: c.get("/api/v1/education/my", headers=h),
     {"staff": (OK, OK), "discipline_leader": (OK, OK), "inspector": (OK, OK),
      "admin": (OK, OK)}),
    # own: an assignment of the caller; other: one of a person of the other unit
    ("POST", "/api/v1/education/assignments/<int:assignment_id>/progress",
     lambda c, h, u, p: _progress(c, h, _study_owner(h, u, p)),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, HIDDEN)}),
    ("POST", "/api/v1/education/assignments/<int:assignment_id>/quiz",
     lambda c, h, u, p: c.post(
         f"/api/v1/education/assignments/{_assignment(_study_owner(h, u, p), read=True)}/quiz",
         headers=h),
     {"staff": (201, HIDDEN), "discipline_leader": (201, HIDDEN), "inspector": (201, HIDDEN),
      "admin": (201, HIDDEN)}),
    ("POST", "/api/v1/education/quiz-attempts/<int:attempt_id>/answers",
     lambda c, h, u, p: c.post(
         f"/api/v1/education/quiz-attempts/{_attempt(c, _study_owner(h, u, p))}/answers",
         headers=h, json={"answers": []}),
     {"staff": (OK, HIDDEN), "discipline_leader": (OK, HIDDEN), "inspector": (OK, HIDDEN),
      "admin": (OK, HIDDEN)}),
    ("GET", "/api/v1/education/stats",
     lambda c, h, u, p: c.get(f"/api/v1/education/stats?unit={u}", headers=h),
     {"staff": (NO, NO), "discipline_leader": (OK, NO), "inspector": (OK, NO),
      "admin": (OK, OK)}),
]  # fmt: skip
# The status webhook authenticates Twilio by its signature (tests/integration/test_alerts_sms).
PUBLIC = {("GET", "/api/v1/healthz"), ("GET", "/api/v1/readyz"), ("POST", "/api/v1/auth/token"),
          ("POST", "/api/v1/webhooks/twilio/status")}  # fmt: skip
OWN_UNITS = {"czj"}


def _caller(headers):
    """The username behind a bearer header of this test (anonymous: nobody)."""
    for username in (a[0] for a in ACTORS.values() if a[0]):
        if _tokens["for"](username) == headers:
            return username
    return "czj.wangfang"


CASES = [
    pytest.param(endpoint, role, side, id=f"{endpoint[0]} {endpoint[1]} {role} {side}")
    for endpoint in ENDPOINTS
    for role in ACTORS
    for side in ("own", "other")
]


@pytest.mark.parametrize(("endpoint", "role", "side"), CASES)
def test_access(client, token_for, endpoint, role, side):
    _, _, call, expected = endpoint
    username, own, other, own_person, other_person = ACTORS[role]
    headers = token_for(username) if username else {}
    unit, who = (own, own_person) if side == "own" else (other, other_person)
    response = call(client, headers, unit, who)
    want = ANON if role == "anonymous" else expected[role][0 if side == "own" else 1]
    assert response.status_code == want, response.get_json()
    if want >= 400:
        assert set(response.json["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("role", [r for r in ACTORS if r != "anonymous"])
def test_unit_lists_hold_exactly_the_visible_units(client, token_for, role):
    expected = {
        "staff": {"czj"},
        "discipline_leader": {"czj"},
        "inspector": {"czj", "wjj"},  # the scope (inspectors are not the commission's staff)
        "admin": {"jw", "czj", "wjj", "nmj", "rsj", "qjz"},
    }[role]
    body = client.get("/api/v1/units", headers=token_for(ACTORS[role][0])).json
    assert {u["code"] for u in body["items"]} == expected


@pytest.mark.parametrize("role", ["staff", "inspector"])
def test_people_lists_without_a_filter_hold_only_visible_units(client, token_for, role):
    body = client.get("/api/v1/people?limit=500", headers=token_for(ACTORS[role][0])).json
    units = {p["unit"] for p in body["items"]}
    assert units == ({"czj"} if role == "staff" else {"czj", "wjj"})  # the scope


def test_public_endpoints_need_no_caller(client):
    assert client.get("/api/v1/healthz").status_code == 200
    assert client.get("/api/v1/readyz").status_code == 200


def test_every_api_route_is_in_the_matrix(app):
    covered = {(m, r) for m, r, _, _ in ENDPOINTS} | PUBLIC
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == covered
