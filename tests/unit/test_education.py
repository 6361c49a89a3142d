"""Study (廉政教育) in plain Python: reading time credited from heartbeats, questions
checked, drawn and scored, audiences read and matched, articles shown without their
writer's HTML, the question sheet's template, and the overdue rule's hit, miss and
boundary."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from riskctl.education import importer, spec
from riskctl.education.facts import OverdueStudy
from riskctl.risk.rules import REGISTRY
from tests.unit.test_risk_rules import TODAY, run, working_days_ago

PACE = spec.Pace(heartbeat_seconds=30, read_share=0.8)
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


# ---------------------------------------------------------------- reading time


def test_the_first_heartbeat_credits_nothing_and_starts_the_clock() -> None:
    assert spec.credit(30, None, T0, PACE) == 0


@pytest.mark.parametrize(
    ("claimed", "elapsed", "credited"),
    [
        (30, 30, 30),  # an honest page
        (30, 10, 10),  # it cannot have seen more than the time that passed
        (3600, 60, 45),  # a page claiming an hour: at most 1.5 heartbeats
        (20, 600, 20),  # back after ten minutes away: what it saw, not the gap
        (0, 30, 0),  # hidden the whole time
        (30, 0, 0),  # two heartbeats at once (two tabs)
        (30, -5, 0),  # a clock that went back
    ],
)
def test_a_heartbeat_credits_the_least_of_claim_wall_time_and_cap(
    claimed: int, elapsed: int, credited: int
) -> None:
    assert spec.credit(claimed, T0, T0 + timedelta(seconds=elapsed), PACE) == credited


def test_two_tabs_beating_at_once_gain_no_more_than_the_wall_time() -> None:
    last, total = T0, 0
    for n in range(1, 21):  # two tabs, each claiming 30 s every 30 s, interleaved
        now = T0 + timedelta(seconds=15 * n)
        total += spec.credit(30, last, now, PACE)
        last = now
    assert total == 300  # five minutes of wall time, not ten


def test_a_material_is_read_at_its_share_of_the_expected_minutes() -> None:
    assert PACE.required_seconds(10) == 480
    assert spec.Pace(read_share=1.0).required_seconds(10) == 600
    assert PACE.cap == 45 and spec.Pace(heartbeat_seconds=5).cap == 8


# ---------------------------------------------------------------- questions


def test_answer_letters_are_read_in_every_usual_way() -> None:
    for written in ("AC", "a,c", "C、A", ["A", "C"], "A C"):
        assert spec.answer_letters(written) == ["A", "C"]
    for wrong in ("", "AA", "Z", ["AB"], 3, None, "不知道"):
        assert spec.answer_letters(wrong) is None


def test_a_sound_question_has_no_problem_and_true_false_has_fixed_options() -> None:
    assert spec.check_question("single", "问题", ["甲", "乙"], "B") == []
    assert spec.check_question("multiple", "问题", ["甲", "乙", "丙"], "AC") == []
    assert spec.check_question("true_false", "问题", [], "A") == []
    assert spec.options_for("true_false", ["x"]) == ["正确", "错误"]


@pytest.mark.parametrize(
    ("kind", "text", "options", "answer", "path"),
    [
        ("essay", "问题", ["甲", "乙"], "A", "q.kind"),
        ("single", " ", ["甲", "乙"], "A", "q.text"),
        ("single", "问题", ["甲"], "A", "q.options"),
        ("single", "问题", ["甲", ""], "A", "q.options[1]"),
        ("single", "问题", ["甲", "甲"], "A", "q.options"),
        ("single", "问题", ["甲", "乙"], "C", "q.answer"),
        ("single", "问题", ["甲", "乙"], "AB", "q.answer"),
        ("multiple", "问题", ["甲", "乙", "丙"], "A", "q.answer"),
        ("true_false", "问题", [], "C", "q.answer"),
    ],
)
def test_a_bad_question_is_named_by_its_path(kind, text, options, answer, path) -> None:
    problems = spec.check_question(kind, text, options, answer, at="q")
    assert path in [p.path for p in problems], problems


def test_questions_are_drawn_at_random_never_twice_and_never_more_than_the_bank() -> None:
    pool = list(range(1, 31))
    drawn = spec.draw(pool, 10, random.Random(1))
    assert len(drawn) == len(set(drawn)) == 10 and set(drawn) <= set(pool)
    assert spec.draw(pool, 10, random.Random(2)) != drawn
    assert sorted(spec.draw([1, 2, 3], 5, random.Random(3))) == [1, 2, 3]


def test_a_score_is_exact_per_question_with_no_part_marks() -> None:
    keys = {1: ["B"], 2: ["A", "C"], 3: ["A"]}
    full = spec.score(keys, {1: ["B"], 2: ["C", "A"], 3: ["A"]})
    assert (full.correct, full.total, full.percent) == (3, 3, 100)
    partial = spec.score(keys, {1: ["B"], 2: ["A"], 3: ["A", "B"]})  # 2: too few; 3: too many
    assert partial.correct == 1 and partial.right == {1: True, 2: False, 3: False}
    assert partial.percent == 33
    unanswered = spec.score(keys, {1: ["B"], 2: ["A", "C"]})
    assert unanswered.percent == 67 and unanswered.passes(60) and not unanswered.passes(70)
    assert spec.score({}, {}).percent == 0


def test_the_pass_mark_is_reached_at_its_boundary() -> None:
    keys = {n: ["A"] for n in range(5)}
    three = spec.score(keys, {0: ["A"], 1: ["A"], 2: ["A"]})
    assert three.percent == 60 and three.passes(60) and not three.passes(61)


# ---------------------------------------------------------------- audiences


def test_an_audience_is_read_with_every_problem_at_its_path() -> None:
    audience, problems = spec.read_audience(
        {"units": ["czj", "czj", ""], "roles": ["king"], "key_posts": "yes", "extra": 1}
    )
    assert audience.units == ("czj",)
    assert {p.path for p in problems} == {
        "audience.units[2]", "audience.roles[0]", "audience.key_posts", "audience.extra"
    }  # fmt: skip
    assert spec.read_audience(None)[0].is_empty
    assert spec.read_audience("czj")[1][0].path == "audience"


def test_key_posts_are_those_of_risk_four_and_more_and_the_riskiest_one_is_named() -> None:
    key = spec.Audience(units=("czj",), key_posts=True)
    assert spec.selected(key, {"handler": 3, "purchaser": 4}, []) == "purchaser"
    assert spec.selected(key, {"handler": 3, "purchaser": 4, "head": 5}, []) == "head"
    assert spec.selected(key, {"handler": 3}, []) is None
    by_post = spec.Audience(posts=("cashier",))
    assert spec.selected(by_post, {"cashier": 4}, []) == "cashier"
    assert spec.selected(by_post, {"purchaser": 4}, []) is None
    by_role = spec.Audience(roles=("discipline_leader",))
    assert spec.selected(by_role, {}, ["discipline_leader"]) == ""
    everyone = spec.Audience(units=("czj",))
    assert spec.selected(everyone, {}, ["staff"]) == ""


# ---------------------------------------------------------------- articles


def test_an_article_shows_markdown_but_never_its_writers_html_or_script_links() -> None:
    html = str(spec.render_article(
        "# 准则\n\n**重点** <b onclick='x()'>粗</b>\n\n[链接](javascript:alert(1)) "
        "[正常](https://example.gov.cn) ![图](http://evil.example/x.png)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    ))  # fmt: skip
    assert "<h1>准则</h1>" in html and "<strong>重点</strong>" in html
    assert "<b onclick" not in html and "&lt;b onclick" in html
    assert 'href="javascript:' not in html and 'href="https://example.gov.cn"' in html
    assert "<img" not in html and "<table>" in html


# ---------------------------------------------------------------- the question sheet


def test_the_template_imports_as_its_three_examples() -> None:
    rows = importer.read_questions(importer.template_bytes(), "模板.xlsx")
    assert [r["kind"] for r in rows] == ["single", "multiple", "true_false"]
    assert rows[2]["answer"] == "B" and rows[2]["options"] == []


def test_a_sheet_without_the_template_header_is_refused() -> None:
    from openpyxl import Workbook

    from riskctl.core.errors import ValidationFailed

    book = Workbook()
    book.active.append(["题目", "答案"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ValidationFailed) as found:
        importer.read_questions(out.getvalue(), "q.xlsx")
    assert found.value.details[0]["path"] == "file"


# ---------------------------------------------------------------- the overdue rule


def overdue(due: date, post: str | None = "purchaser", **kw: object) -> OverdueStudy:
    values: dict[str, object] = {
        "assignment_id": 9, "task_id": 3, "title": "2026年重点岗位廉政学习", "person_id": 5,
        "unit_id": 7, "post": post, "due_on": due, "materials": 3, "materials_read": 1,
        "has_quiz": True, "best_score": None, "is_passed": False,
    }  # fmt: skip
    values.update(kw)
    return OverdueStudy(**values)  # type: ignore[arg-type]


def test_study_due_today_is_not_overdue_and_the_next_working_day_it_is() -> None:
    assert run("education_overdue", [overdue(TODAY)]) == []
    (signal,) = run("education_overdue", [overdue(working_days_ago(1))])
    assert signal.severity == 25 and signal.person_id == 5 and signal.item_id is None
    assert signal.post == "purchaser" and signal.subject == "study:9"
    assert signal.evidence["working_days_late"] == 1


def test_severity_grows_with_the_working_days_overdue_up_to_its_cap() -> None:
    (later,) = run("education_overdue", [overdue(working_days_ago(6))])
    assert later.severity == 25 + 2 * 5
    (long_ago,) = run("education_overdue", [overdue(working_days_ago(40))])
    assert long_ago.severity == 45
    (raised,) = run("education_overdue", [overdue(working_days_ago(20))], max_severity=80)
    assert raised.severity == 25 + 2 * 19


def test_a_weekend_after_the_due_day_is_no_working_day_overdue() -> None:
    friday = date(2026, 11, 20)
    at_monday = [overdue(friday)]  # TODAY is Wednesday 25 November: 3 working days
    (signal,) = run("education_overdue", at_monday)
    assert signal.evidence["working_days_late"] == 3


def test_the_overdue_rule_is_registered_about_people_not_items() -> None:
    rule = REGISTRY["education_overdue"]
    assert rule.reach == "unit" and not rule.sticky and rule.incremental
