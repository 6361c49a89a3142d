"""政府采购: the procurement rules, judged on the items' field values.

Amounts are compared as ``Decimal`` (money is stored as decimal strings, never floats).
Signals name the node that writes the field in question; the scan finds who did it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from riskctl.risk.facts import ItemFact
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, day, grow, money

CATEGORY = "procurement"


def _live(item: ItemFact) -> bool:
    return item.status != "rejected"


def _started(item: ItemFact) -> tuple[datetime, int]:
    return item.started_at, item.id


def _signal(rule: Rule, item: ItemFact, severity: int, evidence: dict, ctx: Context,  # type: ignore[type-arg]
            field: str, subject: str | None = None) -> Signal:  # fmt: skip
    return Signal(
        rule.code, item.unit_id, severity, evidence, item_id=item.id,
        definition_id=item.definition_id, subject=subject,
        attribute_to=ctx.editors(item.definition_id, field),
    )  # fmt: skip


def _plain(amount: Decimal) -> str:
    """An amount without trailing zeros: 4000000, 3999999.5."""
    return f"{amount.normalize():f}"


class JustUnderThreshold(Rule):
    code = "procurement_just_under_threshold"
    basis = "《政府采购法》第二十七条、第二十八条（公开招标数额标准，不得规避公开招标）"
    material = (Material("amount", "more", "金额", "amount"),)
    name = "采购金额贴近限额"
    name_en = "Procurement amount just under a threshold"
    description = (
        "采购预算金额略低于分散采购限额或公开招标数额标准（在设定的比例区间内），可能为规避程序。"
    )
    description_en = (
        "A procurement amount just under a decentralised-procurement or open-tender threshold "
        "(within the configured band): possibly set to avoid the procedure."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "thresholds": Param(["1000000", "4000000"], "money_list", "thresholds in yuan"),
        "band": Param(0.05, "share", "how far under a threshold counts as just under"),
        "severity": Param(50, "int"),
    }

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            amount = money(item.fields.get("amount"))
            if amount is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            band = Decimal(str(params["band"]))
            for threshold in sorted(Decimal(str(t)) for t in params["thresholds"]):
                if threshold * (1 - band) <= amount < threshold:
                    signals.append(
                        _signal(
                            self, item, int(params["severity"]),
                            {"amount": str(amount), "threshold": _plain(threshold),
                             "band": float(band)},
                            # One name per threshold however the policy writes it
                            # (4000000, "4000000.00"): the event's identity must not change.
                            ctx, "amount", subject=_plain(threshold),
                        )
                    )  # fmt: skip
        return signals


class Splitting(Rule):
    code = "procurement_splitting"
    basis = "《政府采购法》第二十八条；《政府采购法实施条例》第二十八条"
    material = (
        Material("items", "new", "事项", "items"),
        Material("total", "more", "累计金额", "cumulative amount"),
    )
    name = "化整为零规避公开招标"
    name_en = "Procurement split to avoid open tender"
    description = (
        "同一单位同一预算年度、同一预算项目、同一品目，以非公开招标方式多次采购，"
        "累计金额超过公开招标数额标准。"
    )
    description_en = (
        "In one unit, fiscal year, budget project and item category, purchases by non-open "
        "methods whose cumulative amount exceeds the open-tender threshold."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "open_tender_threshold": Param("4000000", "money", "公开招标数额标准, yuan"),
        "open_methods": Param(["公开招标"], "text_list", "methods that are open tender"),
        "severity": Param(60, "int", "at the threshold"),
        "per_percent_over": Param(0.5, "number", "added per percent of the threshold exceeded"),
    }
    reach = "unit"
    incremental = False

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        groups: dict[tuple[int, int, str, str], list[tuple[ItemFact, Decimal]]] = defaultdict(list)
        for item in sorted(filter(_live, facts), key=_started):
            amount = money(item.fields.get("amount"))
            project, kind = item.fields.get("budget_project"), item.fields.get("item_category")
            if amount is None or not project or not kind:
                continue
            year = item.started_day.year
            groups[(item.unit_id, year, str(project), str(kind))].append((item, amount))
        signals = []
        for (unit_id, year, project, kind), members in groups.items():
            total = Decimal(0)
            crossing: ItemFact | None = None
            threshold = Decimal(0)
            split: list[tuple[ItemFact, Decimal]] = []
            for item, amount in members:  # in order of starting
                params = ctx.params(unit_id, item.started_day)
                if item.fields.get("method") in params["open_methods"]:
                    continue
                split.append((item, amount))
                total += amount
                threshold = Decimal(str(params["open_tender_threshold"]))
                if crossing is None and total > threshold and len(split) > 1:
                    crossing = item
            if crossing is None:
                continue
            params = ctx.params(unit_id, crossing.started_day)
            over = float((total - threshold) / threshold * 100)
            signals.append(
                _signal(
                    self, crossing, grow(params["severity"], params["per_percent_over"], over),
                    {"fiscal_year": year, "budget_project": project, "item_category": kind,
                     "total": str(total), "threshold": str(threshold),
                     "items": [{"item": i.id, "amount": str(a), "method": i.fields.get("method")}
                               for i, a in split]},
                    ctx, "amount", subject=f"{year}/{project}/{kind}",
                )
            )  # fmt: skip
        return signals


class SingleBidder(Rule):
    code = "procurement_single_bidder"
    basis = "《政府采购法》第三十六条、第三十八条、第四十条（供应商不足三家）"
    material = (
        Material("bidders", "changed", "投标人数", "bidders"),
        Material("method", "changed", "采购方式", "procurement method"),
    )
    name = "单一供应商响应"
    name_en = "Single bidder"
    description = "以竞争性方式采购，但投标（响应）供应商少于规定数量仍确定成交。"
    description_en = "A competitive procurement awarded with fewer bidders than required."
    params: ClassVar[Mapping[str, Param]] = {
        "competitive_methods": Param(["公开招标", "竞争性磋商", "询价"], "text_list"),
        "min_bidders": Param(2, "int", "fewer than this is a warning"),
        "severity": Param(60, "int"),
    }

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            bidders = item.fields.get("bidders")
            if not isinstance(bidders, int) or isinstance(bidders, bool):
                continue
            params = ctx.params(item.unit_id, item.started_day)
            if item.fields.get("method") not in params["competitive_methods"]:
                continue
            if bidders < int(params["min_bidders"]):
                signals.append(
                    _signal(
                        self, item, int(params["severity"]),
                        {"method": item.fields.get("method"), "bidders": bidders,
                         "min_bidders": params["min_bidders"]},
                        ctx, "bidders",
                    )
                )  # fmt: skip
        return signals


class ShortTenderPeriod(Rule):
    code = "procurement_short_tender_period"
    basis = "《政府采购法》第三十五条（等标期不得少于二十日）"
    material = (
        Material("tender_start", "changed", "招标文件发出日期", "tender documents issued"),
        Material("tender_end", "changed", "投标截止日期", "bids due"),
    )
    name = "等标期不足"
    name_en = "Submission period too short"
    description = "招标文件发出至投标截止的天数少于法定最短期限（公开招标不少于20日）。"
    description_en = (
        "Days from the tender documents to the deadline below the legal minimum (open tender: 20)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "min_days": Param(
            {"公开招标": 20, "竞争性磋商": 10}, "int_map", "minimum calendar days by method"
        ),
        "severity": Param(60, "int", "one day short"),
        "per_day_short": Param(5, "number"),
    }  # fmt: skip

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            start, end = day(item.fields.get("tender_start")), day(item.fields.get("tender_end"))
            if start is None or end is None:
                continue
            params = ctx.params(item.unit_id, start)
            minimum = params["min_days"].get(item.fields.get("method"))
            if minimum is None:
                continue
            days = (end - start).days
            if days < minimum:
                signals.append(
                    _signal(
                        self, item,
                        grow(params["severity"], params["per_day_short"], minimum - days - 1),
                        {"method": item.fields.get("method"), "tender_start": start.isoformat(),
                         "tender_end": end.isoformat(), "days": days, "min_days": minimum},
                        ctx, "tender_end",
                    )
                )  # fmt: skip
        return signals


class LateContract(Rule):
    code = "procurement_late_contract"
    basis = "《政府采购法》第四十六条；《民法典》第二百零一条、第二百零三条（期间计算）"
    material = (
        Material("awarded_on", "changed", "中标通知日期", "award date"),
        Material("signed_on", "changed", "合同签订日期", "contract signed"),
    )
    name = "中标后逾期签订合同"
    name_en = "Contract signed late after award"
    description = "自中标（成交）通知发出之日起超过规定天数（30日）才签订合同，或至今仍未签订。"
    description_en = "The contract signed more than 30 days after the award, or still unsigned."
    params: ClassVar[Mapping[str, Param]] = {
        "max_days": Param(30, "int", "days from award to signature"),
        "severity": Param(40, "int", "one day late"),
        "per_day_late": Param(2, "number"),
    }
    daily = True

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            awarded = day(item.fields.get("awarded_on"))
            if awarded is None:
                continue
            signed = day(item.fields.get("signed_on"))
            if signed is None and item.status != "running":
                continue
            params = ctx.params(item.unit_id, awarded)
            late = ((signed or ctx.today) - awarded).days - int(params["max_days"])
            if late > 0:
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_day_late"], late - 1),
                        {"awarded_on": awarded.isoformat(),
                         "signed_on": signed.isoformat() if signed else None,
                         "days_late": late, "max_days": params["max_days"]},
                        ctx, "signed_on",
                    )
                )  # fmt: skip
        return signals


class SupplierConcentration(Rule):
    code = "procurement_supplier_concentration"
    material = (Material("items", "new", "事项", "items"),)
    name = "供应商集中度过高"
    name_en = "Supplier concentration"
    description = "近一段时间内，同一供应商在本单位成交金额中的占比超过上限。"
    description_en = "One supplier's share of a unit's awards over a trailing window above a limit."
    params: ClassVar[Mapping[str, Param]] = {
        "window_days": Param(365, "int"),
        "max_share": Param(0.5, "share"),
        "min_awards": Param(4, "int", "awards in the window before shares mean anything"),
        "severity": Param(50, "int", "at the limit"),
        "per_percent_over": Param(1, "number"),
    }
    reach = "unit"
    daily = True
    incremental = False

    reads = (CATEGORY,)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        awards: dict[int, list[tuple[str, Decimal, ItemFact]]] = defaultdict(list)
        today = ctx.today
        windows: dict[int, date] = {}
        for item in filter(_live, facts):
            supplier, awarded = item.fields.get("supplier"), day(item.fields.get("awarded_on"))
            if not supplier or awarded is None:
                continue
            opens = windows.get(item.unit_id)
            if opens is None:
                days = int(ctx.params(item.unit_id)["window_days"])
                opens = windows[item.unit_id] = today - timedelta(days=days)
            if not opens < awarded <= today:
                continue
            amount = money(item.fields.get("contract_amount") or item.fields.get("amount"))
            if amount is not None:
                awards[item.unit_id].append((str(supplier), amount, item))
        signals = []
        for unit_id, rows in awards.items():
            params = ctx.params(unit_id)
            total = sum((a for _s, a, _i in rows), Decimal(0))
            if len(rows) < int(params["min_awards"]) or total == 0:
                continue
            by_supplier: dict[str, Decimal] = defaultdict(Decimal)
            for supplier, amount, _item in rows:
                by_supplier[supplier] += amount
            for supplier, amount in sorted(by_supplier.items()):
                share = float(amount / total)
                if share <= float(params["max_share"]):
                    continue
                items = [i.id for s, _a, i in rows if s == supplier]
                signals.append(
                    Signal(
                        self.code, unit_id,
                        grow(params["severity"], params["per_percent_over"],
                             (share - float(params["max_share"])) * 100),
                        {"supplier": supplier, "share": round(share, 4), "amount": str(amount),
                         "unit_total": str(total), "awards": len(rows), "items": items,
                         "window_days": params["window_days"]},
                        subject=f"supplier:{supplier}",
                    )
                )  # fmt: skip
        return signals
