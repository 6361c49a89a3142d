"""The procurement rules as the law says them, with the law's own numbers."""

from __future__ import annotations

from datetime import date

import pytest

from riskctl.risk.facts import ItemFact
from riskctl.risk.rules import REGISTRY
from riskctl.risk.rules.procurement import last_day
from tests.unit.test_risk_rules import CAL, item, run

# ---------------------------------------------------------------- thresholds by category and level


def test_central_units_judge_goods_against_200_wan_and_works_against_400_wan() -> None:
    rule = REGISTRY["procurement_just_under_threshold"]
    central = rule.defaults("central")
    goods = item(amount="1950000", item_category="货物")
    works = item(2, amount="1950000", item_category="工程")
    signals = run("procurement_just_under_threshold", [goods, works], **central)
    assert [(s.item_id, s.subject, s.evidence["threshold_kind"]) for s in signals] == [
        (1, "2000000", "open_tender")
    ]
    # 工程 under 120万 (the central decentralised limit for works), not goods' 100万.
    near = run("procurement_just_under_threshold", [item(amount="1150000", item_category="工程")],
               **central)  # fmt: skip
    assert [s.subject for s in near] == ["1200000"]


def test_local_units_keep_the_provinces_figures_a_policy_entry_gives() -> None:
    local = REGISTRY["procurement_just_under_threshold"].defaults("county")
    assert local["open_tender"]["货物"] == "4000000"
    assert run("procurement_just_under_threshold", [item(amount="1950000", item_category="货物")],
               **local) == []  # fmt: skip
    province = {**local["open_tender"], "货物": "2000000"}
    hit = run("procurement_just_under_threshold", [item(amount="1950000", item_category="货物")],
              **{**local, "open_tender": province})  # fmt: skip
    assert [s.subject for s in hit] == ["2000000"]


# ---------------------------------------------------------------- 化整为零 (实施条例 第二十八条)


def _buy(id: int, amount: str, kind: str = "货物", method: str = "询价", **fields) -> ItemFact:
    return item(id, started=date(2026, 3, id), amount=amount, method=method,
                budget_project="信息化建设", item_category=kind, **fields)  # fmt: skip


def test_works_purchases_never_count_as_splitting() -> None:
    works = [_buy(1, "2500000", "工程"), _buy(2, "2500000", "工程")]
    assert run("procurement_splitting", works) == []


def test_services_split_in_one_year_and_one_project_are_splitting() -> None:
    (signal,) = run(
        "procurement_splitting", [_buy(1, "2500000", "服务"), _buy(2, "1600000", "服务")]
    )
    assert signal.item_id == 2 and signal.evidence["total"] == "4100000.00"
    assert signal.evidence["threshold"] == "4000000"


def test_splitting_groups_by_catalogue_item_where_the_purchase_names_one() -> None:
    other_items = [_buy(1, "2500000", catalogue_code="A02010104"),
                   _buy(2, "2500000", catalogue_code="A02021001")]  # fmt: skip
    assert run("procurement_splitting", other_items) == []
    same_item = [_buy(1, "2500000", catalogue_code="A02010104"),
                 _buy(2, "2500000", catalogue_code="A02010104")]  # fmt: skip
    (signal,) = run("procurement_splitting", same_item)
    assert signal.subject == "2026/信息化建设/A02010104"
    assert signal.evidence["catalogue_code"] == "A02010104"


@pytest.mark.parametrize("exemption", ["budget_adjusted", "non_open_approved"])
def test_an_adjusted_budget_or_an_approved_non_open_method_is_exempt(exemption: str) -> None:
    facts = [_buy(1, "2500000"), _buy(2, "2500000", **{exemption: True})]
    assert run("procurement_splitting", facts) == []
    (signal,) = run("procurement_splitting", [*facts, _buy(3, "2000000")])
    assert signal.item_id == 3 and signal.evidence["exempt"][0]["reason"] == exemption
    assert signal.evidence["total"] == "4500000.00"


# ---------------------------------------------------------------- fewer than three suppliers


@pytest.mark.parametrize(
    ("method", "bidders", "fields", "hit"),
    [
        ("公开招标", 2, {}, True),  # 政府采购法 第三十六条
        ("邀请招标", 2, {}, True),
        ("竞争性谈判", 2, {}, True),  # 第三十八条
        ("询价", 2, {}, True),  # 第四十条
        ("询价", 3, {}, False),
        ("竞争性磋商", 2, {}, True),
        ("竞争性磋商", 2, {"two_suppliers_allowed": True}, False),  # 财库〔2015〕124号
        ("竞争性磋商", 1, {"two_suppliers_allowed": True}, True),
        ("单一来源", 1, {}, False),
    ],
)
def test_three_suppliers_by_method(method: str, bidders: int, fields: dict, hit: bool) -> None:
    found = run("procurement_single_bidder", [item(method=method, bidders=bidders, **fields)])
    assert bool(found) is hit


def test_a_works_tender_with_two_bidders_must_be_retendered() -> None:
    # 招标投标法 第二十八条: 投标人少于三个的，招标人应当依照本法重新招标.
    (signal,) = run("procurement_single_bidder", [item(category="construction", bidders=2)])
    assert signal.evidence == {"method": "工程招标", "bidders": 2, "min_bidders": 3}
    assert run("procurement_single_bidder", [item(category="construction", bidders=3)]) == []


