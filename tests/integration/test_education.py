"""Integrity education (廉政教育) over the API, on SQLite and PostgreSQL: materials and
their files, question banks and the XLSX import, tasks and their audiences, reading time
credited from heartbeats, the quiz checked on the server, statistics, the reminders and
the SMS digest, late joiners, study assigned when a red warning is resolved, and the
``education_overdue`` warning that closes itself once the study is done.

jw.liuhong inspects 区财政局 (czj) and 区卫计局; in czj the key posts (risk ≥ 4) are held by
王芳 (采购经办), 刘静 (出纳), 杨军 (验收员), 赵磊 (分管领导) and 黄伟 (主要负责人)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from riskctl.core.audit import AuditRecord
from riskctl.education.models import (
    Assignment,
    QuizAttempt,
    ReadingProgress,
    StudyTask,
)
from riskctl.files.storage import FileStore
from tests import files
from tests.conftest import count

INSPECTOR = "jw.liuhong"
STAFF = "czj.wangfang"
KEY_POSTS_CZJ = {"czj.wangfang", "czj.liujing", "czj.yangjun", "czj.zhaolei", "czj.huangwei"}
START, DUE = "2026-12-01", "2026-12-15"  # a Tuesday each; TEST_NOW is 2026-12-01 10:00


@pytest.fixture
def store(app: Any, tmp_path: Any, monkeypatch: Any) -> FileStore:
    monkeypatch.setitem(app.config, "RISKCTL_UPLOAD_DIR", str(tmp_path / "uploads"))
    return FileStore(tmp_path / "uploads")


def article(client: Any, token_for: Any, *, minutes: int = 1, body: str = "# 廉洁自律\n\n正文。",
            who: str = INSPECTOR, expect: int = 201) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        "/api/v1/education/materials", headers=token_for(who),
        data={"title": "廉洁自律准则导读", "category": "party_rules", "source": "《中国共产党廉洁自律准则》",
              "expected_minutes": str(minutes), "tags": "准则,自律", "body": body},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == expect, response.get_json()
    return response.json


def pdf_material(client: Any, token_for: Any, data: bytes | None = None,
                 name: str = "案例.pdf", expect: int = 201) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        "/api/v1/education/materials", headers=token_for(INSPECTOR),
        data={"title": "警示教育案例", "category": "warning_case", "source": "区纪委监委通报",
              "expected_minutes": "2", "file": (io.BytesIO(data or files.pdf()), name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == expect, response.get_json()
    return response.json


QUESTIONS = [
    {"kind": "single", "text": "收受礼品属于违反哪一项纪律？",
     "options": ["政治纪律", "廉洁纪律", "群众纪律"], "answer": "B"},
    {"kind": "multiple", "text": "哪些岗位应当分离？",
     "options": ["预算编制与审批", "出纳与会计档案保管", "经办与经办"], "answer": "AB"},
    {"kind": "true_false", "text": "三重一大事项须集体决定。", "answer": "A"},
]  # fmt: skip


def bank(client: Any, token_for: Any, questions: list[dict[str, Any]] | None = None) -> int:
    made = client.post("/api/v1/education/question-banks", headers=token_for(INSPECTOR),
                       json={"name": f"题库{datetime.now(UTC).timestamp()}"})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    if questions != []:
        added = client.post(f"/api/v1/education/question-banks/{made.json['id']}/questions",
                            headers=token_for(INSPECTOR), json={"questions": questions or QUESTIONS})  # fmt: skip
        assert added.status_code == 201, added.get_json()
    return int(made.json["id"])


def task_body(materials: list[int], **extra: Any) -> dict[str, Any]:
    return {"title": "2026年重点岗位廉政学习", "start_on": START, "due_on": DUE,
            "audience": {"units": ["czj"], "key_posts": True}, "materials": materials, **extra}  # fmt: skip


def publish(client: Any, token_for: Any, body: dict[str, Any], who: str = INSPECTOR,
            expect: int = 201) -> dict[str, Any]:  # fmt: skip
    response = client.post("/api/v1/education/tasks", headers=token_for(who), json=body)
    assert response.status_code == expect, response.get_json()
    return response.json


def mine(client: Any, token_for: Any, who: str = STAFF) -> list[dict[str, Any]]:
    response = client.get("/api/v1/education/my", headers=token_for(who))
    assert response.status_code == 200, response.get_json()
    return response.json["items"]


def beat(client: Any, token_for: Any, assignment: int, material: int, seconds: int,
         who: str = STAFF) -> Any:  # fmt: skip
    return client.post(f"/api/v1/education/assignments/{assignment}/progress",
                       headers=token_for(who), json={"material": material, "seconds": seconds})  # fmt: skip


def read_all(client: Any, token_for: Any, at: Any, assignment: dict[str, Any], start: datetime,
             who: str = STAFF) -> datetime:  # fmt: skip
    """Heartbeats every 30 s until each material of the assignment is read."""
    moment = start
    for m in assignment["materials"]:
        for _ in range(2 + m["required_seconds"] // 30):
            at(moment)
            found = beat(client, token_for, assignment["id"], m["id"], 30, who)
            assert found.status_code == 200, found.get_json()
            moment += timedelta(seconds=30)
            if found.json["is_read"]:
                break
        assert found.json["is_read"]
    return moment


# ---------------------------------------------------------------- tasks and audiences


def test_a_task_to_the_key_posts_of_a_unit_assigns_each_holder_and_tells_them(
    client, token_for, session
):
    from riskctl.alerts.models import Kind, Notification

    material = article(client, token_for)
    task = publish(client, token_for, task_body([material["id"]]))
    assert task["status"] == "published" and task["units"] == ["czj"]
    assert task["assigned"] == 5
    people = set(
        session.scalars(
            sa.text("SELECT p.username FROM study_assignment a JOIN person p ON p.id = a.person_id "
                    "WHERE a.task_id = :t"), {"t": task["id"]})
    )  # fmt: skip
    assert people == KEY_POSTS_CZJ
    told = session.scalars(sa.select(Notification).where(Notification.kind == Kind.STUDY)).all()
    assert {n.title for n in told} == {"新的学习任务：2026年重点岗位廉政学习"}
    assert len(told) == 5
    (item,) = mine(client, token_for)
    assert item["title"] == task["title"] and item["status"] == "open"
    assert item["materials"][0]["required_seconds"] == 48  # 80 % of one minute


def test_posts_across_units_and_named_people_make_one_audience(client, token_for):
    material = article(client, token_for)
    body = task_body([material["id"]], audience={"units": ["czj", "wjj"],
                     "posts": ["purchaser", "cashier"], "people": ["czj.liqiang"]})  # fmt: skip
    task = publish(client, token_for, body)
    # 王芳 and 刘静 in czj, 吴昊 and 马骏 in wjj, and 李强 by name
    assert task["assigned"] == 5 and task["units"] == ["czj", "wjj"]
    assert [i["title"] for i in mine(client, token_for, "czj.liqiang")] == [task["title"]]


BAD_TASKS = [
    ({"audience": {"units": ["nosuch"]}}, "audience.units[0]"),
    ({"audience": {"units": ["czj"], "posts": ["astronaut"]}}, "audience.posts[0]"),
    ({"audience": {"units": ["czj"], "roles": ["king"]}}, "audience.roles[0]"),
    ({"audience": {"people": ["czj.nobody"]}}, "audience.people[0]"),
    ({"audience": {}}, "audience"),
    ({"due_on": "2026-11-30"}, "due_on"),
    ({"due_on": "2026-12-05"}, "due_on"),  # a Saturday
    ({"materials": [999999]}, "materials[0]"),
    ({"materials": []}, "materials"),
    ({"follows": {"rules": ["no_such_rule"]}}, "follows.rules[0]"),
]


@pytest.mark.parametrize(("change", "path"), BAD_TASKS, ids=[p for _c, p in BAD_TASKS])
def test_a_bad_task_is_422_at_its_path_and_writes_nothing(client, token_for, session, change, path):
    material = article(client, token_for)
    before = (count(session, StudyTask), count(session, Assignment))
    body = task_body([material["id"]]) | change
    found = publish(client, token_for, body, expect=422)
    assert path in [d["path"] for d in found["error"]["details"]], found
    assert (count(session, StudyTask), count(session, Assignment)) == before


def test_a_quiz_without_questions_or_with_too_few_is_refused(client, token_for, session):
    material = article(client, token_for)
    empty, small = bank(client, token_for, []), bank(client, token_for)
    before = count(session, StudyTask)
    found = publish(client, token_for, task_body([material["id"]], quiz={"bank": empty}),
                    expect=422)  # fmt: skip
    assert found["error"]["details"][0]["path"] == "quiz.bank"
    found = publish(client, token_for, task_body([material["id"]], quiz={"bank": small,
                    "questions": 5}), expect=422)  # fmt: skip
    assert found["error"]["details"][0]["path"] == "quiz.questions"
    assert count(session, StudyTask) == before


def test_an_inspector_assigns_no_unit_outside_his_scope(client, token_for, session):
    material = article(client, token_for)
    body = task_body([material["id"]], audience={"units": ["nmj"], "key_posts": True})
    found = publish(client, token_for, body, expect=403)
    assert found["error"]["code"] == "out_of_scope"
    assert count(session, Assignment) == 0


def test_a_draft_is_published_later_and_only_once(client, token_for):
    material = article(client, token_for)
    draft = publish(client, token_for, task_body([material["id"]], publish=False))
    assert draft["status"] == "draft" and draft["assigned"] == 0
    done = client.post(f"/api/v1/education/tasks/{draft['id']}/publish", headers=token_for(INSPECTOR))
    assert done.status_code == 200 and done.json["assigned"] == 5
    again = client.post(f"/api/v1/education/tasks/{draft['id']}/publish", headers=token_for(INSPECTOR))
    assert again.status_code == 409


# ---------------------------------------------------------------- reading and the quiz


def test_reading_time_is_credited_by_the_server_not_by_what_the_page_claims(
    client, token_for, at
):
    material = article(client, token_for, minutes=2)  # 96 s to read
    publish(client, token_for, task_body([material["id"]]))
    (item,) = mine(client, token_for)
    t0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    at(t0)
    first = beat(client, token_for, item["id"], material["id"], 30).json
    assert first["credited"] == 0  # the first heartbeat starts the clock
    at(t0 + timedelta(seconds=10))
    assert beat(client, token_for, item["id"], material["id"], 3600).json["credited"] == 10
    at(t0 + timedelta(minutes=30))  # away for half an hour, claims an hour
    assert beat(client, token_for, item["id"], material["id"], 3600).json["credited"] == 45
    at(t0 + timedelta(minutes=30, seconds=20))
    found = beat(client, token_for, item["id"], material["id"], 15).json
    assert found["credited"] == 15 and found["seconds"] == 70 and not found["is_read"]
    at(t0 + timedelta(minutes=31))
    found = beat(client, token_for, item["id"], material["id"], 40).json
    assert found["seconds"] == 110 and found["is_read"] and found["assignment_completed"]
    (item,) = mine(client, token_for)
    assert item["status"] == "completed"


def test_progress_for_a_material_not_in_the_task_or_an_assignment_not_yours_writes_nothing(
    client, token_for, session
):
    material, other = article(client, token_for), article(client, token_for)
    publish(client, token_for, task_body([material["id"]]))
    (item,) = mine(client, token_for)
    found = beat(client, token_for, item["id"], other["id"], 30)
    assert found.status_code == 422
    assert found.json["error"]["details"][0]["path"] == "material"
    assert beat(client, token_for, item["id"], material["id"], 30, who="czj.liujing").status_code == 404
    assert count(session, ReadingProgress) == 0


def test_a_staff_member_reads_passes_the_quiz_and_the_answers_never_reach_the_page_first(
    client, token_for, at, session
):
    material = article(client, token_for)
    quiz = {"bank": bank(client, token_for), "questions": 3, "pass_mark": 60, "attempts": 2}
    publish(client, token_for, task_body([material["id"]], quiz=quiz))
    (item,) = mine(client, token_for)
    early = client.post(f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF))
    assert early.status_code == 409 and early.json["error"]["code"] == "materials_not_read"
    moment = read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    drawn = client.post(f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF))
    assert drawn.status_code == 201
    text = drawn.get_data(as_text=True)
    assert '"answer"' not in text and '"explanation"' not in text and '"is_right"' not in text
    again = client.post(f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF))
    assert again.status_code == 200 and again.json["id"] == drawn.json["id"]  # nothing redrawn
    attempt = drawn.json
    keys = {q["text"]: q["answer"] for q in QUESTIONS}
    answers = [{"question": q["id"], "choice": keys[q["text"]]} for q in attempt["questions"]]
    url = f"/api/v1/education/quiz-attempts/{attempt['id']}/answers"
    stranger = client.post(url, headers=token_for(STAFF),
                           json={"answers": [*answers, {"question": 999999, "choice": "A"}]})  # fmt: skip
    assert stranger.status_code == 422
    assert stranger.json["error"]["details"][0]["path"] == "answers[3].question"
    assert session.get(QuizAttempt, attempt["id"]).submitted_at is None
    at(moment)
    result = client.post(url, headers=token_for(STAFF), json={"answers": answers})
    assert result.status_code == 200, result.get_json()
    assert result.json["score"] == 100 and result.json["is_passed"]
    assert result.json["assignment_completed"]
    assert all(q["is_right"] and q["answer"] for q in result.json["questions"])
    second = client.post(url, headers=token_for(STAFF), json={"answers": answers})
    assert second.status_code == 409 and second.json["error"]["code"] == "already_submitted"
    assert client.post(url, headers=token_for("czj.liujing"), json={"answers": answers}).status_code == 404


def test_attempts_are_limited_and_a_wrong_answer_scores_without_part_marks(client, token_for, at):
    material = article(client, token_for)
    quiz = {"bank": bank(client, token_for), "questions": 3, "pass_mark": 100, "attempts": 1}
    publish(client, token_for, task_body([material["id"]], quiz=quiz))
    (item,) = mine(client, token_for)
    read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    attempt = client.post(f"/api/v1/education/assignments/{item['id']}/quiz",
                          headers=token_for(STAFF)).json  # fmt: skip
    keys = {q["text"]: q["answer"] for q in QUESTIONS}
    # the multiple-choice question half right: wrong; the others right → 2 of 3 = 67
    answers = [{"question": q["id"], "choice": "A" if q["kind"] == "multiple" else keys[q["text"]]}
               for q in attempt["questions"]]  # fmt: skip
    result = client.post(f"/api/v1/education/quiz-attempts/{attempt['id']}/answers",
                         headers=token_for(STAFF), json={"answers": answers}).json  # fmt: skip
    assert result["score"] == 67 and not result["is_passed"] and result["attempts_left"] == 0
    more = client.post(f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF))
    assert more.status_code == 409 and more.json["error"]["code"] == "no_attempts_left"
    (item,) = mine(client, token_for)
    assert item["quiz"]["best_score"] == 67 and item["status"] == "open"
