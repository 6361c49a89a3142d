"""政府采购: the procurement rules, judged on the items' field values.

Amounts are compared as ``Decimal`` (money is stored as decimal strings, never floats).
Signals name the node that writes the field in question; the scan finds who did it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, ClassVar

import sqlalchemy as sa

from riskctl.core.calendar import WorkingCalendar
from riskctl.risk.evidence import Explanation, Table, Words, say
from riskctl.risk.facts import ItemFact, ScanData, days_after
from riskctl.risk.rules.base import Context, Material, Param, Rule, Signal, grow, money
from riskctl.workflow.models import Item

CATEGORY = "procurement"
# Money columns compare with Decimals (their type writes whole cents).
ZERO = Decimal(0)


def _live(item: ItemFact) -> bool:
    return item.status != "rejected"


def _signal(rule: Rule, item: ItemFact, severity: int, evidence: dict, ctx: Context,  # type: ignore[type-arg]
            field: str, subject: str | None = None) -> Signal:  # fmt: skip
    return Signal(
        rule.code, item.unit_id, severity, evidence, item_id=item.id,
        definition_id=item.definition_id, subject=subject,
        attribute_to=ctx.editors(item.definition_id, field),
    )  # fmt: skip


def _figures(values: Sequence[Any]) -> set[Decimal]:
    """Every amount among a parameter's values (maps of figures, lists, single ones)."""
    found: set[Decimal] = set()
    for value in values:
        if isinstance(value, Mapping):
            parts = list(value.values())
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            parts = [value]
        found.update(amount for one in parts if (amount := money(one)) is not None)
    return found


def _whole_numbers(values: Sequence[Any]) -> list[int]:
    """Every whole number among a parameter's values (single ones and maps of them)."""
    found: list[int] = []
    for value in values:
        for one in value.values() if isinstance(value, Mapping) else [value]:
            if isinstance(one, int) and not isinstance(one, bool):
                found.append(one)
    return found


def _late_after(day: Any, done: Any, least_days: int, today: date) -> Any:
    """SQL: a duty due at the earliest ``least_days`` calendar days after ``day`` is done
    after that, or not done while that has passed (a superset of late)."""
    return sa.and_(
        day.is_not(None),
        sa.or_(
            sa.and_(done.is_not(None), done > days_after(day, least_days)),
            sa.and_(done.is_(None), day < today - timedelta(days=least_days)),
        ),
    )


def _plain(amount: Decimal) -> str:
    """An amount without trailing zeros: 4000000, 3999999.5."""
    return f"{amount.normalize():f}"


# 货物、服务 fall under 政府采购法 (第二十七条: the State Council and the provinces set
# their thresholds); 工程 under 招标投标法 and 发改委16号令 (第五条: 施工 400万元).
GOODS_SERVICES = ("货物", "服务")
# 国办发〔2019〕55号 (central units, from 2020-01-01): 分散采购限额 货物·服务 100万元,
# 工程 120万元; 公开招标 货物·服务 200万元; 工程 by 16号令.  Local units: the
# province's own figures (政府采购法 第八条、第二十七条; 财库〔2019〕69号 gives the floors).
# The local defaults below are the platform's former figures, above those floors, kept
# until an administrator enters the province's catalogue in force as a policy entry —
# the province's figures could not be verified here (docs/legal_basis.md §2).
CENTRAL_DECENTRALISED = {"货物": "1000000", "服务": "1000000", "工程": "1200000"}
CENTRAL_OPEN_TENDER = {"货物": "2000000", "服务": "2000000", "工程": "4000000"}
LOCAL_DECENTRALISED = {"货物": "1000000", "服务": "1000000", "工程": "1200000"}
LOCAL_OPEN_TENDER = {"货物": "4000000", "服务": "4000000", "工程": "4000000"}
TENDERS = ("公开招标", "邀请招标")


def _category(item: ItemFact) -> str:
    """The item's procurement category (货物/服务/工程); a construction item is 工程."""
    if item.category == "construction":
        return "工程"
    kind = item.fields.get("item_category")
    return str(kind) if kind in ("货物", "服务", "工程") else "货物"


def _by_category(table: Mapping[str, object], category: str) -> Decimal | None:
    value = table.get(category)
    return None if value is None else money(value)


_THRESHOLD_KINDS = {
    "decentralised_limit": ("分散采购限额标准", "decentralised-procurement limit"),
    "open_tender": ("公开招标数额标准", "open-tender threshold"),
    "unit_threshold": ("本单位设定的限额", "unit's own threshold"),
}
_EXEMPT = {
    "budget_adjusted": ("项目预算经调整", "the project's budget was adjusted"),
    "non_open_approved": ("经批准采用公开招标以外方式", "a non-open method was approved"),
}


