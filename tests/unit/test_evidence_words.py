"""Every rule says its evidence in words (issue 18): Chinese and English sentences and
tables, never a key, a username, a JSON fragment or an ISO timestamp."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest

from riskctl.assessment.services import PointsLost
from riskctl.education.facts import OverdueStudy
from riskctl.risk.evidence import Explanation, Link, Missing, Names, Ref, Words
from riskctl.risk.facts import HandlingFact, HitFact, ItemFact, TaskFact
from riskctl.risk.rules import REGISTRY, Signal
from riskctl.risk.rules.controls import LinkedItems
from riskctl.risk.rules.meetings import Interests
from riskctl.risk.rules.platform import UnitActivity
from riskctl.risk.rules.works import ItemsWithSteps
from riskctl.supervision.facts import FindingFact, TalkFact
from tests.unit.test_meetings import meeting
from tests.unit.test_risk_rules import AT, item, noon, run, step, working_days_ago

# What a reader must never see.
FORBIDDEN = {
    "a key (snake_case)": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a username": re.compile(r"\b[a-z]+\.[a-z]+\b"),
    "a JSON fragment": re.compile(r"\{\"|\[\{|\{'|\[\]|\{\}"),
    "an ISO timestamp": re.compile(
        r"\d{4}-\d{2}-\d{2}T\d{2}|\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\b"
    ),
    "a Python value": re.compile(r"\b(?:None|True|False)\b"),
}


def problems(text: str) -> list[str]:
    return [f"{what}: {m.group(0)!r}" for what, rx in FORBIDDEN.items() for m in rx.finditer(text)]


def _hit(kind: str, evidence: dict[str, Any], outcome: str = "flagged") -> HitFact:
    rule = {"dynamic": "procurement:request~approve", "static": "post:cashier~accountant",
            "conflict_of_interest": "conflict_of_interest"}[kind]  # fmt: skip
    name = {"dynamic": "需求与审批分离", "static": "出纳与会计分离",
            "conflict_of_interest": "利益冲突：与「华信科技」存在配偶任职关系"}[kind]  # fmt: skip
    return HitFact(1, kind, rule, name, outcome, 7, 5, 11, 3, "approve", evidence, AT)


def _buy(id: int, amount: str, **fields: Any) -> ItemFact:
    return item(id, amount=amount, method="竞争性磋商", budget_project="信息化建设",
                item_category="服务", **fields)  # fmt: skip


def _awarded(id: int, supplier: str, amount: str) -> ItemFact:
    return item(id, supplier=supplier, awarded_on="2026-10-01", contract_amount=amount)


def _assets(id: int = 31, **fields: Any) -> ItemFact:
    return item(id, category="assets", disposal_method="出售", **fields)


def _decision() -> ItemFact:
    started = date(2026, 11, 1)
    return ItemFact(5, 7, 3, "major_decision", "major_decision", "completed", noon(started), 9,
                    {}, started)  # fmt: skip


# rule code → the facts and parameters that make it find something (realistic values)
CASES: dict[str, list[tuple[Any, dict[str, Any]]]] = {
    "incompatible_posts": [
        (
            [
                _hit(
                    "dynamic",
                    {
                        "process": "procurement",
                        "version": 2,
                        "rule": "request~approve",
                        "nodes": ["request", "approve"],
                        "earlier_step": 10,
                        "task": 3,
                    },
                )
            ],
            {},
        ),
        ([_hit("static", {"username": "wang.fang", "posts": ["cashier", "accountant"]})], {}),
        (
            [
                _hit(
                    "conflict_of_interest",
                    {
                        "declared": "华信科技",
                        "relation": "配偶任职",
                        "item_value": "北京华信科技有限公司",
                        "task": 3,
                    },
                )
            ],
            {},
        ),
        (
            [
                _hit(
                    "dynamic",
                    {
                        "nodes": ["request", "approve"],
                        "earlier_step": 10,
                        "pair_basis": "单位内部管理规定（良好实践）",
                    },
                    "mitigated",
                )
            ],
            {},
        ),
    ],
    "cross_item_incompatible": [
        (
            LinkedItems(
                {1: item(1)},
                [item(2, "contract", procurement_ref="1")],
                {1: [step(10, 1, "request", 5)], 2: [step(20, 2, "perform", 5)]},
            ),
            {},
        ),
    ],
    "step_overdue": [
        ([TaskFact(3, 11, 7, 3, "review", "section_chief", noon(working_days_ago(3)), 5)], {}),
    ],
    "item_overdue": [([item(11, started=date(2026, 1, 5))], {})],
    "irregular_handling": [
        ([HandlingFact(11, 7, 3, returns=4, after_end=1, untasked=2, backdated=1)], {}),
    ],
    "procurement_just_under_threshold": [
        ([item(12, amount="3900000", item_category="货物")], {}),
        ([item(13, amount="985000.50", item_category="服务")], {}),
    ],
    "procurement_splitting": [
        (
            [
                _buy(1, "1500000"),
                _buy(2, "1600000"),
                _buy(3, "1400000"),
                _buy(4, "900000", budget_adjusted=True),
            ],
            {},
        ),
        (
            [
                _buy(1, "2500000", catalogue_code="C0301"),
                _buy(2, "1600000", catalogue_code="C0301"),
            ],
            {},
        ),
    ],
    "procurement_single_bidder": [([item(14, method="公开招标", bidders=2)], {})],
    "procurement_short_tender_period": [
        ([item(15, method="公开招标", tender_start="2026-06-01", tender_end="2026-06-12")], {}),
        ([item(16, method="竞争性谈判", tender_start="2026-06-01", tender_end="2026-06-02")], {}),
    ],
    "procurement_late_contract": [
        ([item(17, awarded_on="2026-06-01", signed_on="2026-08-03")], {}),
        ([item(18, awarded_on="2026-09-01")], {}),
    ],
    "procurement_late_contract_publication": [
        ([item(19, signed_on="2026-06-01", published_on="2026-06-12")], {}),
        ([item(20, signed_on="2026-11-02")], {}),
    ],
    "procurement_late_contract_filing": [
        ([item(21, signed_on="2026-06-01", filed_on="2026-06-30")], {}),
    ],
    "procurement_late_sme_payment": [
        ([item(22, sme=True, delivered_on="2026-06-01", paid_on="2026-08-14")], {}),
        (
            [
                item(
                    23,
                    sme=True,
                    payment_on_acceptance=True,
                    accepted_on="2026-09-01",
                    payment_days=45,
                )
            ],
            {},
        ),
    ],
    "procurement_supplement_excess": [
        ([item(24, contract_amount="1000000", supplement_amount="150000")], {}),
    ],
    "procurement_supplier_concentration": [
        (
            [
                _awarded(1, "华信科技", "800000"),
                _awarded(2, "华信科技", "700000"),
                _awarded(3, "城南物业", "200000"),
                _awarded(4, "华信科技", "300000"),
            ],
            {},
        ),
    ],
    "construction_change_order_excess": [
        (
            [item(25, category="construction", contract_amount="8000000", change_amount="1200000")],
            {},
        ),
    ],
    "construction_payment_before_acceptance": [
        (
            ItemsWithSteps(
                [
                    item(
                        26, category="construction", contract_amount="1000000", paid_amount="990000"
                    )
                ],
                {26: [step(40, 26, "payment", 5)]},
            ),
            {},
        ),
        (
            ItemsWithSteps(
                [
                    item(
                        27,
                        category="construction",
                        contract_amount="1000000",
                        completed_value="600000",
                        paid_amount="700000",
                    )
                ],
                {},
            ),
            {},
        ),
    ],
    "construction_late_final_accounts": [
        ([item(28, category="construction", completed_on="2025-09-10")], {}),
        (
            [
                item(
                    29,
                    category="construction",
                    completed_on="2026-01-10",
                    final_on="2026-10-20",
                    final_extension_months=3,
                )
            ],
            {},
        ),
    ],
    "assets_disposal_below_appraisal": [
        ([_assets(appraised_value="100000", proceeds="80000")], {}),
        ([_assets(32, appraised_value="100000", approved_floor="90000", proceeds="85000")], {}),
    ],
    "assets_disposal_without_collective_decision": [
        (
            ItemsWithSteps([_assets(33, book_value="620000")], {33: [step(50, 33, "execute", 5)]}),
            {},
        ),
        (
            ItemsWithSteps(
                [_assets(34, original_value="900000", book_value="300000")],
                {34: [step(51, 34, "execute", 5)]},
            ),
            {},
        ),
    ],
    "finance_payment_over_budget": [
        (
            [
                item(35, category="finance", budget_line="办公经费", amount="60000"),
                item(36, category="finance", budget_line="办公经费", amount="50000"),
            ],
            {"budgets": {"办公经费": "100000"}},
        ),
    ],
    "major_decision_without_meeting": [([_decision()], {})],
    "meeting_quorum_missing": [
        ([meeting(expected=5, taking_part=2, votes=2)], {}),
        ([meeting(quorum="two_thirds", expected=7, taking_part=4, votes=4)], {}),
    ],
    "meeting_chair_not_last": [
        ([meeting(((1, "agree", True), (2, "agree", False), (3, "agree", False)))], {}),
        ([meeting(((2, "agree", False), (1, "agree", True), (3, "disagree", False)))], {}),
    ],
    "meeting_interested_member_voted": [
        (
            Interests([meeting()], {21: ["北京华信科技有限公司"]}, {2: [("华信科技", "配偶任职")]}),
            {},
        ),
    ],
    "meeting_topics_late": [
        ([meeting(sent=date(2026, 11, 30))], {}),
        ([meeting(sent=None)], {}),
    ],
    "platform_unused": [
        (UnitActivity({7: noon(working_days_ago(11))}, {}), {}),
        (UnitActivity({7: None}, {7: noon(working_days_ago(12))}), {}),
    ],
    "talk_overdue": [
        (
            [TalkFact(4, 7, "reminder_talk", 2, working_days_ago(3), (5,), 12, "reminder_talk", 2)],
            {},
        ),
        ([TalkFact(6, 7, "collective", 2, working_days_ago(1), (5, 2))], {}),
    ],
    "rectification_overdue": [
        ([FindingFact(9, 7, "patrol", "公务接待超出标准", 5, working_days_ago(4), None)], {}),
        (
            [
                FindingFact(
                    10,
                    7,
                    "risk_warning",
                    "采购需求审核不严",
                    None,
                    working_days_ago(2),
                    None,
                    12,
                    "rectification",
                    2,
                )
            ],
            {},
        ),
    ],
    "assessment_points_lost": [
        (
            [
                PointsLost(
                    1,
                    7,
                    2019,
                    "dept_overall_expenditure",
                    "public_funds_control",
                    "公用经费控制率",
                    Fraction(4),
                    Fraction(0),
                    "148.68",
                    AT,
                )
            ],
            {},
        ),
        (
            [
                PointsLost(
                    1,
                    7,
                    2019,
                    "dept_overall_expenditure",
                    "major_violation",
                    "重大资金违纪",
                    Fraction(20),
                    Fraction(0),
                    None,
                    AT,
                    deduction=True,
                )
            ],
            {},
        ),
    ],
    "education_overdue": [
        (
            [
                OverdueStudy(
                    9,
                    3,
                    "2026年重点岗位廉政学习",
                    5,
                    7,
                    "purchaser",
                    working_days_ago(4),
                    3,
                    1,
                    True,
                    None,
                    False,
                )
            ],
            {},
        ),
        (
            [
                OverdueStudy(
                    9,
                    3,
                    "警示教育 化整为零",
                    5,
                    7,
                    None,
                    working_days_ago(1),
                    2,
                    2,
                    True,
                    40,
                    False,
                )
            ],
            {},
        ),
        (
            [
                OverdueStudy(
                    9, 3, "廉洁文化", 5, 7, "cashier", working_days_ago(2), 1, 0, False, None, False
                )
            ],
            {},
        ),
    ],
}

NAMES = Names(
    items={1: Ref("办公设备采购", "/workbench/items/1"), 2: Ref("办公设备采购合同", "/w/2"),
           11: Ref("2026年度印刷服务采购", "/w/11")},
    steps={10: Ref("「提出需求」· 王芳（区财政局·经办人）", "/w/1"),
           20: Ref("「履约验收」· 王芳（区财政局·经办人）", "/w/2")},
    meetings={11: Ref("「党组会议研究」", "/w/21")},
    tasks={3: Ref("「科室审核」", "/w/11")},
    people={2: "李明（区财政局·副局长）", 5: "王芳（区财政局·经办人）"},
    nodes={"request": "提出需求", "approve": "审批"},
    posts={"cashier": "出纳", "accountant": "会计"},
)  # fmt: skip


def signals() -> list[tuple[str, Signal]]:
    found = []
    for code, cases in CASES.items():
        for facts, params in cases:
            hits = run(code, facts, **params)
            assert hits, f"{code}: the case finds nothing"
            found += [(code, s) for s in hits]
    return found


def test_every_rule_of_the_registry_has_a_case() -> None:
    assert set(CASES) == set(REGISTRY)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("names", [NAMES, Names()], ids=["resolved", "unresolved"])
def test_every_rule_explains_its_evidence_in_words(lang: str, names: Names) -> None:
    for code, signal in signals():
        rule = REGISTRY[code]
        explained = rule.explain(dict(signal.evidence), Words(lang, names))
        assert isinstance(explained, Explanation), code
        assert explained.sentences or explained.tables, code
        text = explained.text()
        assert problems(text) == [], f"{code} ({lang}): {text}"
        subject = rule.subject_text(signal.subject, signal.evidence, Words(lang))
        assert problems(subject) == [], f"{code} ({lang}) subject: {subject}"
        if lang == "en":
            assert not re.search(r"[。，；：]", text), f"{code}: Chinese punctuation in {text}"


def test_splitting_lists_the_purchases_as_links_with_money_in_wan_yuan() -> None:
    (signal,) = run("procurement_splitting", CASES["procurement_splitting"][0][0])
    explained = REGISTRY["procurement_splitting"].explain(signal.evidence, Words("zh", NAMES))
    sentence = "".join(str(p) for p in explained.sentences[0])
    assert "2026年度" in sentence and "「信息化建设」" in sentence and "450万元" in sentence
    counted, exempt = explained.tables
    assert [row[0] for row in counted.rows] == [
        Link("办公设备采购", "item", 1, "/workbench/items/1"),
        Link("办公设备采购合同", "item", 2, "/w/2"),
        Link("事项 #3", "item", 3),
    ]
    assert counted.rows[0][1:] == ("150万元", "竞争性磋商")
    assert exempt.rows[0][2] == "项目预算经调整"
    english = REGISTRY["procurement_splitting"].explain(signal.evidence, Words("en", NAMES))
    assert english.tables[0].rows[0][1:] == ("¥1,500,000.00", "competitive consultation")


def test_a_control_hit_names_the_steps_nodes_and_posts_never_the_username() -> None:
    rule = REGISTRY["incompatible_posts"]
    (dynamic,) = run("incompatible_posts", CASES["incompatible_posts"][0][0])
    text = rule.explain(dynamic.evidence, Words("zh", NAMES)).text()
    assert "「提出需求」与「审批」" in text and "王芳（区财政局·经办人）" in text
    assert "2026年11月25日 12:00" in text  # local time, not UTC
    (static,) = run("incompatible_posts", CASES["incompatible_posts"][1][0])
    text = rule.explain(static.evidence, Words("zh", NAMES)).text()
    assert "「出纳」与「会计」" in text and "wang" not in text
    assert rule.subject_text(static.subject, static.evidence, Words("zh")) == "出纳与会计分离"


def test_money_reads_in_yuan_and_wan_yuan_without_rounding_towards_a_threshold() -> None:
    zh, en = Words("zh"), Words("en")
    amounts = ("4000000", "3999999.5", "985000", "985000.50", "9800", "120000")
    assert [zh.money(v) for v in amounts] == [
        "400万元", "3,999,999.50元", "98.5万元", "985,000.50元", "9,800元", "12万元"]  # fmt: skip
    assert en.money("3999999.5") == "¥3,999,999.50"
    assert zh.moment(datetime(2026, 11, 3, 2, 20, tzinfo=UTC).isoformat()) == "2026年11月3日 10:20"
    assert zh.due("2026-11-03T16:00:00+00:00") == "2026年11月3日 24:00"


def test_evidence_no_rule_explains_still_reads_in_words() -> None:
    old = {"control_hit": 3, "at": "2026-11-03T02:20:00+00:00",
           "items": [{"item": 4, "amount": "100"}], "flag": True}  # fmt: skip
    generic = Words("zh").generic(old)
    assert problems(generic.text()) == [], generic.text()
    english = Words("en").generic({"some_new_key": "a_code", "amount": "1200"})
    assert problems(english.text()) == [] and "some new key" in english.text()


def test_evidence_of_an_older_shape_is_refused_by_strict_words_for_the_generic_table() -> None:
    with pytest.raises(Missing):
        REGISTRY["item_overdue"].explain({"late_working_days": 6}, Words("zh", strict=True))
    generic = Words("zh").generic({"late_working_days": 6, "limit": "3wd"})
    assert generic.text() == "记录 | 内容\n逾期工作日 | 6\n时限 | 3wd"
    assert REGISTRY["item_overdue"].subject_text("测试预警", {}, Words("zh")) == "测试预警"
    assert REGISTRY["item_overdue"].subject_text("procurement:a~b", {}, Words("zh")) == ""
