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
        data={"title": "廉洁自律准则导读", "category": "party_rules", "source": "廉洁自律准则",
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
                            headers=token_for(INSPECTOR),
                            json={"questions": questions or QUESTIONS})  # fmt: skip
        assert added.status_code == 201, added.get_json()
    return int(made.json["id"])


def task_body(materials: list[int], **extra: Any) -> dict[str, Any]:
    return {"title": "2026年重点岗位廉政学习", "start_on": START, "due_on": DUE,
            "audience": {"units": ["czj"], "key_posts": True}, "materials": materials,
            **extra}  # fmt: skip


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
                       headers=token_for(who),
                       json={"material": material, "seconds": seconds})  # fmt: skip


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
    done = client.post(
        f"/api/v1/education/tasks/{draft['id']}/publish", headers=token_for(INSPECTOR)
    )
    assert done.status_code == 200 and done.json["assigned"] == 5
    again = client.post(
        f"/api/v1/education/tasks/{draft['id']}/publish", headers=token_for(INSPECTOR)
    )
    assert again.status_code == 409


# ---------------------------------------------------------------- reading and the quiz


def test_reading_time_is_credited_by_the_server_not_by_what_the_page_claims(client, token_for, at):
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
    assert (
        beat(client, token_for, item["id"], material["id"], 30, who="czj.liujing").status_code
        == 404
    )
    assert count(session, ReadingProgress) == 0


def test_a_staff_member_reads_passes_the_quiz_and_the_answers_never_reach_the_page_first(
    client, token_for, at, session
):
    material = article(client, token_for)
    quiz = {"bank": bank(client, token_for), "questions": 3, "pass_mark": 60, "attempts": 2}
    publish(client, token_for, task_body([material["id"]], quiz=quiz))
    (item,) = mine(client, token_for)
    early = client.post(
        f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF)
    )
    assert early.status_code == 409 and early.json["error"]["code"] == "materials_not_read"
    moment = read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    drawn = client.post(
        f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF)
    )
    assert drawn.status_code == 201
    text = drawn.get_data(as_text=True)
    assert '"answer"' not in text and '"explanation"' not in text and '"is_right"' not in text
    again = client.post(
        f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF)
    )
    assert again.status_code == 200 and again.json["id"] == drawn.json["id"]  # nothing redrawn
    attempt = drawn.json
    keys = {q["text"]: q["answer"] for q in QUESTIONS}
    answers = [{"question": q["id"], "choice": keys[q["text"]]} for q in attempt["questions"]]
    url = f"/api/v1/education/quiz-attempts/{attempt['id']}/answers"
    stranger = client.post(url, headers=token_for(STAFF),
                           json={"answers": [*answers,
                                             {"question": 999999, "choice": "A"}]})  # fmt: skip
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
    assert (
        client.post(url, headers=token_for("czj.liujing"), json={"answers": answers}).status_code
        == 404
    )


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


# ---------------------------------------------------------------- the pages


def test_my_study_and_the_reading_page_show_an_article_without_its_html(client, token_for):
    from tests.integration.test_pages import sign_in

    body = "# 标题\n\n<script>alert(1)</script> [点此](javascript:alert(2)) **重点**"
    material = article(client, token_for, body=body)
    publish(client, token_for, task_body([material["id"]]))
    sign_in(client, STAFF)
    page = client.get("/study").get_data(as_text=True)
    assert "2026年重点岗位廉政学习" in page and "廉洁自律准则导读" in page
    (item,) = mine(client, token_for)
    html = client.get(f"/study/assignments/{item['id']}/materials/{material['id']}").get_data(
        as_text=True
    )
    assert "<strong>重点</strong>" in html and "<h1>标题</h1>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert 'data-progress-url="/api/v1/education/assignments/' in html
    assert client.get(f"/study/assignments/{item['id']}/materials/999999").status_code == 404


def test_a_pdf_and_a_video_are_shown_by_the_local_viewer_and_the_browsers_player(
    client, token_for, store
):
    from tests.integration.test_pages import sign_in

    pdf = pdf_material(client, token_for)
    video = pdf_material(client, token_for, b"\x00\x00\x00\x18ftypisom" + files.unique(), "片.mp4")
    publish(client, token_for, task_body([pdf["id"], video["id"]]))
    (item,) = mine(client, token_for)
    sign_in(client, STAFF)
    html = client.get(f"/study/assignments/{item['id']}/materials/{pdf['id']}").get_data(
        as_text=True
    )
    assert 'id="pdf-viewer"' in html and "js/study-pdf.mjs" in html and "{n}页" in html
    assert f'data-url="/api/v1/education/materials/{pdf["id"]}/file"' in html
    html = client.get(f"/study/assignments/{item['id']}/materials/{video['id']}").get_data(
        as_text=True
    )
    assert '<video class="study-video" controls' in html
    preview = client.get(f"/study/library/{pdf['id']}").get_data(as_text=True)
    assert 'id="pdf-viewer"' in preview and "study-reader" not in preview  # nothing credited