class JustUnderThreshold(Rule):
    code = "procurement_just_under_threshold"
    basis = (
        "《政府采购法》第八条、第二十七条、第二十八条（采购限额标准、公开招标数额标准，"
        "不得规避公开招标）；国办发〔2019〕55号（中央预算单位）；"
        "《必须招标的工程项目规定》（国家发展改革委令第16号）第五条（工程施工400万元）"
    )
    material = (Material("amount", "more", "金额", "amount"),)
    name = "采购金额贴近限额"
    name_en = "Procurement amount just under a threshold"
    description = (
        "采购预算金额略低于本单位适用的分散采购限额或公开招标数额标准（按品目类别和预算级次，"
        "在设定的比例区间内），可能为规避程序。"
    )
    description_en = (
        "A procurement amount just under the unit's decentralised-procurement limit or "
        "open-tender threshold (by category and government level, within the configured "
        "band): possibly set to avoid the procedure."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "decentralised_limits": Param(
            LOCAL_DECENTRALISED, "money_map", "分散采购限额标准 by category, yuan"
        ),
        "open_tender": Param(LOCAL_OPEN_TENDER, "money_map", "公开招标数额标准 by category, yuan"),
        "thresholds": Param([], "money_list", "further thresholds of the unit's own, yuan"),
        "band": Param(0.05, "share", "how far under a threshold counts as just under"),
        "severity": Param(50, "int"),
    }
    level_defaults: ClassVar[Mapping[str, Mapping[str, object]]] = {
        "central": {"decentralised_limits": CENTRAL_DECENTRALISED,
                    "open_tender": CENTRAL_OPEN_TENDER},
    }  # fmt: skip

    reads = (CATEGORY,)
    fields = ("amount", "item_category")

    def candidates(self, data: ScanData) -> Any:
        # Within the widest band under any threshold any policy value names.
        bands = [Decimal(str(b)) for b in data.values(self.code, "band")]
        band = max(bands, default=Decimal(0))
        tops = _figures(data.values(self.code, "decentralised_limits"))
        tops |= _figures(data.values(self.code, "open_tender"))
        tops |= _figures(data.values(self.code, "thresholds"))
        cent = Decimal("0.01")
        return sa.or_(sa.false(), *[
            sa.and_(Item.f_amount >= (top * (1 - band)).quantize(cent, ROUND_FLOOR),
                    Item.f_amount < top)
            for top in sorted(tops)
        ])  # fmt: skip

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            amount = item.fields.get("amount")
            if amount is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            band = Decimal(str(params["band"]))
            category = _category(item)
            named = {
                "decentralised_limit": _by_category(params["decentralised_limits"], category),
                "open_tender": _by_category(params["open_tender"], category),
            }
            found: dict[Decimal, str] = {}
            for extra in params["thresholds"]:
                if (value := money(extra)) is not None:
                    found.setdefault(value, "unit_threshold")
            for kind, value in named.items():
                if value is not None:
                    found[value] = kind
            for threshold in sorted(found):
                if threshold * (1 - band) <= amount < threshold:
                    signals.append(
                        _signal(
                            self, item, int(params["severity"]),
                            {"amount": str(amount), "threshold": _plain(threshold),
                             "threshold_kind": found[threshold], "category": category,
                             "band": float(band)},
                            # One name per threshold however the policy writes it
                            # (4000000, "4000000.00"): the event's identity must not change.
                            ctx, "amount", subject=_plain(threshold),
                        )
                    )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        amount, threshold = money(evidence.get("amount")), money(evidence.get("threshold"))
        kind = _THRESHOLD_KINDS.get(
            str(evidence.get("threshold_kind")), _THRESHOLD_KINDS["unit_threshold"]
        )
        category = w.category(evidence.get("category"))
        gap = w.money(threshold - amount) if amount is not None and threshold is not None else "—"
        band = w.percent(evidence.get("band"))
        return Explanation((
            say(w.t(f"采购金额{w.money(amount)}，低于{category}类{kind[0]}{w.money(threshold)}，"
                    f"仅差{gap}（在限额以下{band}的区间内），可能为规避程序而定。",
                    f"The amount {w.money(amount)} is {gap} under the {kind[1]} for {category} "
                    f"({w.money(threshold)}), within {band} of it: possibly set to avoid the "
                    "procedure.")),
        ))  # fmt: skip

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        return words.t(f"限额{words.money(evidence.get('threshold'))}",
                       f"threshold {words.money(evidence.get('threshold'))}")  # fmt: skip


