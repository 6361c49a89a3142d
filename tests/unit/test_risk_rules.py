"""Every rule's pure ``evaluate``: a hit, a miss and the boundary between them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from riskctl.core.calendar import WorkingCalendar
from riskctl.risk.facts import HandlingFact, HitFact, ItemFact, StepFact, TaskFact, typed_fields
from riskctl.risk.rules import REGISTRY, Context, Rule, Signal
from riskctl.risk.rules.controls import LinkedItems
from riskctl.risk.rules.platform import UnitActivity

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()
AT = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Wednesday
TODAY = date(2026, 11, 25)


def ctx(rule: Rule, **params: Any) -> Context:
    values = {**rule.defaults(), **params}
    return Context(AT, CAL, lambda _u, _d: values, editors=lambda _d, f: (f"writes_{f}",))


def run(code: str, facts: Any, **params: Any) -> list[Signal]:
    rule = REGISTRY[code]
    return list(rule.evaluate(facts, ctx(rule, **params)))


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=SHANGHAI).astimezone(UTC)


def working_days_ago(n: int) -> date:
    """The day with exactly ``n`` working days in (day, TODAY]."""
    day = TODAY
    while CAL.working_days_between(day, TODAY) < n:
        day -= timedelta(days=1)
    while CAL.working_days_between(day - timedelta(days=1), TODAY) == n:
        day -= timedelta(days=1)
    return day


def item(
    id: int = 1, category: str = "procurement", status: str = "running",
    started: date = date(2026, 6, 1), **fields: Any,
) -> ItemFact:  # fmt: skip
    # As the scan reads them: the form data typed (riskctl.workflow.rule_fields).
    typed = typed_fields(fields)
    return ItemFact(id, 7, 3, category, category, status, noon(started), 9, typed, started)


def step(id: int, item_id: int, node: str, person: int, decision: str | None = None) -> StepFact:
    return StepFact(id, item_id, node, "complete", person, None, decision, id, noon(TODAY))


# ---------------------------------------------------------------- incompatible posts


def _hit(kind: str, outcome: str = "flagged") -> HitFact:
    return HitFact(1, kind, "procurement:a~b", "需求与审批", outcome, 7, 5, 11, 3, "review", {}, AT)


@pytest.mark.parametrize(
    ("kind", "severity"), [("dynamic", 70), ("static", 60), ("conflict_of_interest", 80)]
)
def test_incompatible_posts_scores_a_flagged_hit_by_kind(kind: str, severity: int) -> None:
    (signal,) = run("incompatible_posts", [_hit(kind)])
    assert (signal.severity, signal.item_id, signal.node, signal.person_id) == (
        severity, 11, "review", 5,
    )  # fmt: skip
    assert signal.evidence["control_hit"] == 1 and signal.evidence["mitigated"] is False


def test_incompatible_posts_mitigated_hit_stays_visible_and_scores_nothing() -> None:
    (signal,) = run("incompatible_posts", [_hit("dynamic", "mitigated")])
    assert signal.severity == 0 and signal.evidence["mitigated"] is True


def test_cross_item_requirement_writer_accepting_the_linked_contract() -> None:
    procurement = item(1)
    contract = item(2, "contract", procurement_ref="1")
    steps = {1: [step(10, 1, "request", 5)], 2: [step(20, 2, "perform", 5)]}
    (signal,) = run("cross_item_incompatible", LinkedItems({1: procurement}, [contract], steps))
    assert (signal.item_id, signal.person_id, signal.node) == (2, 5, "perform")
    assert signal.evidence["requirement_step"] == 10 and signal.subject == "item:1"
    # miss: someone else accepted
    steps[2] = [step(20, 2, "perform", 6)]
    assert run("cross_item_incompatible", LinkedItems({1: procurement}, [contract], steps)) == []
    # boundary: same person, but on a node that is not an acceptance
    steps[2] = [step(20, 2, "pay", 5)]
    assert run("cross_item_incompatible", LinkedItems({1: procurement}, [contract], steps)) == []
    steps[2] = [step(20, 2, "pay", 5)]
    assert run("cross_item_incompatible", LinkedItems({1: procurement}, [contract], steps),
               acceptance_nodes=["pay"]) != []  # fmt: skip


# ---------------------------------------------------------------- lateness


def _task(due: datetime) -> TaskFact:
    return TaskFact(1, 11, 7, 3, "review", "section_chief", due, None)


def test_step_overdue_grows_by_working_day_late() -> None:
    yesterday = CAL.end_of_day(working_days_ago(1))
    (first,) = run("step_overdue", [_task(yesterday)])
    assert first.severity == 20 and first.evidence["working_days_late"] == 1
    (third,) = run("step_overdue", [_task(CAL.end_of_day(working_days_ago(3)))])
    assert third.severity == 40
    assert first.post == "section_chief" and first.node == "review"


def test_step_overdue_boundary_is_the_due_time() -> None:
    assert run("step_overdue", [_task(AT)]) == []
    (signal,) = run("step_overdue", [_task(AT - timedelta(seconds=1))])
    assert signal.severity == 20


def test_item_overdue_counts_working_days_against_the_category_limit() -> None:
    on_time = item(category="finance", started=working_days_ago(20))
    late = item(category="finance", started=working_days_ago(21))
    assert run("item_overdue", [on_time]) == []
    (signal,) = run("item_overdue", [late])
    assert signal.severity == 20 and signal.evidence["limit_working_days"] == 20
    assert signal.person_id == 9  # the person who started it
    (later,) = run("item_overdue", [item(category="finance", started=working_days_ago(25))])
    assert later.severity == 20 + 4 * 5


def test_irregular_handling_returns_over_the_limit() -> None:
    fact = HandlingFact(11, 7, 3, returns=3, after_end=0, untasked=0, backdated=0)
    (signal,) = run("irregular_handling", [fact])
    assert signal.subject == "returns" and signal.severity == 30
    at_limit = HandlingFact(11, 7, 3, returns=2, after_end=0, untasked=0, backdated=0)
    assert run("irregular_handling", [at_limit]) == []


def test_irregular_handling_after_end_skipped_and_backdated() -> None:
    fact = HandlingFact(11, 7, 3, returns=0, after_end=1, untasked=2, backdated=1)
    found = {s.subject: s.severity for s in run("irregular_handling", [fact])}
    assert found == {"after_end": 60, "untasked": 60, "backdated": 70}
    assert run("irregular_handling", [HandlingFact(11, 7, 3, 0, 0, 0, 0)]) == []


# ---------------------------------------------------------------- procurement


@pytest.mark.parametrize(
    ("amount", "hit"),
    [("950000", True), ("999999.99", True), ("949999.99", False), ("1000000", False)],
)
def test_just_under_threshold_band(amount: str, hit: bool) -> None:
    signals = run("procurement_just_under_threshold", [item(amount=amount)])
    assert bool(signals) is hit
    if hit:
        assert signals[0].subject == "1000000" and signals[0].attribute_to == ("writes_amount",)


def _purchase(
    id: int, amount: str, method: str = "询价", started: date = date(2026, 3, 1)
) -> ItemFact:
    return item(id, started=started, amount=amount, method=method, budget_project="办公设备",
                item_category="货物")  # fmt: skip


def test_splitting_hits_the_purchase_that_crosses_the_open_tender_threshold() -> None:
    facts = [_purchase(1, "2500000"), _purchase(2, "1500000.01"), _purchase(3, "10")]
    (signal,) = run("procurement_splitting", facts)
    assert signal.item_id == 2 and signal.subject == "2026/办公设备/货物"
    assert signal.evidence["total"] == "4000010.01" and len(signal.evidence["items"]) == 3


def test_splitting_boundary_and_misses() -> None:
    assert run("procurement_splitting", [_purchase(1, "2500000"), _purchase(2, "1500000")]) == []
    open_tender = [_purchase(1, "2500000"), _purchase(2, "2500000", method="公开招标")]
    assert run("procurement_splitting", open_tender) == []
    other_year = [_purchase(1, "2500000"), _purchase(2, "2500000", started=date(2025, 3, 1))]
    assert run("procurement_splitting", other_year) == []
    assert run("procurement_splitting", [_purchase(1, "5000000")]) == []  # one purchase


@pytest.mark.parametrize(
    ("method", "bidders", "hit"),
    [("公开招标", 1, True), ("公开招标", 2, True), ("公开招标", 3, False), ("单一来源", 1, False)],
)
def test_single_bidder(method: str, bidders: int, hit: bool) -> None:
    assert bool(run("procurement_single_bidder", [item(method=method, bidders=bidders)])) is hit


@pytest.mark.parametrize(("end", "hit"), [("2026-11-20", True), ("2026-11-21", False)])
def test_short_tender_period_open_tender_20_days(end: str, hit: bool) -> None:
    facts = [item(method="公开招标", tender_start="2026-11-01", tender_end=end)]
    signals = run("procurement_short_tender_period", facts)
    assert bool(signals) is hit
    if hit:
        assert signals[0].severity == 60 and signals[0].evidence["days"] == 19


@pytest.mark.parametrize(("signed", "hit"), [("2026-12-02", False), ("2026-12-03", True)])
def test_late_contract_30_days_after_award(signed: str, hit: bool) -> None:
    # Awarded Monday 2 November: the thirtieth day, Wednesday 2 December, is a working day.
    signals = run("procurement_late_contract", [item(awarded_on="2026-11-02", signed_on=signed)])
    assert bool(signals) is hit
    if hit:
        assert signals[0].severity == 40 and signals[0].evidence["days_late"] == 1


def test_late_contract_unsigned_counts_to_today_while_running() -> None:
    awarded = (TODAY - timedelta(days=31)).isoformat()  # its 30th day, 24 Nov, a Tuesday
    assert run("procurement_late_contract", [item(awarded_on=awarded)]) != []
    assert run("procurement_late_contract", [item(awarded_on=awarded, status="completed")]) == []
    on_time = (TODAY - timedelta(days=30)).isoformat()
    assert run("procurement_late_contract", [item(awarded_on=on_time)]) == []


def _award(id: int, supplier: str, amount: str) -> ItemFact:
    return item(id, supplier=supplier, contract_amount=amount,
                awarded_on=(TODAY - timedelta(days=10)).isoformat())  # fmt: skip


def test_supplier_concentration_over_the_share() -> None:
    facts = [
        _award(1, "甲", "40"),
        _award(2, "甲", "20"),
        _award(3, "乙", "20"),
        _award(4, "丙", "20"),
    ]
    (signal,) = run("procurement_supplier_concentration", facts)
    assert signal.subject == "supplier:甲" and signal.evidence["share"] == 0.6
    assert signal.severity == 50 + 10


def test_supplier_concentration_boundary_and_too_few_awards() -> None:
    at_limit = [
        _award(1, "甲", "50"),
        _award(2, "乙", "20"),
        _award(3, "丙", "20"),
        _award(4, "丁", "10"),
    ]
    assert run("procurement_supplier_concentration", at_limit) == []
    few = [_award(1, "甲", "90"), _award(2, "乙", "5"), _award(3, "丙", "5")]
    assert run("procurement_supplier_concentration", few) == []
    old = [_award(i, "甲", "10") for i in range(4)]
    assert run("procurement_supplier_concentration", old, window_days=5) == []


# ---------------------------------------------------------------- construction, assets, finance


@pytest.mark.parametrize(("change", "hit"), [("100000", False), ("100000.01", True)])
def test_change_orders_above_ten_percent(change: str, hit: bool) -> None:
    facts = [item(category="construction", contract_amount="1000000", change_amount=change)]
    assert bool(run("construction_change_order_excess", facts)) is hit


def _expense(id: int, amount: str) -> ItemFact:
    return item(id, category="finance", budget_line="办公经费", amount=amount)


def test_payment_over_budget_line() -> None:
    budgets = {"办公经费": "100000"}
    at_budget = [_expense(1, "60000"), _expense(2, "40000")]
    assert run("finance_payment_over_budget", at_budget, budgets=budgets) == []
    (signal,) = run(
        "finance_payment_over_budget", [*at_budget, _expense(3, "0.01")], budgets=budgets
    )
    assert signal.item_id == 3 and signal.evidence["cumulative"] == "100000.01"
    assert run("finance_payment_over_budget", [_expense(1, "9999999")]) == []  # no budget set


def test_platform_unused_after_n_working_days() -> None:
    idle = noon(working_days_ago(10))
    assert run("platform_unused", UnitActivity({7: idle}, {7: idle})) == []
    (signal,) = run("platform_unused", UnitActivity({7: noon(working_days_ago(11))}, {}))
    assert signal.severity == 30 and signal.item_id is None and signal.unit_id == 7
    never = UnitActivity({7: None}, {7: noon(working_days_ago(12))})
    assert run("platform_unused", never)[0].evidence["last_activity"] is None


def test_every_rule_has_descriptions_in_both_languages_and_checked_defaults() -> None:
    assert len(REGISTRY) >= 18
    for rule in REGISTRY.values():
        assert rule.name and rule.name_en and rule.description and rule.description_en
        for name, param in rule.params.items():
            assert param.check(param.default) is None, (rule.code, name)
        # Either its own collect, or the default one: the items of its single category.
        assert type(rule).collect is not Rule.collect or len(rule.reads) == 1, rule.code


# ---------------------------------------------------------------- what brings a closed one back


def test_material_changes_are_more_new_or_changed():
    from riskctl.risk.rules.base import Material

    more = Material("amount", "more", "金额", "amount")
    assert more.change({"amount": "3900000.00"}, {"amount": "3900000"}) is None
    assert more.change({"amount": "3900000.00"}, {"amount": "3850000.00"}) is None
    assert more.change({"amount": "3900000.00"}, {"amount": "3960000.00"})["after"] == "3960000.00"
    new = Material("items", "new", "事项", "items")
    old = {"items": [{"item": 1, "amount": "1"}, {"item": 2, "amount": "2"}]}
    assert new.change(old, {"items": [{"amount": "2", "item": 2}]}) is None
    assert new.change(old, {"items": [*old["items"], {"item": 3, "amount": "3"}]}) is not None
    assert Material("task", "new", "任务", "task").change({"task": 7}, {"task": 9}) is not None
    changed = Material("method", "changed", "方式", "method")
    assert changed.change({"method": "询价"}, {"method": "询价"}) is None
    assert changed.change({"method": "询价"}, {"method": "竞争性谈判"})["before"] == "询价"


def test_every_rule_names_what_brings_a_closed_situation_back_in_both_languages():
    for rule in REGISTRY.values():
        for material in rule.material:
            assert material.label and material.label_en, rule.code
        assert rule.recurrence({}, {}) is None, rule.code  # nothing found, nothing changed


def test_a_threshold_names_its_event_the_same_however_the_policy_writes_it():
    found = item(amount="3900000.00")
    rule = REGISTRY["procurement_just_under_threshold"]
    subjects = {
        s.subject
        for thresholds in (["4000000"], ["4000000.00"], [4000000], ["4E+6"])
        for s in rule.evaluate([found], ctx(rule, thresholds=thresholds))
    }
    assert subjects == {"4000000"}


def test_hostile_stored_values_are_no_money_and_no_reference():
    from riskctl.risk.rules.base import money
    from riskctl.risk.rules.controls import _refs

    assert money("1E+999999999") is None and money("9" * 100_000) is None
    assert money("NaN") is None and money(1.5) is None and money("-3") is None
    assert money("3900000") == money("3900000.00")
    found = item(ref_a="²", ref_b="9" * 20, ref_c="17", ref_d=True)
    assert _refs(found, ["ref_a", "ref_b", "ref_c", "ref_d", "missing"]) == {17}


def test_every_rule_names_its_basis_a_law_and_article_or_the_units_own_rule():
    from riskctl.risk.rules.base import UNIT_RULE

    for rule in REGISTRY.values():
        assert rule.basis, rule.code
        assert rule.basis == UNIT_RULE or "《" in rule.basis, rule.code
    assert REGISTRY["procurement_splitting"].basis.startswith("《政府采购法》第二十八条")
    assert "第二十八条" in REGISTRY["procurement_splitting"].basis.split("；")[1]


def test_every_field_a_rule_declares_is_kept_typed() -> None:
    from riskctl.risk.rules import REGISTRY
    from riskctl.workflow.rule_fields import FIELDS

    assert {(r.code, f) for r in REGISTRY.values() for f in r.fields if f not in FIELDS} == set()