# ---------------------------------------------------------------- minimum periods


def _period(method: str, start: str, end: str) -> list:
    return run("procurement_short_tender_period",
               [item(method=method, tender_start=start, tender_end=end)])  # fmt: skip


def test_an_invitation_tender_with_15_days_warns() -> None:
    (signal,) = _period("邀请招标", "2026-11-02", "2026-11-17")
    assert signal.evidence["days"] == 15 and signal.evidence["min_days"] == 20


def test_a_consultation_needs_ten_calendar_days() -> None:
    assert _period("竞争性磋商", "2026-11-02", "2026-11-12") == []
    assert _period("竞争性磋商", "2026-11-02", "2026-11-11") != []


def test_negotiation_and_inquiry_need_three_working_days() -> None:
    # Issued Thursday 26 November 2026: Friday, Monday, Tuesday are the three working days.
    assert _period("询价", "2026-11-26", "2026-12-01") == []
    (short,) = _period("竞争性谈判", "2026-11-26", "2026-11-30")  # five calendar days
    assert short.evidence["days"] == 2 and short.evidence["unit"] == "working_days"


# ---------------------------------------------------------------- contract within 30 days


def test_a_last_day_on_a_holiday_moves_to_the_next_working_day() -> None:
    # Awarded 2026-09-07: the thirtieth day is 7 October, inside the National Day holiday
    # (1–7 October 2026 by the State Council's notice; 8 October is a working day).
    assert last_day(CAL, date(2026, 9, 7), 30) == date(2026, 10, 8)
    signed_on_day_31 = item(awarded_on="2026-09-07", signed_on="2026-10-08")
    assert run("procurement_late_contract", [signed_on_day_31]) == []
    (late,) = run(
        "procurement_late_contract", [item(awarded_on="2026-09-07", signed_on="2026-10-09")]
    )
    assert late.evidence["deadline"] == "2026-10-08" and late.evidence["days_late"] == 1


# ---------------------------------------------------------------- after signing


def test_contract_publication_within_two_working_days() -> None:
    # Signed Friday 20 November 2026: Monday and Tuesday are the two working days.
    on_time = item(signed_on="2026-11-20", published_on="2026-11-24")
    assert run("procurement_late_contract_publication", [on_time]) == []
    (late,) = run("procurement_late_contract_publication",
                  [item(signed_on="2026-11-20", published_on="2026-11-25")])  # fmt: skip
    assert late.evidence["working_days_late"] == 1 and late.evidence["deadline"] == "2026-11-24"
    # Not yet published while the item runs: late counted to today (Wednesday 25th).
    assert run("procurement_late_contract_publication", [item(signed_on="2026-11-20")]) != []


def test_contract_filing_within_seven_working_days() -> None:
    on_time = item(signed_on="2026-11-16", filed_on="2026-11-25")
    assert run("procurement_late_contract_filing", [on_time]) == []
    assert run("procurement_late_contract_filing",
               [item(signed_on="2026-11-13", filed_on="2026-11-25")]) != []  # fmt: skip


# ---------------------------------------------------------------- SME payment


def test_an_sme_is_paid_within_30_days_of_delivery() -> None:
    delivered = {"sme": True, "delivered_on": "2026-09-01"}  # the 30th day: 1 October, holiday
    assert run("procurement_late_sme_payment", [item(**delivered, paid_on="2026-10-08")]) == []
    (late,) = run("procurement_late_sme_payment", [item(**delivered, paid_on="2026-10-09")])
    assert late.evidence["from"] == "delivered_on" and late.evidence["term_days"] == 30
    not_sme = {**delivered, "sme": False, "paid_on": "2026-11-20"}
    assert run("procurement_late_sme_payment", [item(**not_sme)]) == []


def test_an_sme_contract_term_is_capped_at_60_days_and_may_run_from_acceptance() -> None:
    agreed = {"sme": True, "delivered_on": "2026-06-01", "payment_days": 90}
    (late,) = run("procurement_late_sme_payment", [item(**agreed, paid_on="2026-08-10")])
    assert late.evidence["term_days"] == 60  # 90 agreed, but at most 60
    on_acceptance = {"sme": True, "delivered_on": "2026-06-01", "accepted_on": "2026-07-01",
                     "payment_on_acceptance": True, "paid_on": "2026-07-31"}  # fmt: skip
    assert run("procurement_late_sme_payment", [item(**on_acceptance)]) == []


# ---------------------------------------------------------------- supplementary contracts


@pytest.mark.parametrize("category", ["procurement", "contract"])
def test_supplementary_contracts_together_at_most_ten_percent(category: str) -> None:
    at_limit = item(category=category, contract_amount="1000000", supplement_amount="100000")
    assert run("procurement_supplement_excess", [at_limit]) == []
    over = item(category=category, contract_amount="1000000", supplement_amount="100001")
    (signal,) = run("procurement_supplement_excess", [over])
    assert signal.evidence["max_share"] == 0.1


def test_a_process_with_no_step_recording_the_date_is_not_late_for_lacking_it() -> None:
    from riskctl.risk.rules.base import Context
    from tests.unit.test_risk_rules import AT

    rule = REGISTRY["procurement_late_contract_publication"]
    values = rule.defaults()
    older = Context(AT, CAL, lambda _u, _d: values, editors=lambda _d, _f: ())
    assert list(rule.evaluate([item(signed_on="2026-11-02")], older)) == []
