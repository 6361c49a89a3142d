"""Construction, assets and finance: the rules on those items' field values and steps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from riskctl.risk.facts import ItemFact, ScanData, StepFact
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, day, grow, money
from riskctl.risk.rules.procurement import _signal


@dataclass(frozen=True)
class ItemsWithSteps:
    items: list[ItemFact]
    steps: dict[int, list[StepFact]]


def _completed(steps: Sequence[StepFact], nodes: Sequence[str]) -> list[StepFact]:
    return [s for s in steps if s.kind == "complete" and s.node in nodes]


class ChangeOrderExcess(Rule):
    code = "construction_change_order_excess"
    basis = "《政府采购法》第四十九条（补充合同累计不得超过原合同金额的百分之十）"
    material = (Material("change_amount", "more", "变更金额", "change-order amount"),)
    name = "工程变更超比例"
    name_en = "Change orders above the limit"
    description = "工程累计变更金额超过合同价的规定比例（10%）。"
    description_en = "Cumulative change orders above a share of the contract price (10 %)."
    params: ClassVar[Mapping[str, Param]] = {
        "max_share": Param(0.1, "share"),
        "severity": Param(50, "int", "at the limit"),
        "per_percent_over": Param(2, "number"),
    }

    reads = ("construction",)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            contract = money(item.fields.get("contract_amount"))
            change = money(item.fields.get("change_amount"))
            if not contract or change is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            share = float(change / contract)
            if share > float(params["max_share"]):
                over = (share - float(params["max_share"])) * 100
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_percent_over"], over),
                        {"contract_amount": str(contract), "change_amount": str(change),
                         "share": round(share, 4), "max_share": params["max_share"]},
                        ctx, "change_amount",
                    )
                )  # fmt: skip
        return signals


class PaymentBeforeAcceptance(Rule):
    code = "construction_payment_before_acceptance"
    # Said plainly until the rule follows the source (issue: domain truth).
    basis = (
        "待修订：《关于完善建设工程价款结算有关办法的通知》（财建〔2022〕183号）第一项允许"
        "按已完成工程价款的80%支付进度款，本规则的比例尚未随之调整"
    )
    material = (
        Material("payment_step", "new", "付款步骤", "payment step"),
        Material("paid_amount", "more", "付款金额", "amount paid"),
    )
    name = "验收前付款"
    name_en = "Payment before acceptance"
    description = (
        "工程竣工验收前即办理价款支付，或验收前累计支付超过合同价的规定比例（进度款上限）。"
    )
    description_en = (
        "The price paid before completion acceptance, or progress payments before acceptance "
        "above a share of the contract price."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "payment_nodes": Param(["payment"], "text_list"),
        "acceptance_nodes": Param(["acceptance"], "text_list"),
        "max_share_before_acceptance": Param(0.8, "share", "progress payments allowed"),
        "severity": Param(70, "int"),
    }
    can_freeze = True

    reads = ("construction",)

    def collect(self, data: ScanData) -> ItemsWithSteps:
        # Candidates: a payment step recorded, or a paid amount at all; the steps of
        # those items are then read to see what came first.
        payment = {n for ns in data.values(self.code, "payment_nodes") for n in ns}
        paid = data.completed_at(payment)
        items = [
            i for i in data.items("construction")
            if i.id in paid or money(i.fields.get("paid_amount"))
        ]  # fmt: skip
        return ItemsWithSteps(items, data.steps(i.id for i in items))

    def evaluate(self, facts: ItemsWithSteps, ctx: Context) -> list[Signal]:
        signals = []
        for item in facts.items:
            params = ctx.params(item.unit_id, item.started_day)
            steps = facts.steps.get(item.id, [])
            accepted = _completed(steps, params["acceptance_nodes"])
            first_acceptance = accepted[0].id if accepted else None
            early_payments = [
                s for s in _completed(steps, params["payment_nodes"])
                if first_acceptance is None or s.id < first_acceptance
            ]  # fmt: skip
            contract, paid = (
                money(item.fields.get("contract_amount")),
                money(item.fields.get("paid_amount")),
            )
            over_share = (
                not accepted and contract and paid is not None
                and paid > contract * Decimal(str(params["max_share_before_acceptance"]))
            )  # fmt: skip
            if early_payments or over_share:
                first = early_payments[0] if early_payments else None
                signals.append(
                    Signal(
                        self.code, item.unit_id, int(params["severity"]),
                        {"payment_step": first.id if first else None,
                         "paid_amount": str(paid) if paid is not None else None,
                         "contract_amount": str(contract) if contract else None,
                         "accepted": bool(accepted)},
                        item_id=item.id, definition_id=item.definition_id,
                        node=first.node if first else None,
                        person_id=first.person_id if first else None,
                        attribute_to=(
                            () if first else ctx.editors(item.definition_id, "paid_amount")
                        ),
                    )
                )  # fmt: skip
        return signals


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(start.day, last))
        except ValueError:
            continue
    raise ValueError(start)  # pragma: no cover


class LateFinalAccounts(Rule):
    code = "construction_late_final_accounts"
    basis = (
        "《基本建设项目竣工财务决算管理暂行办法》（财建〔2016〕503号）第二条；"
        "《行政事业性国有资产管理条例》第三十一条"
    )
    material = (Material("final_on", "changed", "决算日期", "final accounts date"),)
    name = "竣工决算逾期"
    name_en = "Final accounts late"
    description = "工程竣工验收后超过规定期限（3个月）未办理竣工决算。"
    description_en = "Final accounts not done within 3 months of completion."
    params: ClassVar[Mapping[str, Param]] = {
        "max_months": Param(3, "int"),
        "severity": Param(40, "int", "one day late"),
        "per_day_late": Param(1, "number"),
    }
    daily = True

    reads = ("construction",)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            completed = day(item.fields.get("completed_on"))
            if completed is None or item.status in ("rejected", "cancelled"):
                continue
            final = day(item.fields.get("final_on"))
            params = ctx.params(item.unit_id, completed)
            deadline = add_months(completed, int(params["max_months"]))
            late = ((final or ctx.today) - deadline).days
            if late > 0:
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_day_late"], late - 1),
                        {"completed_on": completed.isoformat(), "deadline": deadline.isoformat(),
                         "final_on": final.isoformat() if final else None, "days_late": late},
                        ctx, "final_on",
                    )
                )  # fmt: skip
        return signals


class DisposalBelowAppraisal(Rule):
    code = "assets_disposal_below_appraisal"
    basis = "《行政事业性国有资产管理条例》第三十六条、第五十四条（资产评估，不得低价处置）"
    material = (
        Material("proceeds", "changed", "处置收入", "proceeds"),
        Material("appraised_value", "changed", "评估价值", "appraised value"),
    )
    name = "资产低于评估价处置"
    name_en = "Asset disposed of below its appraisal"
    description = "出售资产的处置收入低于评估价值。"
    description_en = "An asset sold for less than its appraised value."
    params: ClassVar[Mapping[str, Param]] = {
        "sale_methods": Param(["出售"], "text_list"),
        "tolerance": Param(0.0, "number", "share below the appraisal that is tolerated"),
        "severity": Param(50, "int"),
        "per_percent_below": Param(2, "number"),
    }
    can_freeze = True

    reads = ("assets",)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            appraised = money(item.fields.get("appraised_value"))
            proceeds = money(item.fields.get("proceeds"))
            if not appraised or proceeds is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            if item.fields.get("disposal_method") not in params["sale_methods"]:
                continue
            floor = appraised * (1 - Decimal(str(params["tolerance"])))
            if proceeds < floor:
                below = float((appraised - proceeds) / appraised * 100)
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_percent_below"], below),
                        {"appraised_value": str(appraised), "proceeds": str(proceeds),
                         "percent_below": round(below, 2)},
                        ctx, "proceeds",
                    )
                )  # fmt: skip
        return signals


class DisposalWithoutCollectiveDecision(Rule):
    code = "assets_disposal_without_collective_decision"
    basis = "《行政事业性国有资产管理条例》第十九条、第五十三条"
    material = (Material("execution_step", "new", "处置执行步骤", "disposal step"),)
    name = "资产处置未经集体决策"
    name_en = "Disposal without a collective decision"
    description = "达到集体决策标准的资产处置，未经领导班子集体决策批准即实施。"
    description_en = (
        "A disposal above the collective-decision threshold carried out without that decision."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "threshold": Param(
            "500000", "money", "book value from which a collective decision is required"
        ),
        "collective_nodes": Param(["collective"], "text_list"),
        "execution_nodes": Param(["execute"], "text_list"),
        "severity": Param(80, "int"),
    }  # fmt: skip
    can_freeze = True

    reads = ("assets",)

    def collect(self, data: ScanData) -> ItemsWithSteps:
        lowest = min(Decimal(str(v)) for v in data.values(self.code, "threshold"))
        execution = {n for ns in data.values(self.code, "execution_nodes") for n in ns}
        executed = data.completed_at(execution)
        items = [
            i for i in data.items("assets")
            if i.id in executed and (money(i.fields.get("book_value")) or 0) >= lowest
        ]  # fmt: skip
        return ItemsWithSteps(items, data.steps(i.id for i in items))

    def evaluate(self, facts: ItemsWithSteps, ctx: Context) -> list[Signal]:
        signals = []
        for item in facts.items:
            book = money(item.fields.get("book_value"))
            params = ctx.params(item.unit_id, item.started_day)
            if book is None or book < Decimal(str(params["threshold"])):
                continue
            steps = facts.steps.get(item.id, [])
            executed = _completed(steps, params["execution_nodes"])
            approved = [
                s for s in _completed(steps, params["collective_nodes"]) if s.decision == "approve"
            ]
            if executed and not approved:
                signals.append(
                    Signal(
                        self.code, item.unit_id, int(params["severity"]),
                        {"book_value": str(book), "threshold": str(params["threshold"]),
                         "execution_step": executed[0].id},
                        item_id=item.id, definition_id=item.definition_id,
                        node=executed[0].node, person_id=executed[0].person_id,
                    )
                )  # fmt: skip
        return signals


class PaymentOverBudget(Rule):
    code = "finance_payment_over_budget"
    basis = "《预算法》第十三条（未列入预算的不得支出）"
    material = (Material("cumulative", "more", "累计支付", "cumulative payments"),)
    name = "超预算支付"
    name_en = "Payment above its budget line"
    description = "同一预算指标本年度累计支出超过其预算额度（额度按年度、单位在参数中设定）。"
    description_en = (
        "Payments charged to a budget line in a fiscal year above its amount (amounts are "
        "parameters, effective by year and unit)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "budgets": Param({}, "money_map", "budget line → amount in yuan for the year"),
        "severity": Param(60, "int", "at the budget"),
        "per_percent_over": Param(1, "number"),
    }
    reach = "unit"
    incremental = False

    reads = ("finance",)

    def collect(self, data: ScanData) -> list[ItemFact]:
        if not any(data.values(self.code, "budgets")):
            return []  # no budget line has an amount: nothing to compare with
        return data.items("finance")

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        spent: dict[tuple[int, int, str], list[tuple[ItemFact, Decimal]]] = defaultdict(list)
        for item in sorted(facts, key=lambda i: (i.started_at, i.id)):
            line, amount = item.fields.get("budget_line"), money(item.fields.get("amount"))
            if not line or amount is None or item.status == "rejected":
                continue
            year = item.started_day.year
            spent[(item.unit_id, year, str(line))].append((item, amount))
        signals = []
        for (unit_id, year, line), rows in spent.items():
            total = Decimal(0)
            for item, amount in rows:
                total += amount
                budget = money(ctx.params(unit_id, item.started_day)["budgets"].get(line))
                if budget is None or total <= budget:
                    continue
                over = float((total - budget) / budget * 100) if budget else 100.0
                signals.append(
                    _signal(
                        self, item, grow(ctx.params(unit_id)["severity"],
                                         ctx.params(unit_id)["per_percent_over"], over),
                        {"fiscal_year": year, "budget_line": line, "budget": str(budget),
                         "cumulative": str(total), "amount": str(amount)},
                        ctx, "amount", subject=f"{year}/{line}",
                    )
                )  # fmt: skip
                break  # the item that first went over; later ones are the same overspend
        return signals
