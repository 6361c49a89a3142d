"""Study (廉政教育) in Chromium: a staff member reads a PDF in the page — shown by the local
PDF.js, the time credited from the page's heartbeats — passes the quiz, and the
inspector's statistics change."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import requests

from riskctl.core.calendar import WorkingCalendar
from riskctl.education.demo import simple_pdf
from tests.e2e.conftest import SHOTS, api_headers, sign_in

pytestmark = pytest.mark.browser

READER = "czj.liqiang"  # 科室负责人: in no demo task
INSPECTOR = "jw.hexiaoping"
QUESTIONS = [
    {"kind": "single", "text": "收受可能影响公正执行公务的礼品，违反的是哪项纪律？",
     "options": ["政治纪律", "廉洁纪律", "群众纪律"], "answer": "B"},
    {"kind": "true_false", "text": "同一人可以既审批又付款。", "answer": "B"},
    {"kind": "multiple", "text": "哪些岗位应当分离？",
     "options": ["出纳与会计档案保管", "付款审批与付款执行", "阅读与学习"], "answer": "AB"},
]  # fmt: skip


def _days() -> tuple[str, str]:
    """A start on or before today and a due day a week ahead, both working days (the
    live server runs on the real date)."""
    calendar = WorkingCalendar()
    start = date.today()
    while not calendar.is_working_day(start):
        start -= timedelta(days=1)
    return start.isoformat(), calendar.add_working_days(start, 10).isoformat()


def _task(base: str) -> int:
    """A one-minute PDF and a three-question quiz, assigned to the reader by name."""
    h = api_headers(base, INSPECTOR)
    pdf = simple_pdf("浏览器测试：廉洁用权", ["党员领导干部应当廉洁用权，自觉维护人民根本利益。"])
    made = requests.post(f"{base}/api/v1/education/materials", headers=h, timeout=10, data={
        "title": "浏览器测试：廉洁用权", "category": "party_rules", "source": "测试",
        "expected_minutes": "1"}, files={"file": ("廉洁用权.pdf", io.BytesIO(pdf))})  # fmt: skip
    assert made.status_code == 201, made.text
    bank = requests.post(f"{base}/api/v1/education/question-banks", headers=h, timeout=10,
                         json={"name": "浏览器测试题库"}).json()  # fmt: skip
    added = requests.post(f"{base}/api/v1/education/question-banks/{bank['id']}/questions",
                          headers=h, json={"questions": QUESTIONS}, timeout=10)  # fmt: skip
    assert added.status_code == 201, added.text
    start, due = _days()
    task = requests.post(f"{base}/api/v1/education/tasks", headers=h, timeout=10, json={
        "title": "浏览器测试学习", "start_on": start, "due_on": due,
        "audience": {"people": [READER]}, "materials": [made.json()["id"]],
        "quiz": {"bank": bank["id"], "questions": 3, "pass_mark": 60, "attempts": 2}})  # fmt: skip
    assert task.status_code == 201, task.text
    return int(task.json()["id"])


def _completed(page, base: str, task_id: int) -> str:
    page.goto(f"{base}/study/statistics?task={task_id}")
    return page.locator("#total-completed").inner_text()


def test_a_staff_member_reads_a_pdf_passes_the_quiz_and_the_statistics_change(page, live_server):
    task_id = _task(live_server)
    sign_in(page, live_server, INSPECTOR)
    assert _completed(page, live_server, task_id) == "0"
    page.click("button >> text=退出")

    sign_in(page, live_server, READER)
    page.click("nav.sidebar >> text=我的学习")
    card = page.locator("article.study", has_text="浏览器测试学习")
    card.locator("a", has_text="浏览器测试：廉洁用权").click()
    page.wait_for_selector("#pdf-viewer[data-rendered='1'] canvas")  # drawn by PDF.js
    assert page.locator("#pdf-viewer canvas").first.bounding_box()["height"] > 300
    page.wait_for_selector("#study-state:not([hidden])", timeout=60_000)  # read: credited
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "study_reading.png"))
    page.click("a.button >> text=参加测验")
    page.click("button >> text=开始测验")
    page.wait_for_selector("form.quiz")
    assert "正确答案" not in page.content()  # the key stays on the server
    keys = {q["text"]: q["answer"] for q in QUESTIONS}
    for question in page.locator("li.question").all():
        legend = question.locator("legend").inner_text()
        (text,) = [t for t in keys if t in legend]
        for letter in keys[text]:
            question.locator(f"input[value='{letter}']").check()
    page.click("button >> text=提交答卷")
    result = page.locator("#quiz-result")
    assert "得分100" in result.inner_text() and "已通过" in result.inner_text()
    page.goto(f"{live_server}/study")
    assert page.locator("article.study", has_text="浏览器测试学习").locator(
        "[data-status='completed']").count() == 1  # fmt: skip
    page.click("button >> text=退出")

    sign_in(page, live_server, INSPECTOR)
    assert _completed(page, live_server, task_id) == "1"
    assert page.locator("#total-completion").inner_text() == "100.0%"
    page.wait_for_selector("#chart-study canvas")  # the chart, by the local ECharts
    page.shot_name = "study_statistics"
