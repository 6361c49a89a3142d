"""The rules about talks and the supervision ledger: a hit, a miss and the boundary."""

from __future__ import annotations

from datetime import date, timedelta

from riskctl.risk.evidence import Names, Words
from riskctl.risk.rules import REGISTRY
from riskctl.supervision.facts import FindingFact, TalkFact
from tests.unit.test_risk_rules import TODAY, run, working_days_ago


def talk(due: date, **changes: object) -> TalkFact:
    values = {"id": 4, "unit_id": 7, "kind": "reminder_talk", "talker_id": 2, "due_on": due,
              "subject_ids": (5,)} | changes  # fmt: skip
    return TalkFact(**values)  # type: ignore[arg-type]


def finding(deadline: date, **changes: object) -> FindingFact:
    values = {"id": 9, "unit_id": 7, "source": "patrol", "description": "公务接待超标准",
              "responsible_id": 5, "deadline": deadline,
              "submitted_on": None} | changes  # fmt: skip
    return FindingFact(**values)  # type: ignore[arg-type]


def test_a_talk_is_late_the_day_after_its_due_day_and_weighs_more_each_working_day() -> None:
    assert run("talk_overdue", [talk(TODAY)]) == []  # held by its day: it still may be
    (first,) = run("talk_overdue", [talk(working_days_ago(1))])
    assert first.severity == 30 and first.evidence["working_days_late"] == 1
    assert (first.person_id, first.unit_id, first.subject, first.item_id) == (2, 7, "talk:4", None)
    (fifth,) = run("talk_overdue", [talk(working_days_ago(5))])
    assert fifth.severity == 30 + 4 * 5 and fifth.evidence["subjects"] == [5]


def test_a_talk_due_on_a_rest_day_counts_the_working_days_since() -> None:
    saturday = date(2026, 11, 21)  # TODAY is Wednesday 25 November 2026
    (signal,) = run("talk_overdue", [talk(saturday)])
    assert signal.evidence["working_days_late"] == 3 and signal.evidence["days_late"] == 4
    assert signal.severity == 30 + 2 * 5


def test_a_talk_a_disposition_ordered_weighs_more_and_names_who_disposed() -> None:
    ordered = talk(working_days_ago(1), risk_event_id=12, disposition="reminder_talk",
                   disposed_by_id=3)  # fmt: skip
    (signal,) = run("talk_overdue", [ordered])
    assert signal.severity == 40
    assert (signal.evidence["risk_event"], signal.evidence["disposed_by"]) == (12, 3)
    assert REGISTRY["talk_overdue"].notify_also == ("disposed_by",)
    (plain,) = run("talk_overdue", [talk(working_days_ago(1))])
    assert "disposed_by" not in plain.evidence


def test_a_rectification_past_its_deadline_and_the_one_done_in_time() -> None:
    assert run("rectification_overdue", [finding(TODAY)]) == []
    (late,) = run("rectification_overdue", [finding(working_days_ago(1))])
    assert late.severity == 30 and late.subject == "finding:9" and late.person_id == 5
    (later,) = run("rectification_overdue", [finding(working_days_ago(6))])
    assert later.severity == 30 + 5 * 3
    deadline = working_days_ago(2)
    in_time = finding(deadline, submitted_on=deadline)  # awaits the inspectors
    assert run("rectification_overdue", [in_time]) == []
    too_late = finding(deadline, submitted_on=deadline + timedelta(days=1))
    assert len(run("rectification_overdue", [too_late])) == 1
    (nobody,) = run("rectification_overdue", [finding(working_days_ago(1), responsible_id=None)])
    assert nobody.person_id is None


def test_the_evidence_says_who_talks_to_whom_and_what_ordered_it() -> None:
    ordered = talk(working_days_ago(2), risk_event_id=12, disposition="admonishment",
                   disposed_by_id=3)  # fmt: skip
    (signal,) = run("talk_overdue", [ordered])
    rule = REGISTRY["talk_overdue"]
    names = Names(people={2: "周洁（区财政局·纪检组长）", 3: "刘红（区纪委·监察员）",
                          5: "王芳（区财政局·经办人）"})  # fmt: skip
    assert rule.cites(signal.evidence)["people"] == {2, 3, 5}
    text = rule.explain(dict(signal.evidence), Words("zh", names)).text()
    assert "「谈话提醒」应于2026年11月23日前开展，已逾期2日（2个工作日）仍未开展" in text
    assert "谈话人：周洁（区财政局·纪检组长）；谈话对象：王芳（区财政局·经办人）" in text
    assert "此项系落实预警 #12 的处置（诫勉；处置人：刘红（区纪委·监察员））" in text
    english = rule.explain(dict(signal.evidence), Words("en", names)).text()
    assert "reminder talk was due by" in english and "warning #12 with admonishment" in english
    subject = rule.subject_text(signal.subject, signal.evidence, Words("zh"))
    assert subject.startswith("谈话提醒（应于2026年11月")