def test_the_quiz_is_taken_in_the_pages(client, token_for, at):
    from tests.integration.test_pages import csrf_from, sign_in

    material = article(client, token_for)
    quiz = {"bank": bank(client, token_for), "questions": 3}
    publish(client, token_for, task_body([material["id"]], quiz=quiz))
    (item,) = mine(client, token_for)
    read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    sign_in(client, STAFF)
    page = client.get(f"/study/assignments/{item['id']}/quiz").get_data(as_text=True)
    started = client.post(
        f"/study/assignments/{item['id']}/quiz", data={"csrf_token": csrf_from(page)}
    )
    assert started.status_code == 302 and "/study/attempts/" in started.location
    html = client.get(started.location).get_data(as_text=True)
    assert "正确答案" not in html and "Right answer" not in html
    keys = {q["text"]: q["answer"] for q in QUESTIONS}
    attempt = client.post(
        f"/api/v1/education/assignments/{item['id']}/quiz", headers=token_for(STAFF)
    ).json
    form: dict[str, Any] = {"csrf_token": csrf_from(html)}
    for q in attempt["questions"]:
        form[f"q{q['id']}"] = list(keys[q["text"]])
    done = client.post(started.location, data=form, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "quiz-result" in text and "100" in text


def test_management_pages_publish_a_material_refuse_a_bad_task_beside_its_field(client, session):
    from tests.integration.test_pages import csrf_from, sign_in

    sign_in(client, INSPECTOR)
    page = client.get("/study/manage/materials/new").get_data(as_text=True)
    made = client.post("/study/manage/materials/new", data={
        "csrf_token": csrf_from(page), "title": "页面发布的文章", "category": "integrity_culture",
        "source": "测试", "expected_minutes": "2", "tags": "家风", "body": "正文"})  # fmt: skip
    assert made.status_code == 302
    listing = client.get("/study/manage").get_data(as_text=True)
    assert "页面发布的文章" in listing
    form = client.get("/study/manage/tasks/new").get_data(as_text=True)
    assert "重点岗位" in form and "区财政局" in form and "区农牧局" not in form  # his scope
    before = count(session, StudyTask)
    bad = client.post("/study/manage/tasks/new", data={
        "csrf_token": csrf_from(form), "title": "页面任务", "start_on": "2026-12-10",
        "due_on": "2026-12-08", "units": ["czj"], "key_posts": "1", "publish": "1"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="error-due_on"' in html and 'id="error-materials"' in html
    assert 'value="页面任务"' in html  # what was typed is kept
    assert count(session, StudyTask) == before


def test_a_bad_question_sheet_lists_every_row_and_imports_nothing(client, token_for, session):
    from openpyxl import load_workbook

    from riskctl.education import importer
    from riskctl.education.models import Question

    bank_id = bank(client, token_for, [])
    book = load_workbook(io.BytesIO(importer.template_bytes()))
    sheet = book["题目"]
    sheet["A3"] = "问答"  # no such type
    sheet["I4"] = "不知道"  # an answer that is no letter
    sheet.append(["单选", "只有一个选项的题", "唯一", None, None, None, None, None, "A", ""])
    out = io.BytesIO()
    book.save(out)
    found = client.post(f"/api/v1/education/question-banks/{bank_id}/import",
                        headers=token_for(INSPECTOR), content_type="multipart/form-data",
                        data={"file": (io.BytesIO(out.getvalue()), "题库.xlsx")})  # fmt: skip
    assert found.status_code == 422
    details = found.json["error"]["details"]
    assert [(d["row"], d["column"]) for d in details] == [(3, "A"), (4, "I"), (5, "C")]
    assert count(session, Question) == 0
    good = client.post(f"/api/v1/education/question-banks/{bank_id}/import",
                       headers=token_for(INSPECTOR), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(importer.template_bytes()),
                                      "题库.xlsx")})  # fmt: skip
    assert good.status_code == 200 and good.json["imported"] == 3
    not_xlsx = client.post(f"/api/v1/education/question-banks/{bank_id}/import",
                           headers=token_for(INSPECTOR), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(files.pdf()), "题库.xlsx")})  # fmt: skip
    assert not_xlsx.status_code == 422 and not_xlsx.json["error"]["details"][0]["path"] == "file"