def _exempt(item: ItemFact) -> str | None:
    """Why a purchase does not count towards splitting (实施条例 第二十八条 但书)."""
    if item.fields.get("budget_adjusted") is True:
        return "budget_adjusted"
    if item.fields.get("non_open_approved") is True:
        return "non_open_approved"
    return None


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
        "同一单位在一个财政年度内，将一个预算项目下同一品目或者类别的货物、服务，以公开招标以外"
        "的方式多次采购，累计金额超过公开招标数额标准（项目预算调整或经批准采用公开招标以外"
        "方式的除外；工程不适用本条）。"
    )
    description_en = (
        "In one unit and fiscal year, goods or services of one budget project and one "
        "catalogue item or class bought several times by methods other than open tender, "
        "the cumulative amount above the open-tender threshold (except where the budget was "
        "adjusted or a non-open method approved; works are not covered by this article)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "open_tender": Param(LOCAL_OPEN_TENDER, "money_map", "公开招标数额标准 by category, yuan"),
        "open_methods": Param(["公开招标"], "text_list", "methods that are open tender"),
        "severity": Param(60, "int", "at the threshold"),
        "per_percent_over": Param(0.5, "number", "added per percent of the threshold exceeded"),
    }
    level_defaults: ClassVar[Mapping[str, Mapping[str, object]]] = {
        "central": {"open_tender": CENTRAL_OPEN_TENDER}
    }

    def upgrade(self, values: Mapping[str, Any]) -> dict[str, Any]:
        # Before 2026-12: one open_tender_threshold for every category.
        found = dict(values)
        if "open_tender_threshold" in found:
            figure = found.pop("open_tender_threshold")
            found.setdefault("open_tender", dict.fromkeys(GOODS_SERVICES, figure))
        return found

    reach = "unit"
    incremental = False

    reads = (CATEGORY,)
    fields = (
        "amount",
        "budget_project",
        "item_category",
        "catalogue_code",
        "method",
        "budget_adjusted",
        "non_open_approved",
    )

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        # The purchases that may count, in order of starting (sorted after filtering: a
        # full scan judges every procurement of the year here).
        kept: list[tuple[datetime, int, ItemFact, Decimal, tuple[int, int, str, str, str]]] = []
        for item in facts:
            fields = item.fields
            amount, project = fields.get("amount"), fields.get("budget_project")
            kind = fields.get("item_category")
            if amount is None or not project or kind not in GOODS_SERVICES or not _live(item):
                continue
            # 同一品目或者类别: the catalogue code where the item gives one, else its class.
            code = str(fields.get("catalogue_code") or "").strip()
            key = (item.unit_id, item.started_day.year, str(project), code or str(kind), str(kind))
            kept.append((item.started_at, item.id, item, amount, key))
        kept.sort(key=lambda k: (k[0], k[1]))
        groups: dict[tuple[int, int, str, str, str], list[tuple[ItemFact, Decimal]]] = defaultdict(
            list
        )
        for _at, _id, item, amount, key in kept:
            groups[key].append((item, amount))
        # A unit's terms on a day (open methods, the open-tender figure of a class), worked
        # out once for all the purchases of that day.
        terms: dict[tuple[int, date, str], tuple[Any, Decimal]] = {}
        signals = []
        for (unit_id, year, project, group, kind), members in groups.items():
            total = Decimal(0)
            crossing: ItemFact | None = None
            threshold = Decimal(0)
            split: list[tuple[ItemFact, Decimal]] = []
            exempt: list[dict[str, object]] = []
            for item, amount in members:  # in order of starting
                term = terms.get((unit_id, item.started_day, kind))
                if term is None:
                    params = ctx.params(unit_id, item.started_day)
                    term = terms[(unit_id, item.started_day, kind)] = (
                        params["open_methods"],
                        _by_category(params["open_tender"], kind) or Decimal(0),
                    )
                if item.fields.get("method") in term[0]:
                    continue
                if (why := _exempt(item)) is not None:
                    exempt.append({"item": item.id, "amount": str(amount), "reason": why})
                    continue
                split.append((item, amount))
                total += amount
                threshold = term[1]
                if crossing is None and threshold and total > threshold and len(split) > 1:
                    crossing = item
            if crossing is None:
                continue
            params = ctx.params(unit_id, crossing.started_day)
            over = float((total - threshold) / threshold * 100)
            evidence = {
                "fiscal_year": year, "budget_project": project, "item_category": kind,
                "catalogue_code": None if group == kind else group,
                "total": str(total), "threshold": _plain(threshold),
                "items": [{"item": i.id, "amount": str(a), "method": i.fields.get("method")}
                          for i, a in split],
            }  # fmt: skip
            if exempt:
                evidence["exempt"] = exempt
            signals.append(
                _signal(
                    self, crossing, grow(params["severity"], params["per_percent_over"], over),
                    evidence, ctx, "amount", subject=f"{year}/{project}/{group}",
                )
            )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        kind, code = w.category(evidence.get("item_category")), evidence.get("catalogue_code")
        group = (
            w.t(f"品目（目录代码{code}）", f"catalogue item {code}")
            if code
            else w.t(f"{kind}类别", f"class of {kind}")
        )
        items = [i for i in evidence.get("items") or [] if isinstance(i, Mapping)]
        year, project = evidence.get("fiscal_year"), evidence.get("budget_project")
        total, threshold = w.money(evidence.get("total")), w.money(evidence.get("threshold"))
        sentences = [say(w.t(
            f"{year}年度，预算项目「{project}」下同一{group}以公开招标以外的方式采购了{len(items)}次，"
            f"累计{total}，超过公开招标数额标准{threshold}（化整为零规避公开招标）。",
            f"In fiscal year {year}, the {group} of budget project {project} was bought "
            f"{len(items)} times by methods other than open tender: {total} in all, above the "
            f"open-tender threshold of {threshold}."))]  # fmt: skip
        header = (w.t("事项", "Item"), w.t("金额", "Amount"), w.t("采购方式", "Method"))
        tables = [Table(header, tuple((w.item(i.get("item")), w.money(i.get("amount")),
                                       w.method(i.get("method"))) for i in items),
                        w.t("计入累计的采购", "Purchases counted"))]  # fmt: skip
        exempt = [i for i in evidence.get("exempt") or [] if isinstance(i, Mapping)]
        if exempt:
            why = (
                w.t("事项", "Item"),
                w.t("金额", "Amount"),
                w.t("不计入的原因", "Not counted because"),
            )
            tables.append(Table(why, tuple(
                (w.item(i.get("item")), w.money(i.get("amount")),
                 w.t(*_EXEMPT.get(str(i.get("reason")), ("其他原因", "another reason"))))
                for i in exempt), w.t("不计入累计的采购", "Purchases not counted")))  # fmt: skip
        return Explanation(tuple(sentences), tuple(tables))

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        year, project = evidence.get("fiscal_year"), evidence.get("budget_project")
        kind = evidence.get("catalogue_code") or words.category(evidence.get("item_category"))
        return words.t(f"{year}年度·{project}·{kind}", f"{year} · {project} · {kind}")


