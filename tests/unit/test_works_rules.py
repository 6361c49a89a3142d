"""Construction and asset rules, with the numbers of their sources (docs/legal_basis.md §10–12).

Today is Wednesday 25 November 2026 (test_risk_rules.TODAY).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from riskctl.risk.facts import ItemFact
from riskctl.risk.rules import REGISTRY
from riskctl.risk.rules.works import ItemsWithSteps, add_months
from tests.unit.test_risk_rules import item, run, step

PAYMENT = "construction_payment_before_acceptance"
FINAL = "construction_late_final_accounts"
BELOW = "assets_disposal_below_appraisal"
COLLECTIVE = "assets_disposal_without_collective_decision"


def works(**fields: Any) -> ItemFact:
    return item(category="construction", contract_amount="1000000", **fields)


# ------------------------------- payments before acceptance (财建〔2022〕183号 第一项)


def test_progress_payments_within_the_work_done_do_not_warn() -> None:
    # 85 % of the work done paid before acceptance: 183号 asks for at least 80 %.
    paid = works(completed_value="600000", paid_amount="510000")
    assert run(PAYMENT, ItemsWithSteps([paid], {})) == []


@pytest.mark.parametrize(("paid", "hit"), [("600000", False), ("600000.01", True)])
def test_progress_payments_above_the_work_done_warn(paid: str, hit: bool) -> None:
    signals = run(PAYMENT, ItemsWithSteps([works(completed_value="600000", paid_amount=paid)], {}))
    assert bool(signals) is hit
    if hit:
        (signal,) = signals
        assert signal.evidence["findings"] == ["progress_over_completed_value"]
        assert signal.evidence["cap"] == "600000.00" and signal.node is None
        assert signal.attribute_to == ("writes_paid_amount",)


def test_the_work_done_is_the_measure_even_above_the_contract_price() -> None:
    # Price adjustments not booked as change orders: 98 % of the contract price, but
    # within the work done, is a lawful progress payment.
    paid = works(completed_value="1050000", paid_amount="980000")
    assert run(PAYMENT, ItemsWithSteps([paid], {})) == []


@pytest.mark.parametrize(
    ("paid", "hit"), [("970000", False), ("970000.01", True), ("990000", True)]
)
def test_without_the_work_done_progress_payments_keep_the_three_percent_retention(
    paid: str, hit: bool
) -> None:
    signals = run(PAYMENT, ItemsWithSteps([works(paid_amount=paid)], {}))
    assert bool(signals) is hit
    if hit:
        assert signals[0].evidence["findings"] == ["progress_over_price"]
        assert signals[0].evidence["cap"] == "970000.00"


def test_the_old_eighty_percent_cap_no_longer_warns() -> None:
    assert run(PAYMENT, ItemsWithSteps([works(paid_amount="850000")], {})) == []


def test_change_orders_raise_the_price_that_may_be_paid() -> None:
    # 1,000,000 + 100,000 of change orders: 97 % is 1,067,000.
    paid = works(change_amount="100000", paid_amount="1050000")
    assert run(PAYMENT, ItemsWithSteps([paid], {})) == []
    more = works(change_amount="100000", paid_amount="1067000.01")
    assert run(PAYMENT, ItemsWithSteps([more], {}))[0].evidence["cap"] == "1067000.00"


def test_after_acceptance_the_whole_price_may_be_paid() -> None:
    accepted = {1: [step(1, 1, "acceptance", 6), step(2, 1, "pay_review", 7, "approve")]}
    assert run(PAYMENT, ItemsWithSteps([works(paid_amount="1000000")], accepted)) == []


def test_a_settlement_paid_before_acceptance_warns_and_names_the_payer() -> None:
    paid_first = {1: [step(1, 1, "payment", 5), step(2, 1, "acceptance", 6)]}
    (signal,) = run(PAYMENT, ItemsWithSteps([works()], paid_first))
    assert (signal.node, signal.person_id) == ("payment", 5)
    assert signal.evidence["findings"] == ["settlement_before_acceptance"]


def test_a_settlement_paid_before_its_review_warns() -> None:
    unreviewed = {1: [step(1, 1, "acceptance", 6), step(2, 1, "payment", 5)]}
    (signal,) = run(PAYMENT, ItemsWithSteps([works(paid_amount="1000000")], unreviewed))
    assert signal.evidence["findings"] == ["settlement_before_review"]
    assert (signal.node, signal.person_id) == ("payment", 5)
    reviewed_later = {1: [*unreviewed[1], step(3, 1, "pay_review", 7, "approve")]}
    assert run(PAYMENT, ItemsWithSteps([works()], reviewed_later))[0].evidence[
        "settlement_reviewed"
    ]
    sent_back = {1: [step(1, 1, "acceptance", 6), step(2, 1, "pay_review", 7, "return"),
                     step(3, 1, "payment", 5)]}  # fmt: skip
    assert run(PAYMENT, ItemsWithSteps([works()], sent_back)) != []


def test_a_settlement_paid_after_acceptance_and_review_does_not_warn() -> None:
    in_order = {1: [step(1, 1, "acceptance", 6), step(2, 1, "pay_review", 7, "approve"),
                    step(3, 1, "payment", 5)]}  # fmt: skip
    assert run(PAYMENT, ItemsWithSteps([works(paid_amount="1000000")], in_order)) == []
    # A unit whose process has no settlement review switches that check off.
    unreviewed = {1: [step(1, 1, "acceptance", 6), step(2, 1, "payment", 5)]}
    facts = ItemsWithSteps([works()], unreviewed)
    assert run(PAYMENT, facts, settlement_review_nodes=[]) == []


def test_payment_rule_keeps_its_code_and_names_its_sources() -> None:
    rule = REGISTRY[PAYMENT]
    assert "待修订" not in rule.basis
    assert "财建〔2022〕183号）第一项" in rule.basis and "建质〔2017〕138号）第七条" in rule.basis
    assert {m.key for m in rule.material} == {"payment_step", "paid_amount"}
    assert rule.defaults()["max_share_before_acceptance"] == 0.97


# ------------------------------- final accounts (财建〔2016〕503号 第二条; 条例 第三十一条)


def test_add_months_keeps_the_day_or_the_month_end() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 8, 25), 3) == date(2026, 11, 25)


@pytest.mark.parametrize(("completed", "hit"), [("2026-08-25", False), ("2026-08-24", True)])
def test_final_accounts_within_three_months_of_completion(completed: str, hit: bool) -> None:
    signals = run(FINAL, [item(category="construction", completed_on=completed)])
    assert bool(signals) is hit
    if hit:  # three months and a day
        assert signals[0].evidence["days_late"] == 1 and signals[0].severity == 40
    done = item(category="construction", completed_on="2026-01-01", final_on="2026-03-31")
    assert run(FINAL, [done]) == []


def _late(completed: str, size: str | None = "中小型", extension: int | None = 2) -> list[Any]:
    fields: dict[str, Any] = {"completed_on": completed}
    if size is not None:
        fields["project_size"] = size
    if extension is not None:
        fields["final_extension_months"] = extension
    return run(FINAL, [item(category="construction", **fields)])


def test_an_approved_extension_of_two_months_for_a_medium_project() -> None:
    assert _late("2026-07-25") == []  # four months after completion
    assert _late("2026-06-25") == []  # five months to the day
    (signal,) = _late("2026-06-24")  # five months and a day
    assert signal.evidence["deadline"] == "2026-11-24"
    assert signal.evidence["extension_allowed"] == 2 and signal.evidence["days_late"] == 1


def test_an_extension_counts_only_up_to_the_cap_for_the_projects_size() -> None:
    # Asked for six months: a medium project gets two, a large one six.
    assert _late("2026-06-24", extension=6) != []
    assert _late("2026-06-24", size="大型", extension=6) == []
    assert _late("2026-02-25", size="大型", extension=6) == []  # nine months to the day
    assert _late("2026-02-24", size="大型", extension=6) != []
    # The size not recorded: the shortest extension, said in the evidence.
    (signal,) = _late("2026-06-24", size=None, extension=6)
    assert signal.evidence["extension_allowed"] == 2 and "项目规模未登记" in signal.evidence["note"]


def test_severity_grows_with_lateness_and_the_one_year_cap_holds() -> None:
    (one_day,) = _late("2026-08-24", extension=None)
    (month,) = _late("2026-07-24", extension=None)
    assert one_day.severity == 40 and month.severity == 40 + 31
    # A policy that allows 13 months is still held to the year of 条例 第三十一条.
    long = item(category="construction", completed_on="2025-11-24")
    (signal,) = run(FINAL, [long], max_months=13, per_day_late=0)
    assert signal.evidence["deadline"] == "2026-11-24" and signal.evidence["past_hard_cap"]
    assert signal.severity == 80


def test_a_negative_or_odd_extension_counts_for_nothing() -> None:
    assert _late("2026-08-24", extension=-4) != []
    odd = item(category="construction", completed_on="2026-08-24", final_extension_months="2")
    assert run(FINAL, [odd]) != []


# ----------------------- disposals (条例 第十九条、第三十六条、第五十三条、第五十四条)


@pytest.mark.parametrize(
    ("method", "proceeds", "hit"),
    [("出售", "100000", False), ("出售", "99999.99", True), ("报废", "1", False)],
)
def test_disposal_below_appraisal(method: str, proceeds: str, hit: bool) -> None:
    facts = [
        item(category="assets", disposal_method=method, appraised_value="100000", proceeds=proceeds)
    ]
    assert bool(run(BELOW, facts)) is hit


@pytest.mark.parametrize(
    ("proceeds", "hit"), [("80000", False), ("85000", False), ("79999.99", True)]
)
def test_a_re_approved_floor_for_a_later_round(proceeds: str, hit: bool) -> None:
    sale = item(category="assets", disposal_method="出售", appraised_value="100000",
                approved_floor="80000", proceeds=proceeds)  # fmt: skip
    signals = run(BELOW, [sale])
    assert bool(signals) is hit
    if hit:
        assert signals[0].evidence["floor"] == "80000.00"
        assert signals[0].evidence["percent_below"] == 20.0


def test_disposal_rule_cites_only_the_verified_articles() -> None:
    basis = REGISTRY[BELOW].basis
    assert "第三十六条" in basis and "第五十四条" in basis and "127号" not in basis


def _disposal(**values: str) -> ItemsWithSteps:
    disposal = item(category="assets", disposal_method="出售", **values)
    return ItemsWithSteps([disposal], {1: [step(2, 1, "execute", 5)]})


@pytest.mark.parametrize(
    ("book", "approved", "hit"),
    [("500000", False, True), ("500000", True, False), ("499999.99", False, False)],
)
def test_disposal_without_collective_decision(book: str, approved: bool, hit: bool) -> None:
    disposal = item(category="assets", book_value=book, disposal_method="出售")
    steps = [step(2, 1, "execute", 5)]
    if approved:
        steps.insert(0, step(1, 1, "collective", 4, decision="approve"))
    signals = run(COLLECTIVE, ItemsWithSteps([disposal], {1: steps}))
    assert bool(signals) is hit


def test_collective_decision_is_judged_on_the_original_book_value() -> None:
    # Bought for 1,200,000, depreciated to 90,000: still a disposal for the collective.
    (signal,) = run(COLLECTIVE, _disposal(original_value="1200000", book_value="90000"))
    assert signal.evidence["judged_on"] == "original_value" and "note" not in signal.evidence
    assert (signal.node, signal.person_id) == ("execute", 5)
    assert run(COLLECTIVE, _disposal(original_value="499999.99", book_value="90000")) == []


def test_without_the_original_value_the_book_value_is_used_and_said() -> None:
    (signal,) = run(COLLECTIVE, _disposal(book_value="600000"))
    assert signal.evidence["judged_on"] == "book_value"
    assert "未登记账面原值" in signal.evidence["note"]


class _Data:
    """What ``collect`` asks of ScanData, for two executed disposals."""

    def __init__(self, items: list[ItemFact]) -> None:
        self._items = items

    def values(self, code: str, param: str) -> list[Any]:
        return [REGISTRY[code].params[param].default]

    def completed_at(self, nodes: set[str]) -> set[int]:
        return {i.id for i in self._items} if "execute" in nodes else set()

    def items(self, category: str) -> list[ItemFact]:
        return self._items

    def items_for(self, rule: Any, category: str) -> list[ItemFact]:
        return self._items

    def steps(self, ids: Any) -> dict[int, list[Any]]:
        return {i: [step(i * 10, i, "execute", 5)] for i in ids}


def test_collective_decision_collects_disposals_by_their_original_value() -> None:
    old = item(1, category="assets", original_value="1200000", book_value="90000")
    small = item(2, category="assets", original_value="120000", book_value="90000")
    facts = REGISTRY[COLLECTIVE].collect(_Data([old, small]))  # type: ignore[arg-type]
    assert [i.id for i in facts.items] == [1] and list(facts.steps) == [1]
