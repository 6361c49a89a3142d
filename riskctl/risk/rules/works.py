"""Construction, assets and finance: the rules on those items' field values and steps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any, ClassVar

import sqlalchemy as sa

from riskctl.risk.evidence import Explanation, Words, say
from riskctl.risk.facts import ItemFact, ScanData, StepFact
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow, money
from riskctl.risk.rules.procurement import _late_after, _signal, _whole_numbers
from riskctl.workflow.models import Item

# Money columns compare with Decimals (their type writes whole cents).
ZERO = Decimal(0)


def _at_least(amount: Decimal) -> Decimal:
    """``amount`` to the cent below: a lower bound the money columns can compare with."""
    return amount.quantize(Decimal("0.01"), ROUND_FLOOR)


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
    fields = ("contract_amount", "change_amount")

    def candidates(self, data: ScanData) -> Any:
        # Over the smallest share any policy value allows (floats, as evaluate compares;
        # a hair lower for the rounding), or a contract price below zero.
        least = min((float(v) for v in data.values(self.code, "max_share")), default=0.0)
        contract = sa.type_coerce(Item.f_contract_amount, sa.Float)
        change = sa.type_coerce(Item.f_change_amount, sa.Float)
        return sa.and_(
            Item.f_contract_amount != ZERO, Item.f_change_amount.is_not(None),
            sa.or_(Item.f_contract_amount < ZERO, change > contract * (least * (1 - 1e-9))),
        )  # fmt: skip

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            contract = item.fields.get("contract_amount")
            change = item.fields.get("change_amount")
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

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        contract, change = (
            w.money(evidence.get("contract_amount")),
            w.money(evidence.get("change_amount")),
        )
        share, limit = w.percent(evidence.get("share")), w.percent(evidence.get("max_share"))
        return Explanation((
            say(w.t(f"工程合同价{contract}，累计变更{change}，占合同价的{share}，超过{limit}的上限。",
                    f"Contract price {contract}; change orders {change} in all, {share} of it — "
                    f"above the {limit} limit.")),
        ))  # fmt: skip


# Decisions with which a review does not pass: the settlement was sent back or refused.
_NOT_PASSED = frozenset({"return", "reject", "fail"})


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


class PaymentBeforeAcceptance(Rule):
    code = "construction_payment_before_acceptance"
    basis = (
        "《关于完善建设工程价款结算有关办法的通知》（财建〔2022〕183号）第一项（进度款按已完成"
        "工程价款支付，除保留不超过工程价款总额3%的质量保证金外比例由发承包双方约定）；"
        "《建设工程质量保证金管理办法》（建质〔2017〕138号）第七条（保证金不得高于工程价款结算"
        "总额的3%）；结算款在竣工验收、结算审核之后支付为单位内部管理规定"
    )
    material = (
        Material("payment_step", "new", "付款步骤", "payment step"),
        Material("paid_amount", "more", "付款金额", "amount paid"),
    )
    name = "验收前付款"
    name_en = "Payment before acceptance"
    description = (
        "竣工验收前累计支付超过已完成工程价款（未登记已完成工程价款的，超过合同价含变更的97%，"
        "即未留质量保证金）；或结算款在竣工验收、结算审核之前支付。"
    )
    description_en = (
        "Payments before completion acceptance above the value of the work done (where it is "
        "not recorded: above 97 % of the contract price with change orders, i.e. without the "
        "retention); or the settlement paid before acceptance or before the settlement review."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "payment_nodes": Param(
            ["payment"], "text_list", "nodes that pay the settlement (结算款)"
        ),
        "acceptance_nodes": Param(["acceptance"], "text_list"),
        "settlement_review_nodes": Param(
            ["pay_review"], "text_list",
            "nodes whose approval is the settlement review (结算审核); empty: not checked",
        ),
        "max_share_of_completed": Param(
            1.0, "share", "share of the completed work value payable before acceptance"
        ),
        "max_share_before_acceptance": Param(
            0.97, "share",
            "share of the price (contract and change orders) payable before acceptance "
            "when the completed work value is not recorded: all but the 3 % retention",
        ),
        "severity": Param(70, "int"),
    }  # fmt: skip
    can_freeze = True

    reads = ("construction",)
    fields = ("paid_amount", "contract_amount", "change_amount", "completed_value")

    def collect(self, data: ScanData) -> ItemsWithSteps:
        # Candidates: a payment step recorded, or a paid amount at all; the steps of
        # those items are then read to see what came first.
        payment = {n for ns in data.values(self.code, "payment_nodes") for n in ns}
        paid = data.completed_at(payment)
        items = [
            i for i in data.items_for(self, "construction")
            if i.id in paid or i.fields.get("paid_amount")
        ]  # fmt: skip
        return ItemsWithSteps(items, data.steps(i.id for i in items))

    def candidates(self, data: ScanData) -> Any:
        payment = {n for ns in data.values(self.code, "payment_nodes") for n in ns}
        return sa.or_(Item.f_paid_amount != ZERO, Item.id.in_(data.completed_at_query(payment)))

    def evaluate(self, facts: ItemsWithSteps, ctx: Context) -> list[Signal]:
        signals = []
        for item in facts.items:
            params = ctx.params(item.unit_id, item.started_day)
            steps = facts.steps.get(item.id, [])
            accepted = _completed(steps, params["acceptance_nodes"])
            acceptance = accepted[0].id if accepted else None
            reviewed = [
                s for s in _completed(steps, params["settlement_review_nodes"])
                if s.decision not in _NOT_PASSED
            ]  # fmt: skip
            review = reviewed[0].id if reviewed else None
            findings: list[str] = []
            first = None
            for s in _completed(steps, params["payment_nodes"]):
                if acceptance is None or s.id < acceptance:
                    first, findings = s, ["settlement_before_acceptance"]
                    break
                if params["settlement_review_nodes"] and (review is None or s.id < review):
                    first, findings = s, ["settlement_before_review"]
                    break
            evidence = self._progress(item, params, accepted=bool(accepted))
            if evidence.pop("over_cap"):
                findings.append(f"progress_over_{evidence['cap_on']}")
            if findings:
                signals.append(
                    Signal(
                        self.code, item.unit_id, int(params["severity"]),
                        {"payment_step": first.id if first else None, **evidence,
                         "accepted": bool(accepted), "settlement_reviewed": bool(reviewed),
                         "findings": findings},
                        item_id=item.id, definition_id=item.definition_id,
                        node=first.node if first else None,
                        person_id=first.person_id if first else None,
                        attribute_to=(
                            () if first else ctx.editors(item.definition_id, "paid_amount")
                        ),
                    )
                )  # fmt: skip
        return signals

    @staticmethod
    def _progress(item: ItemFact, params: Mapping[str, Any], *, accepted: bool) -> dict[str, Any]:
        """What was paid against what may be paid before acceptance: the work done where
        it is recorded (183号: progress payments follow the completed work), else the
        price less the retention (an estimate: the work done is not known)."""
        paid = item.fields.get("paid_amount")
        contract = item.fields.get("contract_amount")
        change = item.fields.get("change_amount")
        completed = item.fields.get("completed_value")
        cap, cap_on = None, None
        if completed is not None:
            cap = completed * Decimal(str(params["max_share_of_completed"]))
            cap_on = "completed_value"
        elif contract:
            price = contract + (change or 0)
            cap = price * Decimal(str(params["max_share_before_acceptance"]))
            cap_on = "price"
        return {
            "paid_amount": str(paid) if paid is not None else None,
            "contract_amount": str(contract) if contract else None,
            "change_amount": str(change) if change is not None else None,
            "completed_value": str(completed) if completed is not None else None,
            "cap": _cents(cap) if cap is not None else None,
            "cap_on": cap_on,
            "over_cap": not accepted and cap is not None and paid is not None and paid > cap,
        }

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        step = evidence.get("payment_step")
        paid, cap = w.money(evidence.get("paid_amount")), w.money(evidence.get("cap"))
        sentences = []
        for finding in evidence.get("findings") or []:
            if finding == "settlement_before_acceptance":
                sentences.append(say(w.t("结算款在竣工验收之前支付（", "The settlement was paid "
                                         "before the completion acceptance ("), w.step(step),
                                     w.t("）。", ").")))  # fmt: skip
            elif finding == "settlement_before_review":
                sentences.append(
                    say(
                        w.t(
                            "结算款在结算审核通过之前支付（",
                            "The settlement was paid before the settlement review passed (",
                        ),
                        w.step(step),
                        w.t("）。", ")."),
                    )
                )
            elif finding == "progress_over_completed_value":
                done = w.money(evidence.get("completed_value"))
                sentences.append(say(w.t(
                    f"竣工验收前累计支付{paid}，超过按已完成工程价款{done}可支付的{cap}。",
                    f"Before acceptance {paid} was paid, above the {cap} payable on the work "
                    f"done ({done}).")))  # fmt: skip
            elif finding == "progress_over_price":
                price = (money(evidence.get("contract_amount")) or Decimal(0)) + (
                    money(evidence.get("change_amount")) or Decimal(0)
                )
                sentences.append(say(w.t(
                    f"竣工验收前累计支付{paid}，超过合同价（含变更）{w.money(price)}扣除质量保证金后"
                    f"可支付的{cap}（未登记已完成工程价款，按合同价估算）。",
                    f"Before acceptance {paid} was paid, above the {cap} payable on the price "
                    f"with change orders ({w.money(price)}) less the retention (the work done "
                    "is not recorded: an estimate).")))  # fmt: skip
        state = w.t(
            "已竣工验收" if evidence.get("accepted") else "尚未竣工验收",
            "accepted" if evidence.get("accepted") else "not yet accepted",
        )
        review = w.t("结算已审核" if evidence.get("settlement_reviewed") else "结算未审核",
                     "settlement reviewed" if evidence.get("settlement_reviewed")
                     else "settlement not reviewed")  # fmt: skip
        sentences.append(say(w.t(f"目前：{state}，{review}。", f"Now: {state}, {review}.")))
        return Explanation(tuple(sentences))


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
        "《基本建设项目竣工财务决算管理暂行办法》（财建〔2016〕503号）第二条（3个月内编报，"
        "特殊情况确需延长的，中小型项目不得超过2个月，大型项目不得超过6个月）；"
        "《行政事业性国有资产管理条例》第三十一条第一款（期限最长不得超过1年）"
    )
    material = (Material("final_on", "changed", "决算日期", "final accounts date"),)
    name = "竣工决算逾期"
    name_en = "Final accounts late"
    description = (
        "工程竣工验收后3个月内未办理竣工财务决算；经批准延期的，中小型项目最多延长2个月、"
        "大型项目最多延长6个月，且最长不超过1年。逾期越久，分值越高。"
    )
    description_en = (
        "Final accounts not done within 3 months of completion; an approved extension adds at "
        "most 2 months (small and medium projects) or 6 months (large ones), and never beyond "
        "a year. The later, the higher the score."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "max_months": Param(3, "int", "months after completion"),
        "max_extension_months": Param(
            {"大型": 6, "中小型": 2}, "int_map",
            "project size → the longest approved extension in months; a size not recorded "
            "gets the shortest",
        ),
        "hard_cap_months": Param(12, "int", "months after completion, whatever the extension"),
        "severity": Param(40, "int", "one day late"),
        "per_day_late": Param(1, "number"),
        "severity_past_hard_cap": Param(80, "int", "at least, once past the hard cap"),
    }  # fmt: skip
    daily = True

    reads = ("construction",)
    fields = ("completed_on", "final_on", "project_size", "final_extension_months")

    def candidates(self, data: ScanData) -> Any:
        # The deadline is at least the shortest number of months after completion (an
        # extension only adds): a month is at least 28 days, three less for the month-end.
        months = _whole_numbers(data.values(self.code, "max_months"))
        months += _whole_numbers(data.values(self.code, "hard_cap_months"))
        least = max(0, 28 * min(months, default=0) - 3)
        return _late_after(Item.f_completed_on, Item.f_final_on, least, data.today)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            completed = item.fields.get("completed_on")
            if completed is None or item.status in ("rejected", "cancelled"):
                continue
            final = item.fields.get("final_on")
            params = ctx.params(item.unit_id, completed)
            size, asked, allowed, note = self._extension(item, params["max_extension_months"])
            hard_cap = add_months(completed, int(params["hard_cap_months"]))
            deadline = min(add_months(completed, int(params["max_months"]) + allowed), hard_cap)
            end = final or ctx.today
            late = (end - deadline).days
            if late > 0:
                severity = grow(params["severity"], params["per_day_late"], late - 1)
                past_cap = end > hard_cap
                if past_cap:
                    severity = max(severity, int(params["severity_past_hard_cap"]))
                evidence = {
                    "completed_on": completed.isoformat(), "deadline": deadline.isoformat(),
                    "final_on": final.isoformat() if final else None, "days_late": late,
                    "project_size": size, "extension_months": asked,
                    "extension_allowed": allowed, "hard_cap": hard_cap.isoformat(),
                    "past_hard_cap": past_cap,
                }  # fmt: skip
                if note:
                    evidence["note"] = note
                signals.append(_signal(self, item, severity, evidence, ctx, "final_on"))
        return signals

    @staticmethod
    def _extension(
        item: ItemFact, caps: Mapping[str, int]
    ) -> tuple[str | None, int, int, str | None]:
        """The project's size, the extension recorded, the part of it that counts (at most
        the cap for the size), and a note when the size is not known."""
        size = item.fields.get("project_size")
        size = size if isinstance(size, str) and size else None
        asked = item.fields.get("final_extension_months")
        asked = asked if isinstance(asked, int) and not isinstance(asked, bool) else 0
        asked = max(0, asked)
        if not asked:
            return size, 0, 0, None
        if size is not None and size in caps:
            return size, asked, min(asked, int(caps[size])), None
        shortest = min((int(v) for v in caps.values()), default=0)
        note = f"项目规模未登记或不在参数中，延期按最短上限{shortest}个月计"
        return size, asked, min(asked, shortest), note

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        completed, deadline = w.date(evidence.get("completed_on")), w.date(evidence.get("deadline"))
        late, final = w.days(evidence.get("days_late")), evidence.get("final_on")
        sentences = [
            say(
                w.t(
                    f"工程于{completed}竣工验收，竣工财务决算应在{deadline}前办理；",
                    f"The works were completed {completed}; the final accounts were "
                    f"due by {deadline}; ",
                ),
                w.t(
                    f"实际于{w.date(final)}办理，逾期{late}。",
                    f"they were done {w.date(final)}, {late} late.",
                )
                if final
                else w.t(f"至今未办理，已逾期{late}。", f"they are still not done, {late} late."),
            )
        ]
        asked = evidence.get("extension_months")
        if asked:
            size = evidence.get("project_size")
            allowed = w.months(evidence.get("extension_allowed"))
            sized = size or "未登记规模的"
            for_size = f" for a {size} project" if size else ""
            sentences.append(say(w.t(f"经批准延期{w.months(asked)}，按{sized}项目计入{allowed}。",
                                     f"An extension of {w.months(asked)} was approved; "
                                     f"{allowed} count{for_size}.")))  # fmt: skip
        if evidence.get("note"):
            sentences.append(say(w.t(f"{evidence['note']}。", "The project size is not recorded "
                                     "or not in the parameters: the extension counts at the "
                                     "shortest cap.")))  # fmt: skip
        if evidence.get("past_hard_cap"):
            cap = w.date(evidence.get("hard_cap"))
            sentences.append(say(w.t(f"已超过最长1年的期限（{cap}）。",
                                     f"It is past the one-year limit ({cap}).")))  # fmt: skip
        return Explanation(tuple(sentences))


class DisposalBelowAppraisal(Rule):
    code = "assets_disposal_below_appraisal"
    basis = (
        "《行政事业性国有资产管理条例》第三十六条第一款（资产评估）、"
        "第五十四条第（一）项（不得低价处置国有资产）"
    )
    material = (
        Material("proceeds", "changed", "处置收入", "proceeds"),
        Material("appraised_value", "changed", "评估价值", "appraised value"),
        Material("approved_floor", "changed", "经批准的底价", "approved floor"),
    )
    name = "资产低于评估价处置"
    name_en = "Asset disposed of below its appraisal"
    description = "出售资产的处置收入低于评估价值；流拍后经批准降低底价的，低于经批准的底价。"
    description_en = (
        "An asset sold for less than its appraised value, or, where a lower floor was approved "
        "for a later round, for less than that floor."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "sale_methods": Param(["出售"], "text_list"),
        "tolerance": Param(0.0, "number", "share below the appraisal that is tolerated"),
        "severity": Param(50, "int"),
        "per_percent_below": Param(2, "number"),
    }
    can_freeze = True

    reads = ("assets",)
    fields = ("appraised_value", "approved_floor", "proceeds", "disposal_method")

    def candidates(self, data: ScanData) -> Any:
        # Below the approved floor, or below the appraisal (the floor is at most that).
        return sa.and_(Item.f_proceeds.is_not(None), sa.or_(
            sa.and_(Item.f_approved_floor.is_not(None), Item.f_proceeds < Item.f_approved_floor),
            sa.and_(Item.f_approved_floor.is_(None), Item.f_appraised_value != ZERO,
                    sa.or_(Item.f_proceeds < Item.f_appraised_value,
                           Item.f_appraised_value < ZERO)),
        ))  # fmt: skip

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in facts:
            appraised = item.fields.get("appraised_value")
            approved = item.fields.get("approved_floor")
            proceeds = item.fields.get("proceeds")
            if proceeds is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            if item.fields.get("disposal_method") not in params["sale_methods"]:
                continue
            # A floor approved again for a later round replaces the appraisal's.
            if approved is not None:
                floor = reference = approved
            elif appraised:
                floor = appraised * (1 - Decimal(str(params["tolerance"])))
                reference = appraised
            else:
                continue
            if proceeds < floor:
                below = float((reference - proceeds) / reference * 100)
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_percent_below"], below),
                        {"appraised_value": str(appraised) if appraised else None,
                         "approved_floor": str(approved) if approved is not None else None,
                         "floor": _cents(floor), "proceeds": str(proceeds),
                         "percent_below": (
                             round(float((appraised - proceeds) / appraised * 100), 2)
                             if appraised else None
                         ),
                         "percent_below_floor": round(below, 2)},
                        ctx, "proceeds",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        proceeds = w.money(evidence.get("proceeds"))
        approved, appraised = evidence.get("approved_floor"), evidence.get("appraised_value")
        if approved is not None:
            floor = w.t(
                f"经批准的底价{w.money(approved)}", f"the approved floor of {w.money(approved)}"
            )
        else:
            floor = w.t(
                f"评估价值{w.money(appraised)}", f"its appraised value of {w.money(appraised)}"
            )
        below = evidence.get("percent_below_floor")
        sentences = [
            say(
                w.t(
                    f"资产以{proceeds}出售，低于{floor}（低{below}%）。",
                    f"The asset was sold for {proceeds}, {below} % below {floor}.",
                )
            )
        ]
        if approved is not None and appraised and evidence.get("percent_below") is not None:
            sentences.append(say(w.t(
                f"评估价值为{w.money(appraised)}，处置收入比评估价值低{evidence['percent_below']}%。",
                f"Its appraised value was {w.money(appraised)}, "
                f"{evidence['percent_below']} % above the proceeds.")))  # fmt: skip
        return Explanation(tuple(sentences))


def _disposal_value(item: ItemFact) -> tuple[Decimal | None, str]:
    """The value a disposal is judged on: its original book value (账面原值); where that is
    not recorded, its book value — a net value after depreciation, which can be below the
    threshold when the original value is above it."""
    original = item.fields.get("original_value")
    if original is not None:
        return original, "original_value"
    return item.fields.get("book_value"), "book_value"


class DisposalWithoutCollectiveDecision(Rule):
    code = "assets_disposal_without_collective_decision"
    basis = "《行政事业性国有资产管理条例》第十九条、第五十三条第（一）项"
    material = (Material("execution_step", "new", "处置执行步骤", "disposal step"),)
    name = "资产处置未经集体决策"
    name_en = "Disposal without a collective decision"
    description = (
        "账面原值达到集体决策标准的资产处置，未经领导班子集体决策批准即实施"
        "（未登记账面原值的，按账面价值判断）。"
    )
    description_en = (
        "A disposal whose original book value is above the collective-decision threshold "
        "carried out without that decision (judged on the book value where the original value "
        "is not recorded)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "threshold": Param(
            "500000", "money",
            "original book value (账面原值) from which a collective decision is required",
        ),
        "collective_nodes": Param(["collective"], "text_list"),
        "execution_nodes": Param(["execute"], "text_list"),
        "severity": Param(80, "int"),
    }  # fmt: skip
    can_freeze = True

    reads = ("assets",)
    fields = ("original_value", "book_value")

    def collect(self, data: ScanData) -> ItemsWithSteps:
        lowest = min(Decimal(str(v)) for v in data.values(self.code, "threshold"))
        execution = {n for ns in data.values(self.code, "execution_nodes") for n in ns}
        executed = data.completed_at(execution)
        items = [
            i for i in data.items_for(self, "assets")
            if i.id in executed and (_disposal_value(i)[0] or 0) >= lowest
        ]  # fmt: skip
        return ItemsWithSteps(items, data.steps(i.id for i in items))

    def candidates(self, data: ScanData) -> Any:
        lowest = min(Decimal(str(v)) for v in data.values(self.code, "threshold"))
        if lowest <= 0:
            return None  # every disposal counts
        execution = {n for ns in data.values(self.code, "execution_nodes") for n in ns}
        value = sa.func.coalesce(Item.f_original_value, Item.f_book_value)
        return sa.and_(
            sa.type_coerce(value, Item.f_original_value.type) >= _at_least(lowest),
            Item.id.in_(data.completed_at_query(execution)),
        )

    def evaluate(self, facts: ItemsWithSteps, ctx: Context) -> list[Signal]:
        signals = []
        for item in facts.items:
            value, judged_on = _disposal_value(item)
            params = ctx.params(item.unit_id, item.started_day)
            if value is None or value < Decimal(str(params["threshold"])):
                continue
            steps = facts.steps.get(item.id, [])
            executed = _completed(steps, params["execution_nodes"])
            approved = [
                s for s in _completed(steps, params["collective_nodes"]) if s.decision == "approve"
            ]
            if executed and not approved:
                book = item.fields.get("book_value")
                original = item.fields.get("original_value")
                evidence = {
                    "original_value": str(original) if original is not None else None,
                    "book_value": str(book) if book is not None else None,
                    "judged_on": judged_on, "threshold": str(params["threshold"]),
                    "execution_step": executed[0].id,
                }  # fmt: skip
                if judged_on == "book_value":
                    evidence["note"] = "未登记账面原值，按账面价值（折旧后净值）判断，可能偏低"
                signals.append(
                    Signal(
                        self.code, item.unit_id, int(params["severity"]), evidence,
                        item_id=item.id, definition_id=item.definition_id,
                        node=executed[0].node, person_id=executed[0].person_id,
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        on_book = evidence.get("judged_on") == "book_value"
        value = w.money(evidence.get("book_value" if on_book else "original_value"))
        what = w.t("账面价值", "book value") if on_book else w.t("账面原值", "original book value")
        threshold = w.money(evidence.get("threshold"))
        sentences = [say(w.t(f"资产{what}{value}，达到{threshold}的集体决策标准，未经领导班子集体"
                             "决策批准即实施处置（",
                             f"The asset's {what} is {value}, at or above the {threshold} from "
                             "which a collective decision is required; it was disposed of "
                             "without one ("),
                         w.step(evidence.get("execution_step")), w.t("）。", ")."))]  # fmt: skip
        if evidence.get("note"):
            sentences.append(say(w.t(f"{evidence['note']}。", "The original value is not "
                                     "recorded: judged on the book value (net of depreciation), "
                                     "which may be low.")))  # fmt: skip
        return Explanation(tuple(sentences))


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
    fields = ("budget_line", "amount")

    def collect(self, data: ScanData) -> list[ItemFact]:
        if not any(data.values(self.code, "budgets")):
            return []  # no budget line has an amount: nothing to compare with
        return data.items_for(self, "finance")

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        spent: dict[tuple[int, int, str], list[tuple[ItemFact, Decimal]]] = defaultdict(list)
        for item in sorted(facts, key=lambda i: (i.started_at, i.id)):
            line, amount = item.fields.get("budget_line"), item.fields.get("amount")
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

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        year, line = evidence.get("fiscal_year"), evidence.get("budget_line")
        budget, total = money(evidence.get("budget")), money(evidence.get("cumulative"))
        over = w.money(total - budget) if budget is not None and total is not None else "—"
        amount = w.money(evidence.get("amount"))
        return Explanation((
            say(w.t(f"{year}年度预算指标「{line}」的额度为{w.money(budget)}，本笔支付{amount}后累计支付"
                    f"{w.money(total)}，超出{over}。",
                    f"Budget line {line} of {year} has {w.money(budget)}; with this payment of "
                    f"{amount} the payments reach {w.money(total)}, {over} over.")),
        ))  # fmt: skip

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        year, line = evidence.get("fiscal_year"), evidence.get("budget_line")
        return words.t(f"{year}年度·{line}", f"{year} · {line}")