def test_statistics_by_unit_post_and_task_change_as_people_study_and_the_export_is_audited(
    client, token_for, at, session
):
    from tests.integration.test_pages import sign_in

    material = article(client, token_for)
    task = publish(client, token_for, task_body([material["id"]], due_on="2026-12-02"))
    (item,) = mine(client, token_for)
    read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    at(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # Monday: three working days after the due day
    stats = client.get("/api/v1/education/stats?unit=czj", headers=token_for("czj.zhoujie")).json
    assert stats["total"]["assigned"] == 5 and stats["total"]["completed"] == 1
    assert stats["total"]["completion_rate"] == 0.2 and stats["total"]["overdue"] == 4
    assert {g["label"] for g in stats["by_post"]} >= {"采购经办", "出纳"}
    assert stats["by_task"][0]["key"] == task["id"]
    assert {o["working_days_overdue"] for o in stats["overdue"]} == {3}
    assert all("（区财政局·" in o["person_label"] for o in stats["overdue"])
    assert client.get("/api/v1/education/stats?unit=nmj",
                      headers=token_for("czj.zhoujie")).status_code == 403  # fmt: skip
    sign_in(client, "czj.zhoujie")
    page = client.get("/study/statistics?unit=czj")
    assert page.status_code == 200 and 'id="chart-study"' in page.get_data(as_text=True)
    assert client.get("/study/statistics?from=2026-13-01").status_code == 422
    exported = client.get("/study/statistics/export.csv?unit=czj")
    assert exported.status_code == 200 and exported.headers["X-Rows"] == "5"
    text = exported.get_data().decode("utf-8-sig")
    assert "王芳（区财政局·" in text and "czj." not in text
    record = session.scalars(
        sa.select(AuditRecord).where(AuditRecord.action == "export.study")
    ).all()
    assert record and record[-1].after["rows"] == 5
    profile = client.get("/study/people/czj.wangfang").get_data(as_text=True)
    assert "2026年重点岗位廉政学习" in profile and 'id="completed"' in profile
    assert session.scalars(sa.select(AuditRecord).where(
        AuditRecord.action == "education.record_read")).first() is not None  # fmt: skip
    assert client.get("/study/people/nmj.gaopeng").status_code == 404  # another unit


def test_the_menu_offers_study_by_role(client):
    from tests.integration.test_pages import sign_in

    sign_in(client, STAFF)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/study"' in html and 'href="/study/manage"' not in html
    assert 'href="/study/statistics"' not in html


def test_an_inspector_finds_management_and_statistics_in_the_menu(client):
    from tests.integration.test_pages import sign_in

    sign_in(client, INSPECTOR)
    html = client.get("/").get_data(as_text=True)
    assert all(
        f'href="{link}"' in html for link in ("/study", "/study/manage", "/study/statistics")
    )


# ---------------------------------------------------------------- files


def test_a_material_file_is_served_in_ranges_and_a_missing_or_altered_one_is_reported(
    client, token_for, store, session
):
    data = files.pdf(b"x" * 5000)
    material = pdf_material(client, token_for, data)
    assert material["kind"] == "pdf" and material["content_type"] == "application/pdf"
    url = f"/api/v1/education/materials/{material['id']}/file"
    whole = client.get(url, headers=token_for(STAFF))
    assert whole.status_code == 200 and whole.get_data() == data
    whole.close()  # the file, as a server closes it
    part = client.get(url, headers={**token_for(STAFF), "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.get_data() == data[:100]
    part.close()
    path = store.path_of(material["sha256"])
    path.chmod(0o644)
    path.write_bytes(data[:-1] + b"!")  # altered: same size, other bytes
    from riskctl.education import api as education_api

    education_api._verified.clear()
    altered = client.get(url, headers=token_for(STAFF))
    assert altered.status_code == 409 and altered.json["error"]["code"] == "file_altered"
    path.unlink()
    missing = client.get(url, headers=token_for(STAFF))
    assert missing.status_code == 410 and missing.json["error"]["code"] == "file_missing"
    actions = set(session.scalars(sa.select(AuditRecord.action).where(
        AuditRecord.target_type == "study_material")))  # fmt: skip
    assert {"study_material.created", "study_material.file_altered",
            "study_material.file_missing"} <= actions  # fmt: skip


def test_an_upload_is_judged_by_its_content_and_held_to_its_limit(
    client, token_for, app, monkeypatch, session
):
    from riskctl.education.models import Material

    found = pdf_material(client, token_for, b"MZ\x90\x00" + files.unique(), "看我.pdf", expect=422)
    assert found["error"]["details"][0]["path"] == "file"
    mp4 = b"\x00\x00\x00\x18ftypmp42" + files.unique()
    video = pdf_material(client, token_for, mp4, "警示片.mp4")
    assert video["kind"] == "video" and video["content_type"] == "video/mp4"
    monkeypatch.setitem(app.config, "RISKCTL_STUDY_MATERIAL_MAX_BYTES", 1024)
    big = pdf_material(client, token_for, files.pdf(b"y" * 4096), expect=413)
    assert big["error"]["code"] == "file_too_large"
    assert count(session, Material) == 1


# ---------------------------------------------------------------- the risk and the alerts


def _scan(session: Any, at_: datetime, *, full: bool = True) -> Any:
    from riskctl.risk import scan
    from riskctl.risk import services as risk

    return scan.run_scan(session, risk.current_policy(session), at=at_, full=full)


def test_overdue_study_raises_a_warning_about_the_person_that_closes_when_it_is_done(
    client, token_for, at, session
):
    from riskctl.risk.models import EventStatus, RiskEvent

    material = article(client, token_for)
    publish(client, token_for, task_body([material["id"]], due_on="2026-12-02"))
    monday = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 3 working days after the due day
    at(monday)
    _scan(session, monday)
    events = session.scalars(
        sa.select(RiskEvent).where(RiskEvent.rule == "education_overdue")
    ).all()
    assert len(events) == 5 and all(e.item_id is None for e in events)
    mine_ = next(e for e in events if e.post == "purchaser")
    assert mine_.level.value == "yellow" and mine_.severity == 29  # 25 + 2 × 2 more days
    assert mine_.factors["post"]["risk"] == 4 and mine_.score == 36.25
    head = next(e for e in events if e.post == "head")
    assert head.score > mine_.score  # 主要负责人: risk value 5
    (item,) = mine(client, token_for)
    read_all(client, token_for, at, item, monday + timedelta(minutes=5))
    later = monday + timedelta(minutes=30)
    at(later)
    result = _scan(session, later, full=False)
    assert result.mode == "incremental" and result.closed == 1
    session.refresh(mine_)
    assert mine_.status is EventStatus.AUTO_CLOSED


def test_a_resolved_red_warning_assigns_the_warning_education_to_the_posts_involved(
    client, token_for, session
):
    from riskctl.education.models import AssignmentSource
    from riskctl.org.models import Person, Unit
    from riskctl.risk.models import EventStatus, Level, RiskEvent

    material = pdf_material(client, token_for)
    task = publish(client, token_for, {
        "title": "警示教育：化整为零", "start_on": START, "due_on": "2027-03-01",
        "audience": {}, "materials": [material["id"]],
        "follows": {"rules": ["procurement_splitting"], "posts": ["purchaser", "leader"],
                    "working_days": 5}})  # fmt: skip
    assert task["assigned"] == 0
    unit_id = session.scalar(sa.select(Unit.id).where(Unit.code == "czj"))
    person = session.scalar(sa.select(Person.id).where(Person.username == "czj.liqiang"))
    event = RiskEvent(identity="edu|red", rule="procurement_splitting", unit_id=unit_id,
                      person_id=person, post="section_chief", severity=90, score=90.0,
                      level=Level.RED, factors={}, evidence={}, status=EventStatus.OPEN,
                      policy_version=0)  # fmt: skip
    session.add(event)
    session.flush()
    closed = client.post(f"/api/v1/risk-events/{event.id}/resolve", headers=token_for(INSPECTOR),
                         json={"disposition": "reminder_talk", "note": "已约谈"})  # fmt: skip
    assert closed.status_code == 200, closed.get_json()
    rows = session.scalars(sa.select(Assignment).where(Assignment.task_id == task["id"])).all()
    assert {(r.post, r.source) for r in rows} == {("purchaser", AssignmentSource.WARNING),
                                                 ("leader", AssignmentSource.WARNING)}  # fmt: skip
    assert all(r.risk_event_id == event.id and r.due_on.isoformat() == "2026-12-08" for r in rows)
    assert [i["source"] for i in mine(client, token_for)] == ["warning"]


def test_reminders_before_the_due_day_and_the_morning_sms_to_those_overdue(
    client, token_for, session
):
    from datetime import time

    from riskctl.alerts.models import Channel, Kind, Notification
    from riskctl.education import jobs

    material = article(client, token_for)
    publish(client, token_for, task_body([material["id"]], due_on="2026-12-03", sms_digest=True))
    tuesday = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    done = jobs.tick(session, quiet_end=time(7, 30), at=tuesday)
    assert done["reminded"] == 5  # due Thursday: within two working days
    assert jobs.tick(session, quiet_end=time(7, 30), at=tuesday)["reminded"] == 0
    monday_night = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 06:00 Monday in Beijing
    assert jobs.tick(session, quiet_end=time(7, 30), at=monday_night)["digests"] == 0
    morning = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30
    assert jobs.tick(session, quiet_end=time(7, 30), at=morning)["digests"] == 5
    assert jobs.tick(session, quiet_end=time(7, 30), at=morning)["digests"] == 0
    sms = session.scalars(sa.select(Notification).where(
        Notification.kind == Kind.STUDY, Notification.channel == Channel.SMS)).all()  # fmt: skip
    assert len(sms) == 5 and all("1项学习任务已逾期" in n.body for n in sms)
    assert all(n.phone and n.status.value == "pending" for n in sms)


def test_someone_who_takes_up_a_key_post_later_is_assigned_at_the_next_sync(
    client, token_for, session
):
    from riskctl.education import jobs

    material = article(client, token_for)
    task = publish(client, token_for, task_body([material["id"]]))
    created = client.post("/api/v1/people", headers=token_for("admin"), json={
        "username": "czj.newcashier", "password": "new-cashier-pass-1", "name": "新出纳",
        "phone": "+8613900009876", "unit": "czj", "roles": ["staff"],
        "posts": ["cashier"]})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    from datetime import date

    assert jobs.sync_audiences(session, date(2026, 12, 1)) == 1
    row = session.scalar(sa.select(Assignment).where(Assignment.task_id == task["id"],
                                                     Assignment.source == "joined"))  # fmt: skip
    assert row is not None and row.due_on.isoformat() == DUE and row.post == "cashier"
    assert jobs.sync_audiences(session, date(2026, 12, 1)) == 0


def test_the_audit_chain_holds_after_study(client, token_for, at, session):
    from riskctl.core.audit import seal_pending, verify_chain

    material = article(client, token_for)
    publish(client, token_for, task_body([material["id"]]))
    (item,) = mine(client, token_for)
    read_all(client, token_for, at, item, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    seal_pending(session)
    assert verify_chain(session).ok
    read = session.scalars(sa.select(AuditRecord).where(
        AuditRecord.action == "education.material_read")).all()  # fmt: skip
    assert len(read) == 1 and read[0].after["material"] == material["id"]


def test_the_bank_page_adds_a_question_and_lists_every_bad_row_of_a_sheet(client, token_for):
    from openpyxl import load_workbook

    from riskctl.education import importer
    from tests.integration.test_pages import csrf_from, sign_in

    bank_id = bank(client, token_for, [])
    sign_in(client, INSPECTOR)
    page = client.get(f"/study/manage/banks/{bank_id}").get_data(as_text=True)
    added = client.post(f"/study/manage/banks/{bank_id}", data={
        "csrf_token": csrf_from(page), "kind": "single", "text": "页面添加的题",
        "option_A": "甲", "option_B": "乙", "answer": ["B"]})  # fmt: skip
    assert added.status_code == 302
    assert "页面添加的题" in client.get(f"/study/manage/banks/{bank_id}").get_data(as_text=True)
    book = load_workbook(io.BytesIO(importer.template_bytes()))
    book["题目"]["A2"] = "填空"
    out = io.BytesIO()
    book.save(out)
    bad = client.post(f"/study/manage/banks/{bank_id}", content_type="multipart/form-data",
                      data={"csrf_token": csrf_from(page), "action": "import",
                            "file": (io.BytesIO(out.getvalue()), "题库.xlsx")})  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="import-errors"' in html
    assert "<td>2</td><td>A</td><td>题型必须是单选、多选或判断</td>" in html


def test_a_leader_sees_who_studies_in_his_unit_and_an_inspector_publishes_a_draft(
    client, token_for
):
    from tests.integration.test_pages import csrf_from, sign_in

    material = article(client, token_for)
    draft = publish(client, token_for, task_body([material["id"]], publish=False))
    sign_in(client, INSPECTOR)
    page = client.get(f"/study/manage/tasks/{draft['id']}").get_data(as_text=True)
    done = client.post(f"/study/manage/tasks/{draft['id']}", data={"csrf_token": csrf_from(page)})
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    sign_in(client, "czj.zhoujie")
    html = client.get(f"/study/manage/tasks/{draft['id']}").get_data(as_text=True)
    assert html.count("（区财政局·") == 5 and "采购经办" in html
    assert client.post(f"/study/manage/tasks/{draft['id']}",
                       data={"csrf_token": csrf_from(html)}).status_code == 403  # fmt: skip
