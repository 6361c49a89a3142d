"""A present full scan reads only the items some rule could find a problem with (each
rule's ``candidates``, in SQL on the typed columns).  Those conditions must never leave
out an item the rule would have signalled: here the same database is judged both ways —
the present scan with its candidates, and a back-test at the same moment, which reads
every item and types its JSON in Python — over items whose fields sit on and around every
rule's limits, and under a policy whose entries move the limits.  The signals must be the
same, one for one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from riskctl.core import calendar_store
from riskctl.process.models import ProcessDefinition, ProcessStatus
from riskctl.risk import scan, services
from riskctl.risk.facts import ScanData, Scope
from riskctl.risk.policy import Policy
from riskctl.risk.rules import REGISTRY
from riskctl.workflow.models import Item, ItemStatus
from riskctl.workflow.rule_fields import rule_fields

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def _day(rng: random.Random, around: date, spread: int = 90) -> str:
    return (around + timedelta(days=rng.randint(-spread, spread))).isoformat()


def _money(rng: random.Random, *near: int) -> str:
    """An amount on, just under or just over one of ``near`` (yuan), or anywhere."""
    if near and rng.random() < 0.7:
        base = rng.choice(near)
        return f"{base + rng.choice([-1, 0, 1, -50000, -0.01, 0.01]) * rng.randint(1, 3):.2f}"
    return f"{rng.randint(0, 6_000_000)}.{rng.randint(0, 99):02d}"


def _after(rng: random.Random, day: date, most: int) -> str:
    return (day + timedelta(days=rng.randint(0, most))).isoformat()


def _maybe(rng: random.Random, value: Any, share: float = 0.7) -> dict[str, Any]:
    return value if rng.random() < share else {}


def _fields(category: str, rng: random.Random, procurements: list[int]) -> dict[str, Any]:
    awarded = date(2026, 10, 1) + timedelta(days=rng.randint(-60, 50))
    signed = awarded + timedelta(days=rng.randint(0, 45))
    found: dict[str, Any] = {}
    if category == "procurement":
        found = {
            "budget_project": rng.choice(["项目1", "项目2", ""]),
            "item_category": rng.choice(["货物", "服务", "工程", "其他"]),
            "method": rng.choice(["公开招标", "邀请招标", "竞争性谈判", "竞争性磋商", "询价",
                                  "单一来源"]),
            "amount": _money(rng, 1_000_000, 1_200_000, 2_000_000, 4_000_000, 950_000),
            "bidders": rng.choice([0, 1, 2, 3, 4, 5]),
            "supplier": rng.choice(["甲公司", "乙公司", "丙公司"]),
            "tender_start": _day(rng, TODAY),
            "tender_end": _day(rng, TODAY),
            "awarded_on": awarded.isoformat(),
            **_maybe(rng, {"signed_on": signed.isoformat()}),
            **_maybe(rng, {"published_on": _after(rng, signed, 9)}),
            **_maybe(rng, {"filed_on": _after(rng, signed, 14)}),
            **_maybe(rng, {"two_suppliers_allowed": True}, 0.2),
            **_maybe(rng, {"budget_adjusted": True}, 0.1),
            **_maybe(rng, {"non_open_approved": True}, 0.1),
            **_maybe(rng, {"catalogue_code": rng.choice(["A01", "A02"])}, 0.3),
        }  # fmt: skip
    if category in ("procurement", "contract"):
        contract = _money(rng, 100_000, 1_000_000)
        delivered = signed + timedelta(days=rng.randint(0, 20))
        found |= {
            "contract_amount": contract,
            **_maybe(rng, {"supplement_amount": _money(rng, 10_000, 100_000, 0)}, 0.4),
            **_maybe(rng, {"sme": True}, 0.5),
            **_maybe(rng, {"payment_on_acceptance": True}, 0.3),
            **_maybe(rng, {"delivered_on": delivered.isoformat()}),
            **_maybe(rng, {"accepted_on": (delivered + timedelta(days=5)).isoformat()}),
            **_maybe(rng, {"paid_on": _after(rng, delivered, 90)}),
            **_maybe(rng, {"payment_days": rng.choice([0, 15, 30, 45, 90])}, 0.4),
        }  # fmt: skip
        if category == "contract" and procurements:
            found |= _maybe(rng, {"procurement_ref": str(rng.choice(procurements))}, 0.5)
    if category == "construction":
        contract = rng.choice([0, -100_000, 1_000_000, 4_000_000, rng.randint(1, 9_000_000)])
        completed = date(2025, 6, 1) + timedelta(days=rng.randint(0, 540))
        found = {
            "contract_amount": f"{contract}.00",
            "change_amount": f"{contract * rng.choice([0, 0.05, 0.1, 0.1000001, 0.2, -0.3]):.2f}",
            **_maybe(rng, {"paid_amount": _money(rng, 500_000)}),
            **_maybe(rng, {"completed_value": _money(rng, 500_000)}),
            **_maybe(rng, {"completed_on": completed.isoformat()}),
            **_maybe(rng, {"final_on": (completed + timedelta(days=rng.choice(
                [rng.randint(0, 400), rng.randint(55, 65), rng.randint(86, 96)]))).isoformat()}),
            **_maybe(rng, {"project_size": rng.choice(["大型", "中型", "小型", "未知"])}),
            **_maybe(rng, {"final_extension_months": rng.randint(0, 6)}, 0.3),
            "bidders": rng.choice([1, 2, 3]),
            "method": rng.choice(["公开招标", "邀请招标"]),
        }  # fmt: skip
    if category == "assets":
        appraised = rng.choice([0, 100_000, 500_000, -1000])
        found = {
            "disposal_method": rng.choice(["出售", "公开拍卖", "报废"]),
            **_maybe(rng, {"appraised_value": f"{appraised}.00"}),
            **_maybe(rng, {"approved_floor": _money(rng, 90_000, 450_000)}, 0.3),
            **_maybe(rng, {"proceeds": _money(rng, 90_000, 100_000, 450_000, 500_000)}),
            **_maybe(rng, {"original_value": _money(rng, 1_000_000, 5_000_000)}),
            **_maybe(rng, {"book_value": _money(rng, 1_000_000)}),
        }  # fmt: skip
    if category == "finance":
        found = {"budget_line": rng.choice(["公用经费", "差旅费"]), "amount": _money(rng, 50_000)}
    return found


def _policy_moving_every_limit() -> dict[str, Any]:
    """Entries (one for a unit, one from a later day) that move the limits the candidates
    read: each must hold under every value."""
    later = {"from": "2026-06-01"}
    return {
        "procurement_just_under_threshold": [{**later, "values": {"band": 0.1,
            "thresholds": ["300000"], "open_tender": {"货物": "3000000"}}}],
        "procurement_single_bidder": [{**later, "unit": "czj",
                                       "values": {"min_bidders": {"询价": 4}}}],
        "procurement_late_contract": [{**later, "values": {"max_days": 20}}],
        "procurement_late_contract_publication": [{**later, "values": {"max_working_days": 1}}],
        "procurement_late_contract_filing": [{**later, "values": {"max_working_days": 3}}],
        "construction_change_order_excess": [{**later, "values": {"max_share": 0.05}}],
        "construction_late_final_accounts": [{**later, "values": {"max_months": 2}}],
        "assets_disposal_without_collective_decision": [{**later,
                                                         "values": {"threshold": 800000}}],
    }  # fmt: skip


def _judged(session: Any, policy: Any, historic: bool) -> list[tuple[Any, ...]]:
    calendar = calendar_store.working_calendar(session)
    scored, _data, _weights = scan.judge(
        session, policy, Scope(NOW, historic=historic), list(REGISTRY.values()), calendar
    )
    return sorted(
        (s.signal.rule, s.signal.item_id, s.signal.subject, s.signal.severity,
         repr(sorted(s.signal.evidence.items())))
        for s in scored
    )  # fmt: skip


def test_the_candidates_leave_out_no_item_a_rule_would_signal(session, person, at):
    at(NOW)
    rng = random.Random(23)
    starter = person("czj.wangfang")
    definitions = session.execute(
        sa.select(
            ProcessDefinition.id, ProcessDefinition.unit_id, ProcessDefinition.category
        ).where(ProcessDefinition.status == ProcessStatus.PUBLISHED)
    ).all()
    by_category: dict[str, list[Any]] = {}
    for row in definitions:
        by_category.setdefault(row.category, []).append(row)
    procurements: list[int] = []
    for n in range(900):
        category = ("procurement", "contract", "construction", "assets", "finance")[n % 5]
        definition = rng.choice(by_category[category])
        data = _fields(category, rng, procurements)
        started = NOW - timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 23))
        ended = rng.random() < 0.3
        item = Item(
            unit_id=definition.unit_id, definition_id=definition.id, title=f"事项{n}",
            fields=data, status=ItemStatus.COMPLETED if ended else ItemStatus.RUNNING,
            started_by_id=starter.id, started_at=started, updated_at=started,
            ended_at=started + timedelta(days=1) if ended else None, **rule_fields(data),
        )  # fmt: skip
        session.add(item)
        session.flush()
        if category == "procurement":
            procurements.append(item.id)
    plain = services.current_policy(session)
    body = dict(plain.body)
    rules = {code: dict(entry) for code, entry in body["rules"].items()}
    for code, entries in _policy_moving_every_limit().items():
        rules[code] = {**rules.get(code, {}), "params": entries}
    moved = Policy(plain.version, {**body, "rules": rules}, plain.unit_codes, plain.unit_levels)
    calendar = calendar_store.working_calendar(session)
    for policy in (plain, moved):
        with_candidates = _judged(session, policy, historic=False)
        every_item = _judged(session, policy, historic=True)
        assert with_candidates == every_item
        # Each rule's own condition, not only the union a category's read uses: every
        # item the rule signals when it sees them all satisfies it.
        data = ScanData(session, Scope(NOW), policy, calendar)
        for rule in REGISTRY.values():
            condition = rule.candidates(data)
            if condition is None:
                continue
            admitted = set(session.scalars(sa.select(Item.id).where(condition)))
            signalled = {s[1] for s in every_item if s[0] == rule.code}
            assert signalled <= admitted, (rule.code, sorted(signalled - admitted)[:5])
        # Something to compare: the data reaches the field rules the candidates serve.
        found = {signal[0] for signal in with_candidates}
        assert {
            "procurement_just_under_threshold",
            "procurement_single_bidder",
            "procurement_late_contract",
            "procurement_late_contract_publication",
            "procurement_late_contract_filing",
            "procurement_late_sme_payment",
            "procurement_supplement_excess",
            "construction_change_order_excess",
            "construction_late_final_accounts",
            "assets_disposal_below_appraisal",
        } <= found, found
