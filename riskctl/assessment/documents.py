"""The monthly report as files: a PDF (ReportLab, the shipped CJK font embedded, charts
as vectors) and an XLSX (openpyxl, a sheet per part, native Excel charts).

Both render the plain data ``reports.gather`` collects; nothing here reads the database.
The words are Chinese, as the report is the commission's document (the page around it
follows the reader's language).  An XLSX cannot embed a font (Excel and WPS read none
from the file): its cells name 宋体, which every Chinese office suite has, and hold
Unicode text, so nothing depends on the machine that built it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from riskctl.assessment import charts
from riskctl.core.exports import safe_text

SHEET_FONT = "宋体"
LEVEL_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色"}


def _styles() -> dict[str, ParagraphStyle]:
    font = charts.register_font()
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=base,
            fontSize=11,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#555555"),
            spaceAfter=12,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontSize=13,
            leading=20,
            spaceBefore=10,
            spaceAfter=6,
            textColor=colors.HexColor("#8b1a1a"),
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=11, leading=16, spaceBefore=6, spaceAfter=4
        ),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=8, textColor=colors.HexColor("#666666")
        ),
    }


def _esc(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    styles: Mapping[str, Any],
    widths: Sequence[float] | None = None,
) -> Table:
    cell = styles["cell"]
    data = [[Paragraph(f"<b>{_esc(h)}</b>", cell) for h in header]]
    data += [[Paragraph(_esc(v), cell) for v in row] for row in rows]
    if len(data) == 1:
        data.append([Paragraph("（无）", cell)] + [""] * (len(header) - 1))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _period(data: Mapping[str, Any]) -> str:
    return f"{data['first'].isoformat()} 至 {data['last'].isoformat()}"


def _ranking_rows(data: Mapping[str, Any]) -> list[list[Any]]:
    return [
        [
            u["rank"],
            u["unit_name"],
            f"{u['index']:.2f}",
            u["handled"],
            u["raised"]["red"],
            u["raised"]["orange"],
            u["raised"]["yellow"],
            "、".join(p["name"] for p in u["processes"]) or "—",
            "、".join(f"{r['name']}（{r['count']}）" for r in u["rules"]) or "—",
        ]
        for u in data["profiles"]["units"]
    ]


RANKING_HEADER = [
    "排名",
    "单位",
    "风险指数",
    "办理事项",
    "红",
    "橙",
    "黄",
    "风险最集中的流程",
    "触发最多的规则",
]
USAGE_HEADER = [
    "单位",
    "登录人数",
    "活跃人数",
    "发起事项",
    "办理步骤",
    "无活动工作日",
    "无人活跃岗位占比",
    "平台未使用预警",
]
RED_HEADER = ["单位", "规则", "事项", "涉及人员", "红色预警自", "应处置日期", "是否逾期"]


def _usage_rows(data: Mapping[str, Any]) -> list[list[Any]]:
    return [
        [
            u["unit_name"] + ("（未使用）" if u["dormant"] else ""),
            u["signed_in"],
            u["active_people"],
            u["items_started"],
            u["steps"],
            f"{u['idle_working_days']}/{u['working_days']}",
            "—" if u["posts_idle_share"] is None else f"{u['posts_idle_share']}%",
            len(u["warnings"]),
        ]
        for u in data["usage"]["units"]
    ]


def _red_rows(data: Mapping[str, Any], only_overdue: bool = False) -> list[list[Any]]:
    return [
        [
            r["unit"],
            r["rule"],
            r["item"] or "—",
            r["person"] or "—",
            r["since"],
            r["due"],
            "逾期" if r["overdue"] else "未逾期",
        ]
        for r in data["red"]
        if r["overdue"] or not only_overdue
    ]


def pdf(data: Mapping[str, Any]) -> tuple[bytes, int]:
    """The report as a PDF, and its number of pages."""
    s = _styles()
    out = io.BytesIO()
    pages = {"n": 0}

    def footer(canvas: Any, doc: Any) -> None:
        pages["n"] = doc.page
        canvas.saveState()
        canvas.setFont(charts.FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{data['title']} · 第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=data["title"],
        author="riskctl 廉政风险防控平台",
        initialFontName=charts.FONT,
    )
    o, p = data["overview"], data["profiles"]
    names = data["level_names"]
    weights = p["formula"]["level_weights"]
    story: list[Any] = [
        Paragraph(_esc(data["title"]), s["title"]),
        Paragraph(
            _esc(f"{data['scope']} · {_period(data)} · 生成于 {data['generated_at']}"),
            s["subtitle"],
        ),
        Paragraph("一、总体情况", s["h1"]),
        Paragraph(
            _esc(
                f"本期纳入分析的单位 {o['units']} 个，在平台办理事项 {o['handled']} 件；新产生预警 "
                f"{sum(o['raised'].values())} 条，其中{names['red']} {o['raised']['red']} 条、"
                f"{names['orange']} {o['raised']['orange']} 条、"
                f"{names['yellow']} {o['raised']['yellow']} 条；整体风险指数 {o['index']:.2f}。"
                f"目前尚未处置的红色预警 {o['active_red']} 条，其中逾期未处置 {o['overdue']} 条；"
                f"本月未在平台办理任何事项的单位 {o['dormant']} 个。"
            ),
            s["body"],
        ),
        Spacer(1, 4),
        Paragraph(
            _esc(
                f"风险指数 = Σ（预警等级权重 × 预警分值 ÷ 100）÷ max（平台办理事项数, "
                f"{p['formula']['min_items']}）× {p['formula']['per_items']}；等级权重：红 "
                f"{weights['red']}、橙 {weights['orange']}、黄 {weights['yellow']}"
                "（风险策略“画像”一节）。"
            ),
            s["note"],
        ),
        Spacer(1, 6),
    ]
    ranked = p["units"]
    labels = [u["unit_name"] for u in ranked[:12]]
    story.append(
        KeepTogether(
            [
                charts.levels(
                    labels,
                    {
                        lv: [u["raised"][lv] for u in ranked[:12]]
                        for lv in ("red", "orange", "yellow")
                    },
                    {lv: names[lv] for lv in ("red", "orange", "yellow")},
                    "各单位本期预警（按等级）",
                )
            ]
        )
    )
    overall = [
        round(sum(u["trend"][n] for u in ranked) / max(len(ranked), 1), 2)
        for n in range(len(p["months"]))
    ]
    story.append(KeepTogether([charts.trend(p["months"], overall, "近12个月平均风险指数走势")]))
    story += [
        PageBreak(),
        Paragraph("二、单位风险画像与排名", s["h1"]),
        charts.ranking(
            [u["unit_name"] for u in ranked[:15]],
            [u["index"] for u in ranked[:15]],
            "风险指数排名（前15）",
        ),
        Spacer(1, 6),
        _table(
            RANKING_HEADER,
            _ranking_rows(data),
            s,
            [10 * mm, 28 * mm, 15 * mm, 14 * mm, 8 * mm, 8 * mm, 8 * mm, 40 * mm, 49 * mm],
        ),
    ]
    heavy = [u for u in ranked if u["posts"] or u["nodes"]][:10]
    if heavy:
        story += [
            Paragraph("风险最集中的环节与岗位", s["h2"]),
            _table(
                ["单位", "环节", "岗位", "处置情况（按形态）"],
                [
                    [
                        u["unit_name"],
                        "、".join(n["name"] for n in u["nodes"]) or "—",
                        "、".join(x["name"] for x in u["posts"]) or "—",
                        "、".join(f"{d['name']} {d['count']}" for d in u["dispositions"]) or "—",
                    ]
                    for u in heavy
                ],
                s,
                [30 * mm, 60 * mm, 40 * mm, 50 * mm],
            ),
        ]
    areas = p["areas"]
    heat_rows = []
    for n, u in enumerate(ranked[:20]):
        cells = [v for (i, _k, v) in p["heat"] if i == n]
        heat_rows.append([u["unit_name"], *[f"{v:.1f}" if v else "" for v in cells]])
    story += [
        Paragraph("单位 × 业务领域风险分布（加权）", s["h2"]),
        _table(["单位", *[a["name"] for a in areas]], heat_rows, s),
    ]
    story += [
        PageBreak(),
        Paragraph("三、平台使用情况", s["h1"]),
        Paragraph(
            _esc(
                f"{data['usage']['month']}，本月应有工作日 {data['usage']['working_days']} 天。"
                "未使用平台的单位排在前面。"
            ),
            s["body"],
        ),
        Spacer(1, 4),
        _table(USAGE_HEADER, _usage_rows(data), s),
        Paragraph("四、尚未处置的红色预警", s["h1"]),
        _table(RED_HEADER, _red_rows(data), s),
        Paragraph("五、逾期未处置", s["h1"]),
        _table(RED_HEADER, _red_rows(data, only_overdue=True), s),
    ]
    number = 6
    if data["evaluations"]:
        story += [
            Paragraph(f"{_zh_number(number)}、部门整体支出绩效评价", s["h1"]),
            _table(
                ["单位", "年度", "评价体系", "计算得分", "评价记录得分", "等级"],
                [
                    [
                        e["unit"],
                        e["year"],
                        e["framework"],
                        e["total"],
                        e["recorded_total"],
                        e["grade"],
                    ]
                    for e in data["evaluations"]
                ],
                s,
            ),
        ]
        number += 1
    for section in data["sections"]:
        story.append(Paragraph(f"{_zh_number(number)}、{_esc(section['title'])}", s["h1"]))
        story += [Paragraph(_esc(t), s["body"]) for t in section["paragraphs"]]
        for t in section["tables"]:
            story += [Paragraph(_esc(t["title"]), s["h2"]), _table(t["header"], t["rows"], s)]
        number += 1
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue(), pages["n"]


def _zh_number(n: int) -> str:
    return "零一二三四五六七八九十"[n] if n <= 10 else str(n)


# ---------------------------------------------------------------- XLSX


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    sheet = book.create_sheet(title)
    sheet.append([safe_text(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(name=SHEET_FONT, bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    for row in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.font = Font(name=SHEET_FONT)
    for n, _h in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=n).column_letter].width = 16
    sheet.freeze_panes = "A2"
    return sheet


def xlsx(data: Mapping[str, Any]) -> bytes:
    """The report as a workbook: 概况, 风险排名 (with a chart), 风险分布, 平台使用, 红色预警,
    and a sheet per added section."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    o, p = data["overview"], data["profiles"]
    overview = _sheet(
        book,
        "概况",
        ["项目", "数值"],
        [
            ["报告", data["title"]],
            ["范围", data["scope"]],
            ["期间", _period(data)],
            ["单位数", o["units"]],
            ["平台办理事项", o["handled"]],
            ["新产生红色预警", o["raised"]["red"]],
            ["新产生橙色预警", o["raised"]["orange"]],
            ["新产生黄色预警", o["raised"]["yellow"]],
            ["整体风险指数", o["index"]],
            ["未处置红色预警", o["active_red"]],
            ["逾期未处置", o["overdue"]],
            ["未使用平台的单位", o["dormant"]],
            ["生成日期", data["generated_at"]],
        ],
    )
    overview.column_dimensions["B"].width = 60
    ranking = _sheet(
        book,
        "风险排名",
        RANKING_HEADER,
        [[r[0], r[1], float(r[2]), *r[3:]] for r in _ranking_rows(data)],
    )
    if p["units"]:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "风险指数排名"
        chart.y_axis.title = "风险指数"
        count = min(len(p["units"]), 15)
        chart.add_data(
            Reference(ranking, min_col=3, min_row=1, max_row=count + 1), titles_from_data=True
        )
        chart.set_categories(Reference(ranking, min_col=2, min_row=2, max_row=count + 1))
        chart.height, chart.width = 10, 18
        ranking.add_chart(chart, "K2")
    trend = _sheet(
        book,
        "风险走势",
        ["单位", *p["months"]],
        [[u["unit_name"], *u["trend"]] for u in p["units"]],
    )
    if p["units"]:
        line = LineChart()
        line.title = "近12个月风险指数"
        for n in range(2, min(len(p["units"]), 5) + 2):
            line.add_data(
                Reference(trend, min_col=2, max_col=len(p["months"]) + 1, min_row=n),
                from_rows=True,
                titles_from_data=False,
            )
        line.set_categories(Reference(trend, min_col=2, max_col=len(p["months"]) + 1, min_row=1))
        trend.add_chart(line, "B" + str(len(p["units"]) + 4))
    areas = p["areas"]
    heat = {(i, k): v for i, k, v in p["heat"]}
    _sheet(
        book,
        "风险分布",
        ["单位", *[a["name"] for a in areas]],
        [
            [u["unit_name"], *[heat.get((n, k), 0) for k in range(len(areas))]]
            for n, u in enumerate(p["units"])
        ],
    )
    _sheet(book, "平台使用", USAGE_HEADER, _usage_rows(data))
    _sheet(book, "红色预警", RED_HEADER, _red_rows(data))
    if data["evaluations"]:
        _sheet(
            book,
            "绩效评价",
            ["单位", "年度", "评价体系", "计算得分", "评价记录得分", "等级"],
            [
                [e["unit"], e["year"], e["framework"], e["total"], e["recorded_total"], e["grade"]]
                for e in data["evaluations"]
            ],
        )
    for section in data["sections"]:
        for n, t in enumerate(section["tables"]):
            _sheet(book, f"{section['title']}{n + 1 if n else ''}"[:31], t["header"], t["rows"])
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
