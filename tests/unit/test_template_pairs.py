"""The shipped templates' incompatible pairs and the basis each cites (issue 17).

《行政事业单位内部控制规范（试行）》 is cited by its 第十五条 only, the one article checked
against its text (docs/legal_basis.md §1); a pair the standard does not name, and every
contract pair, says it is the unit's own practice.  No database, no app.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from riskctl.process import services
from riskctl.process.definition import Definition, parse
from riskctl.process.upgrade import Changes, adopter_changes
from riskctl.process.validation import validate
from riskctl.risk.rules.base import INTERNAL_CONTROL

STANDARD = "《行政事业单位内部控制规范（试行）》（财会〔2012〕21号）第十五条（不相容岗位相互分离）"
PRACTICE = "单位内部管理规定（良好实践）"
# major_decision.yaml is another issue's (its pairs are still without a basis).
OURS = ("asset_acquisition", "asset_disposal", "budget_adjustment", "budget_preparation",
        "construction", "contract", "expense_reimbursement", "procurement", "revenue")  # fmt: skip


def definition(key: str) -> Definition:
    result = validate(services.template(key).raw)
    assert result.ok, result.problems
    assert result.definition is not None
    return result.definition


def pairs(key: str) -> dict[frozenset[str], Any]:
    return {frozenset(r.nodes): r for r in definition(key).rules}


def test_the_standard_is_cited_as_the_risk_rule_cites_it():
    assert STANDARD == INTERNAL_CONTROL


def test_both_new_templates_ship_beside_the_old():
    keys = {t.key for t in services.templates()}
    assert {"budget_preparation", "budget_adjustment", "revenue"} <= keys
    assert len(keys) == 10


@pytest.mark.parametrize("key", OURS)
def test_every_pair_of_every_template_names_its_basis(key):
    rules = definition(key).rules
    assert rules
    for rule in rules:
        assert rule.basis in (STANDARD, PRACTICE), (rule.code, rule.basis)


@pytest.mark.parametrize("key", OURS)
def test_no_template_cites_an_unverified_article_of_the_standard(key):
    # The business chapters' article numbers could not be checked (legal_basis.md §1).
    text = services.template(key).source
    assert "第四章第" not in text
    assert not re.search(r"规范（试行）》(（财会〔2012〕21号）)?第(?!十五条)", text)
    assert all("第十五条" in r.basis for r in definition(key).rules if r.basis != PRACTICE)


def test_contract_pairs_are_the_units_practice_not_the_standard():
    assert {r.basis for r in definition("contract").rules} == {PRACTICE}


PHASES = {
    "budget_preparation": {
        "编制": {"prepare"}, "审批": {"review", "approve"}, "执行": {"execute"},
        "评价": {"evaluate"},
    },
    "budget_adjustment": {
        "编制": {"prepare"}, "审批": {"review", "collective", "leader_approve"},
        "执行": {"execute"}, "评价": {"evaluate"},
    },
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(PHASES))
def test_budget_preparation_approval_execution_and_evaluation_are_kept_apart(key):
    found = pairs(key)
    phases = PHASES[key]
    combos = list(itertools.combinations(phases, 2))
    assert len(combos) == 6
    for first, second in combos:
        # Every node of one stage against every node of the other, in block mode.
        for a, b in itertools.product(phases[first], phases[second]):
            rule = found.get(frozenset((a, b)))
            assert rule is not None, f"{key}: {first} {a} ↔ {second} {b}"
            assert rule.mode == "block" and rule.basis == STANDARD
    # …and nothing but those.
    expected = sum(len(phases[a]) * len(phases[b]) for a, b in combos)
    assert len(found) == expected


def test_expenditure_has_the_standards_three_pairs_under_their_own_names():
    found = pairs("expense_reimbursement")
    d = definition("expense_reimbursement")
    assert d.node_map["book"].name == "会计核算" and d.node_map["book"].post == "accountant"
    by_name = {r.name: r.nodes for r in d.rules}
    assert by_name["业务经办与会计核算不相容"] == ("apply", "book")
    assert by_name["支出申请与内部审批不相容"] == ("apply", "chief")
    assert by_name["付款审批与付款执行不相容"] == ("review", "pay")
    for nodes in (
        ("apply", "book"),
        ("apply", "chief"),
        ("apply", "review"),
        ("apply", "leader_approve"),
        ("review", "pay"),
        ("leader_approve", "pay"),
    ):
        assert found[frozenset(nodes)].basis == STANDARD
        assert found[frozenset(nodes)].mode == "block"
    # The review is financial review, not bookkeeping: the old name is gone from it.
    assert "会计核算" not in found[frozenset(("apply", "review"))].name
    assert found[frozenset(("pay", "book"))].basis == PRACTICE


def test_revenue_keeps_collecting_apart_from_bookkeeping():
    d = definition("revenue")
    collect, book = d.node_map["collect"], d.node_map["book"]
    assert (collect.name, collect.post) == ("收款", "cashier")
    assert (book.name, book.post) == ("会计核算", "accountant")
    rule = pairs("revenue")[frozenset(("collect", "book"))]
    assert (rule.mode, rule.basis, rule.name) == ("block", STANDARD, "收款与会计核算不相容")


def test_procurement_requirement_is_kept_apart_from_the_leaders_approval():
    rule = pairs("procurement")[frozenset(("request", "leader_approve"))]
    assert (rule.mode, rule.basis) == ("block", STANDARD)


def test_the_negotiation_branch_prepares_and_reviews_its_documents_first():
    d = definition("procurement")
    route = [e.target for e in d.outgoing["by_method"] if e.when is not None]
    assert "negotiation_docs" in route and "negotiation" not in route
    assert [e.target for e in d.outgoing["negotiation_docs"]] == ["negotiation_review"]
    ways = {e.target: e.when.decisions for e in d.outgoing["negotiation_review"]}  # type: ignore[union-attr]
    assert ways == {"negotiation": {"approve"}, "negotiation_docs": {"return"}}
    assert d.node_map["negotiation_docs"].edits == ("tender_start",)
    rule = pairs("procurement")[frozenset(("negotiation_docs", "negotiation_review"))]
    assert (rule.mode, rule.basis) == ("block", STANDARD)


def test_asset_disposal_approval_is_kept_apart_from_its_execution():
    found = pairs("asset_disposal")
    for approval in ("collective", "leader_approve"):
        rule = found[frozenset((approval, "execute"))]
        assert (rule.mode, rule.basis) == ("block", STANDARD)


def test_the_construction_implementer_neither_pays_nor_records_payments():
    d = definition("construction")
    found = pairs("construction")
    for other in ("payment", "pay_review"):
        rule = found[frozenset(("execution", other))]
        assert (rule.mode, rule.basis) == ("block", STANDARD)
    assert "paid_amount" not in d.node_map["execution"].edits
    assert [n.key for n in d.nodes if "paid_amount" in n.edits] == ["payment"]


# ---------------------------------------------------------------- the format


def _small(**pair: Any) -> dict[str, Any]:
    return {
        "key": "small", "name": "小流程", "category": "other",
        "nodes": [{"key": "s", "kind": "start"},
                  {"key": "a", "name": "申请", "post": "handler"},
                  {"key": "b", "name": "审批", "post": "leader"},
                  {"key": "e", "kind": "end"}],
        "edges": [["s", "a"], ["a", "b"], ["b", "e"]],
        "incompatible": [{"nodes": ["a", "b"], "mode": "block", **pair}],
    }  # fmt: skip


def test_a_pair_may_name_its_basis_and_need_not():
    with_basis, problems = parse(_small(basis=f"  {PRACTICE} "))
    assert problems == [] and with_basis is not None
    assert with_basis.rules[0].basis == PRACTICE
    without, problems = parse(_small())
    assert problems == [] and without is not None and without.rules[0].basis == ""


@pytest.mark.parametrize(
    ("basis", "message"),
    [(15, "must be text"), ("第十五条\n第十六条", "line"), ("条" * 201, "200")],
)
def test_a_basis_that_is_no_single_line_of_text_is_refused_at_its_path(basis, message):
    _, problems = parse(_small(basis=basis))
    assert [p.path for p in problems] == ["incompatible[0].basis"]
    assert message in problems[0].message


def test_an_unknown_key_of_a_pair_is_still_named():
    _, problems = parse(_small(bases="第十五条"))
    assert [p.path for p in problems] == ["incompatible[0].bases"]
    assert "basis" in problems[0].message  # the keys it expected


# ---------------------------------------------------------------- reading an adoption back


def test_an_adopters_changes_are_read_back_from_the_published_body():
    raw = services.template("contract").raw
    body = services.adjusted(
        raw, key="contract_small", posts={"archivist": "section_chief"},
        limits={"sign": "5wd"}, risks={"pay": 5, "process": 2},
    )  # fmt: skip
    assert adopter_changes(raw, body) == Changes(
        "contract_small", {"archivist": "section_chief"}, {"sign": "5wd"},
        {"pay": 5, "process": 2},
    )  # fmt: skip
    assert adopter_changes(raw, raw) == Changes("contract", {}, {}, {})


def test_changes_that_adopting_cannot_make_are_not_guessed():
    raw = services.template("procurement").raw
    body = services.adjusted(raw)
    nodes = {n["key"]: n for n in body["nodes"]}
    nodes["request"]["post"] = "handler"  # one purchaser node moved, the others not
    assert "'purchaser' is mapped to both" in str(adopter_changes(raw, body))
    body = services.adjusted(raw)
    del body["nodes"][1]["limit"]  # adopting changes a limit, never removes it
    assert "no time limit" in str(adopter_changes(raw, body))


# ---------------------------------------------------------------- the warning's basis


def test_a_dynamic_hit_carries_its_pairs_basis_into_the_warnings_evidence():
    from datetime import UTC, datetime

    from riskctl.risk.facts import HitFact
    from riskctl.risk.rules.controls import with_pair_basis
    from tests.unit.test_risk_rules import run

    at = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    dynamic = HitFact(1, "dynamic", "revenue:register~collect", "开票与收款不相容", "flagged",
                      7, 5, 11, 3, "collect", {"rule": "register~collect"}, at)  # fmt: skip
    static = HitFact(2, "static", "posts:accountant~cashier", "出纳与会计", "flagged",
                     7, 5, None, None, None, {}, at)  # fmt: skip
    old = HitFact(3, "dynamic", "revenue:register~collect", "开票与收款不相容", "flagged",
                  7, 5, 12, 2, "collect", {"rule": "register~collect"}, at)  # fmt: skip
    carried = with_pair_basis([dynamic, static, old], {(3, "register~collect"): PRACTICE})
    assert carried[0].evidence == {"rule": "register~collect", "pair_basis": PRACTICE}
    assert carried[1] is static and carried[2] is old  # version 2 had no basis
    first, second, third = run("incompatible_posts", carried)
    assert first.evidence["pair_basis"] == PRACTICE
    assert "pair_basis" not in second.evidence and "pair_basis" not in third.evidence