def _method(item: ItemFact) -> str | None:
    """A construction item's bidders were counted at its tender (招标投标法)."""
    if item.category == "construction":
        return "工程招标"
    method = item.fields.get("method")
    return str(method) if method else None


class SingleBidder(Rule):
    code = "procurement_single_bidder"
    basis = (
        "《政府采购法》第三十六条（招标中供应商不足三家的，应予废标）、第三十八条、第四十条；"
        "财库〔2015〕124号（政府购买服务的竞争性磋商可为两家）；"
        "《招标投标法》第二十八条（投标人少于三个的，应当重新招标）"
    )
    material = (
        Material("bidders", "changed", "投标人数", "bidders"),
        Material("method", "changed", "采购方式", "procurement method"),
    )
    name = "供应商不足三家"
    name_en = "Fewer than three suppliers"
    description = (
        "以招标、竞争性谈判、询价、竞争性磋商方式采购，或工程招标，投标（响应）供应商少于法定"
        "数量（三家；符合财库〔2015〕124号情形的磋商为两家）仍确定成交。"
    )
    description_en = (
        "A tender, competitive negotiation, inquiry, competitive consultation or works tender "
        "awarded with fewer suppliers than the law requires (three; two for a consultation "
        "in the cases of 财库〔2015〕124号)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "min_bidders": Param(
            {"公开招标": 3, "邀请招标": 3, "竞争性谈判": 3, "询价": 3, "竞争性磋商": 3,
             "工程招标": 3},
            "int_map", "the fewest suppliers by method; a method not listed is not judged",
        ),
        "consultation_two_allowed": Param(
            2, "int", "磋商 when the item records the 财库〔2015〕124号 case"
        ),
        "severity": Param(60, "int", "one supplier short"),
        "per_bidder_short": Param(15, "number"),
    }  # fmt: skip

    reads = (CATEGORY, "construction")
    fields = ("bidders", "method", "two_suppliers_allowed")

    def upgrade(self, values: Mapping[str, Any]) -> dict[str, Any]:
        # Before 2026-12: one whole number for every method (and 2 by default).
        found = dict(values)
        if isinstance(found.get("min_bidders"), int) and not isinstance(found["min_bidders"], bool):
            methods = self.params["min_bidders"].default
            found["min_bidders"] = dict.fromkeys(methods, found["min_bidders"])
        return found

    def collect(self, data: ScanData) -> list[ItemFact]:
        return [*data.items_for(self, CATEGORY), *data.items_for(self, "construction")]

    def candidates(self, data: ScanData) -> Any:
        # Fewer bidders than the largest minimum of any method (two allowed only lowers it).
        most = max(_whole_numbers(data.values(self.code, "min_bidders")), default=0)
        return Item.f_bidders < most

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            bidders = item.fields.get("bidders")
            if not isinstance(bidders, int) or isinstance(bidders, bool):
                continue
            params = ctx.params(item.unit_id, item.started_day)
            method = _method(item)
            minimum = params["min_bidders"].get(method) if method else None
            if minimum is None:
                continue
            if method == "竞争性磋商" and item.fields.get("two_suppliers_allowed") is True:
                minimum = min(minimum, int(params["consultation_two_allowed"]))
            if bidders < minimum:
                signals.append(
                    _signal(
                        self, item,
                        grow(params["severity"], params["per_bidder_short"], minimum - bidders - 1),
                        {"method": method, "bidders": bidders, "min_bidders": minimum},
                        ctx, "bidders",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        method, n, least = (
            w.method(evidence.get("method")),
            evidence.get("bidders"),
            evidence.get("min_bidders"),
        )
        return Explanation((
            say(w.t(f"以{method}方式采购，只有{n}家供应商投标（响应），少于法定的{least}家，仍确定了成交。",
                    f"Bought by {method} with {n} supplier(s) bidding, fewer than the {least} "
                    "the law requires, and awarded all the same.")),
        ))  # fmt: skip


class ShortTenderPeriod(Rule):
    code = "procurement_short_tender_period"
    basis = (
        "《政府采购法》第三十五条（招标不少于二十日）；财库〔2014〕214号第十条（磋商不少于10日）；"
        "《政府采购非招标采购方式管理办法》（财政部令第74号）（谈判、询价不少于3个工作日）"
    )
    material = (
        Material("tender_start", "changed", "招标文件发出日期", "tender documents issued"),
        Material("tender_end", "changed", "投标截止日期", "bids due"),
    )
    name = "等标期不足"
    name_en = "Submission period too short"
    description = (
        "采购文件发出至响应截止的期限少于法定最短期限：招标（公开、邀请）不少于20日，"
        "竞争性磋商不少于10日，竞争性谈判、询价不少于3个工作日。"
    )
    description_en = (
        "From the documents to the deadline, less than the legal minimum: tenders (open or "
        "invitation) 20 days, competitive consultation 10 days, competitive negotiation and "
        "inquiry 3 working days."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "min_days": Param(
            {"公开招标": 20, "邀请招标": 20, "竞争性磋商": 10}, "int_map",
            "minimum calendar days by method",
        ),
        "min_working_days": Param(
            {"竞争性谈判": 3, "询价": 3}, "int_map", "minimum working days by method"
        ),
        "severity": Param(60, "int", "one day short"),
        "per_day_short": Param(5, "number"),
    }  # fmt: skip

    reads = (CATEGORY,)
    fields = ("tender_start", "tender_end", "method")

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            start, end = item.fields.get("tender_start"), item.fields.get("tender_end")
            if start is None or end is None:
                continue
            params = ctx.params(item.unit_id, start)
            method = item.fields.get("method")
            unit = "days"
            minimum = params["min_days"].get(method)
            if minimum is not None:
                days = (end - start).days
            elif (minimum := params["min_working_days"].get(method)) is not None:
                unit = "working_days"
                # From the day after issue (民法典 第二百零一条) to the deadline day.
                days = ctx.calendar.working_days_between(start, end)
            else:
                continue
            if days < minimum:
                signals.append(
                    _signal(
                        self, item,
                        grow(params["severity"], params["per_day_short"], minimum - days - 1),
                        {"method": method, "tender_start": start.isoformat(),
                         "tender_end": end.isoformat(), "days": days, "min_days": minimum,
                         "unit": unit},
                        ctx, "tender_end",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        working = evidence.get("unit") == "working_days"
        days = w.days(evidence.get("days"), working=working)
        least = w.days(evidence.get("min_days"), working=working)
        start, end = w.date(evidence.get("tender_start")), w.date(evidence.get("tender_end"))
        method = w.method(evidence.get("method"))
        return Explanation((
            say(w.t(f"以{method}方式采购，采购文件于{start}发出，响应截止于{end}，期限为{days}，"
                    f"少于法定最短的{least}。",
                    f"Bought by {method}: documents issued {start}, bids due {end} — {days}, "
                    f"less than the legal minimum of {least}.")),
        ))  # fmt: skip


def last_day(calendar: WorkingCalendar, start: date, days: int) -> date:
    """The last day of a period of ``days`` days from ``start``: the start day is not
    counted (民法典 第二百零一条), and a last day that is a 法定休假日 (a rest day or a
    holiday, by the working calendar) moves to the next working day (第二百零三条)."""
    return calendar.working_day_on_or_after(start + timedelta(days=days))


class LateContract(Rule):
    code = "procurement_late_contract"
    basis = "《政府采购法》第四十六条；《民法典》第二百零一条、第二百零三条（期间计算）"
    material = (
        Material("awarded_on", "changed", "中标通知日期", "award date"),
        Material("signed_on", "changed", "合同签订日期", "contract signed"),
    )
    name = "中标后逾期签订合同"
    name_en = "Contract signed late after award"
    description = (
        "自中标（成交）通知书发出之日起三十日内未签订合同（期间最后一日是法定休假日的，"
        "以休假日结束的次日为最后一日），或至今仍未签订。"
    )
    description_en = (
        "The contract not signed within 30 days of the award notice (a last day on a rest "
        "day or holiday moves to the next working day), or still unsigned."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "max_days": Param(30, "int", "days from award to signature"),
        "severity": Param(40, "int", "one day late"),
        "per_day_late": Param(2, "number"),
    }
    daily = True

    reads = (CATEGORY,)
    fields = ("awarded_on", "signed_on")

    def candidates(self, data: ScanData) -> Any:
        # The last day is at least the shortest term after the award (it only moves later).
        least = min(_whole_numbers(data.values(self.code, "max_days")), default=0)
        return _late_after(Item.f_awarded_on, Item.f_signed_on, least, data.today)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            awarded = item.fields.get("awarded_on")
            if awarded is None:
                continue
            signed = item.fields.get("signed_on")
            if signed is None and item.status != "running":
                continue
            params = ctx.params(item.unit_id, awarded)
            deadline = last_day(ctx.calendar, awarded, int(params["max_days"]))
            late = ((signed or ctx.today) - deadline).days
            if late > 0:
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_day_late"], late - 1),
                        {"awarded_on": awarded.isoformat(),
                         "signed_on": signed.isoformat() if signed else None,
                         "deadline": deadline.isoformat(),
                         "days_late": late, "max_days": params["max_days"]},
                        ctx, "signed_on",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        awarded, deadline = w.date(evidence.get("awarded_on")), w.date(evidence.get("deadline"))
        late, signed = w.days(evidence.get("days_late")), evidence.get("signed_on")
        first = w.t(f"中标（成交）通知书于{awarded}发出，应在{w.days(evidence.get('max_days'))}内、"
                    f"即{deadline}前签订合同；",
                    f"The award notice went out {awarded}; the contract was due by {deadline} "
                    f"({w.days(evidence.get('max_days'))}); ")  # fmt: skip
        then = (
            w.t(
                f"合同于{w.date(signed)}签订，逾期{late}。",
                f"it was signed {w.date(signed)}, {late} late.",
            )
            if signed
            else w.t(f"至今未签订，已逾期{late}。", f"it is still unsigned, {late} late.")
        )
        return Explanation((say(first, then),))


_DUTIES = {"publication": ("公告", "published"), "filing": ("备案", "filed")}


class _AfterSigning(Rule):
    """A duty to be done within working days of the contract's signature."""

    field: ClassVar[str]
    duty: ClassVar[str]
    reads = (CATEGORY,)
    daily = True

    def candidates(self, data: ScanData) -> Any:
        # n working days after the signature are at least n calendar days after it.
        least = min(_whole_numbers(data.values(self.code, "max_working_days")), default=0)
        done = getattr(Item, f"f_{self.field}")
        return _late_after(Item.f_signed_on, done, least, data.today)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            signed = item.fields.get("signed_on")
            if signed is None:
                continue
            done = item.fields.get(self.field)
            if done is None and item.status != "running":
                continue
            if done is None and not ctx.editors(item.definition_id, self.field):
                continue  # its process (an older version) has no step that records it
            params = ctx.params(item.unit_id, signed)
            limit = int(params["max_working_days"])
            deadline = ctx.calendar.add_working_days(signed, limit)
            late = ctx.calendar.working_days_between(deadline, done or ctx.today)
            if late > 0:
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_day_late"], late - 1),
                        {"signed_on": signed.isoformat(), self.field: done and done.isoformat(),
                         "deadline": deadline.isoformat(), "working_days_late": late,
                         "max_working_days": limit},
                        ctx, self.field,
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        duty = _DUTIES.get(self.duty, ("办理", "done"))
        signed, deadline = w.date(evidence.get("signed_on")), w.date(evidence.get("deadline"))
        limit = w.days(evidence.get("max_working_days"), working=True)
        late = w.days(evidence.get("working_days_late"), working=True)
        done = evidence.get(self.field)
        first = w.t(f"合同于{signed}签订，应在{limit}内（{deadline}前）{duty[0]}；",
                    f"The contract was signed {signed} and due to be {duty[1]} within {limit} "
                    f"(by {deadline}); ")  # fmt: skip
        then = (
            w.t(
                f"实际于{w.date(done)}{duty[0]}，逾期{late}。",
                f"it was {duty[1]} {w.date(done)}, {late} late.",
            )
            if done
            else w.t(f"至今未{duty[0]}，已逾期{late}。", f"it is still not {duty[1]}, {late} late.")
        )
        return Explanation((say(first, then),))


class LatePublication(_AfterSigning):
    code = "procurement_late_contract_publication"
    field = "published_on"
    fields = ("signed_on", "published_on")
    duty = "publication"
    basis = "《政府采购法实施条例》第五十条（合同签订之日起2个工作日内公告）"
    material = (Material("published_on", "changed", "合同公告日期", "contract published"),)
    name = "合同逾期公告"
    name_en = "Contract published late"
    description = "政府采购合同自签订之日起2个工作日内未在指定媒体公告，或至今未公告。"
    description_en = "The procurement contract not published within 2 working days of signing."
    params: ClassVar[Mapping[str, Param]] = {
        "max_working_days": Param(2, "int", "working days from signing"),
        "severity": Param(30, "int", "one working day late"),
        "per_day_late": Param(3, "number"),
    }


class LateFiling(_AfterSigning):
    code = "procurement_late_contract_filing"
    field = "filed_on"
    fields = ("signed_on", "filed_on")
    duty = "filing"
    basis = "《政府采购法》第四十七条（合同自签订之日起七个工作日内备案）"
    material = (Material("filed_on", "changed", "合同备案日期", "contract filed"),)
    name = "合同逾期备案"
    name_en = "Contract filed late"
    description = "政府采购合同自签订之日起七个工作日内未将副本报同级政府采购监督管理部门备案。"
    description_en = (
        "The contract copy not filed with the supervising department within 7 working days."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "max_working_days": Param(7, "int", "working days from signing"),
        "severity": Param(30, "int", "one working day late"),
        "per_day_late": Param(3, "number"),
    }


class LateSmePayment(Rule):
    code = "procurement_late_sme_payment"
    basis = "《保障中小企业款项支付条例》（2025年修订）第九条、第十条"
    material = (Material("paid_on", "changed", "付款日期", "paid on"),)
    name = "拖欠中小企业款项"
    name_en = "Late payment to a small or medium enterprise"
    description = (
        "从中小企业采购货物、工程、服务，自交付之日起30日内未支付款项；合同另有约定的从其约定，"
        "但最长不超过60日；约定以验收合格为付款条件的，自验收合格之日起算。"
    )
    description_en = (
        "A small or medium supplier not paid within 30 days of delivery (or the contract's "
        "term, at most 60 days; from acceptance where the contract makes acceptance the "
        "condition of payment)."
    )
    params: ClassVar[Mapping[str, Param]] = {
        "days": Param(30, "int", "days from delivery when the contract says nothing"),
        "max_days": Param(60, "int", "the longest term a contract may set"),
        "severity": Param(40, "int", "one day late"),
        "per_day_late": Param(1, "number"),
    }
    daily = True

    reads = (CATEGORY, "contract")
    fields = (
        "sme",
        "payment_on_acceptance",
        "accepted_on",
        "delivered_on",
        "paid_on",
        "payment_days",
    )

    def collect(self, data: ScanData) -> list[ItemFact]:
        return [*data.items_for(self, CATEGORY), *data.items_for(self, "contract")]

    def candidates(self, data: ScanData) -> Any:
        return Item.f_sme.is_(True)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            if item.fields.get("sme") is not True:
                continue
            on_acceptance = item.fields.get("payment_on_acceptance") is True
            start = item.fields.get("accepted_on" if on_acceptance else "delivered_on")
            if start is None:
                continue
            paid = item.fields.get("paid_on")
            if paid is None and item.status != "running":
                continue
            if paid is None and not ctx.editors(item.definition_id, "paid_on"):
                continue  # its process (an older version) has no step that records it
            params = ctx.params(item.unit_id, start)
            term = item.fields.get("payment_days")
            days = int(params["days"])
            if isinstance(term, int) and not isinstance(term, bool) and term > 0:
                days = min(term, int(params["max_days"]))  # 从其约定, at most 60
            deadline = last_day(ctx.calendar, start, days)
            late = ((paid or ctx.today) - deadline).days
            if late > 0:
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_day_late"], late - 1),
                        {"from": "accepted_on" if on_acceptance else "delivered_on",
                         "start": start.isoformat(), "term_days": days,
                         "deadline": deadline.isoformat(),
                         "paid_on": paid.isoformat() if paid else None, "days_late": late},
                        ctx, "paid_on",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        accepted = evidence.get("from") == "accepted_on"
        since = w.t("验收合格", "acceptance") if accepted else w.t("交付", "delivery")
        start, deadline = w.date(evidence.get("start")), w.date(evidence.get("deadline"))
        term, late = w.days(evidence.get("term_days")), w.days(evidence.get("days_late"))
        paid = evidence.get("paid_on")
        first = w.t(f"向中小企业采购，自{since}之日（{start}）起{term}内应当付款（至{deadline}）；",
                    f"A small or medium supplier, to be paid within {term} of {since} ({start}), "
                    f"by {deadline}; ")  # fmt: skip
        then = (
            w.t(f"实际于{w.date(paid)}支付，逾期{late}。", f"paid {w.date(paid)}, {late} late.")
            if paid
            else w.t(f"至今未支付，已逾期{late}。", f"still unpaid, {late} late.")
        )
        return Explanation((say(first, then),))


class SupplementExcess(Rule):
    code = "procurement_supplement_excess"
    basis = "《政府采购法》第四十九条（所有补充合同的采购金额不得超过原合同采购金额的百分之十）"
    material = (Material("supplement_amount", "more", "补充合同金额", "supplementary amount"),)
    name = "补充合同超过百分之十"
    name_en = "Supplementary contracts above ten percent"
    description = "所有补充合同的累计金额超过原合同金额的10%。"
    description_en = "All supplementary contracts together above 10 % of the original contract."
    params: ClassVar[Mapping[str, Param]] = {
        "max_share": Param(0.1, "share"),
        "severity": Param(50, "int", "at the limit"),
        "per_percent_over": Param(2, "number"),
    }

    reads = (CATEGORY, "contract")
    fields = ("contract_amount", "supplement_amount")

    def collect(self, data: ScanData) -> list[ItemFact]:
        return [*data.items_for(self, CATEGORY), *data.items_for(self, "contract")]

    def candidates(self, data: ScanData) -> Any:
        return sa.and_(Item.f_supplement_amount.is_not(None), Item.f_contract_amount != ZERO)

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        signals = []
        for item in filter(_live, facts):
            contract = item.fields.get("contract_amount")
            extra = item.fields.get("supplement_amount")
            if not contract or extra is None:
                continue
            params = ctx.params(item.unit_id, item.started_day)
            share = extra / contract
            limit = Decimal(str(params["max_share"]))
            if share > limit:
                over = float((share - limit) * 100)
                signals.append(
                    _signal(
                        self, item, grow(params["severity"], params["per_percent_over"], over),
                        {"contract_amount": str(contract), "supplement_amount": str(extra),
                         "share": round(float(share), 4), "max_share": params["max_share"]},
                        ctx, "supplement_amount",
                    )
                )  # fmt: skip
        return signals

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        contract, extra = (
            w.money(evidence.get("contract_amount")),
            w.money(evidence.get("supplement_amount")),
        )
        share, limit = w.percent(evidence.get("share")), w.percent(evidence.get("max_share"))
        return Explanation((
            say(w.t(f"原合同金额{contract}，补充合同累计{extra}，占原合同的{share}，超过{limit}的上限。",
                    f"Original contract {contract}; supplementary contracts {extra} in all, "
                    f"{share} of it — above the {limit} limit.")),
        ))  # fmt: skip


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
    fields = ("supplier", "awarded_on", "award_amount")

    def evaluate(self, facts: Sequence[ItemFact], ctx: Context) -> list[Signal]:
        awards: dict[int, list[tuple[str, Decimal, ItemFact]]] = defaultdict(list)
        today = ctx.today
        windows: dict[int, date] = {}
        for item in filter(_live, facts):
            supplier, awarded = item.fields.get("supplier"), item.fields.get("awarded_on")
            if not supplier or awarded is None:
                continue
            opens = windows.get(item.unit_id)
            if opens is None:
                days = int(ctx.params(item.unit_id)["window_days"])
                opens = windows[item.unit_id] = today - timedelta(days=days)
            if not opens < awarded <= today:
                continue
            amount = item.fields.get("award_amount")
            if amount is not None:
                awards[item.unit_id].append((str(supplier), amount, item))
        signals = []
        for unit_id, rows in awards.items():
            params = ctx.params(unit_id)
            total = sum((a for _s, a, _i in rows), Decimal(0))
            if len(rows) < int(params["min_awards"]) or total == 0:
                continue
            by_supplier: dict[str, Decimal] = defaultdict(Decimal)
            their_items: dict[str, list[int]] = defaultdict(list)
            for supplier, amount, item in rows:
                by_supplier[supplier] += amount
                their_items[supplier].append(item.id)
            for supplier, amount in sorted(by_supplier.items()):
                share = float(amount / total)
                if share <= float(params["max_share"]):
                    continue
                items = their_items[supplier]
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

    def explain(self, evidence: Mapping[str, Any], words: Words) -> Explanation:
        w = words
        supplier, share = evidence.get("supplier"), w.percent(evidence.get("share"))
        amount, total = w.money(evidence.get("amount")), w.money(evidence.get("unit_total"))
        awards, window = evidence.get("awards"), w.days(evidence.get("window_days"))
        items: list[Any] = []
        for n, ref in enumerate(evidence.get("items") or []):
            items += [w.t("、", ", ")] if n else []
            items.append(w.item(ref))
        return Explanation((
            say(w.t(f"近{window}内，供应商「{supplier}」在本单位成交{amount}，占全部{awards}笔成交"
                    f"金额{total}的{share}。",
                    f"Over the last {window}, supplier {supplier} was awarded {amount}: {share} "
                    f"of the unit's {awards} awards ({total}).")),
            say(w.t("涉及事项：", "Its items: "), tuple(items), w.t("。", ".")),
        ))  # fmt: skip

    def subject_text(self, subject: str | None, evidence: Mapping[str, Any], words: Words) -> str:
        return str(evidence.get("supplier") or "")
