"""An evaluation as the seed's table (《部门整体支出绩效评价指标评分表》): XLSX with the
groups merged down the first two columns, and the same table as a PDF.

Columns as the source's, with the computed and the recorded score side by side and the
reason of each difference.  The evaluation view (``services.evaluation_view``) is the
input: the words were made in the reader's language there.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from riskctl.assessment import charts, documents, words
from riskctl.core.exports import safe_text

HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "分值",
    "指标解释",
    "评分标准",
    "评价情况（输入与计算）",
    "计算得分",
    "评价记录得分",
    "差异及原因",
]


def _rows(view: Mapping[str, Any]) -> tuple[list[list[Any]], list[tuple[int, int, int]]]:
    """The table's rows, and the merges (column, first row, last row) of the groups."""
    result = view["result"]
    by_key = {r["key"]: r for r in result["indicators"]}
    rows: list[list[Any]] = []
    merges: list[tuple[int, int, int]] = []
    for top in result["groups"]:
        top_start = len(rows)
        for group in top["groups"] or [top]:
            start = len(rows)
            for key in group["indicators"]:
                r = by_key[key]
                shown = "；".join(f"{i['label']}：{words.input_value(i)}" for i in r["inputs"])
                how = "；".join(
                    x for x in (shown, r.get("rate_words", ""), r.get("score_words", "")) if x
                )
                reason = r.get("reason_words", "")
                rows.append(
                    [
                        top["name"],
                        f"{group['name']}（{_n(group['max'])}分）",
                        f"{r['index']}、{r['name']}",
                        _n(r["max"]),
                        "",
                        r["rule"],
                        how,
                        _n(r["score"]) if r["score"] is not None else "未计分",
                        _n(r["recorded"]) if r["recorded"] is not None else "",
                        reason
                        + (f"（{r['note']}）" if r["note"] and r["note"] not in reason else ""),
                    ]
                )
            if len(rows) - start > 1:
                merges.append((2, start, len(rows) - 1))
        if len(rows) - top_start > 1:
            merges.append((1, top_start, len(rows) - 1))
    for d in result["deductions"]:
        rows.append(
            [
                "总体减分项",
                d["name"],
                "",
                f"−{_n(d['points'])}",
                "",
                d["rule"],
                "；".join(f"{i['label']}：{words.input_value(i)}" for i in d["inputs"]),
                f"−{_n(d['score'])}" if d["score"] not in (None, "0.00") else "0",
                "",
                "",
            ]
        )
    rows.append(
        [
            "总分",
            "",
            "",
            _n(result["max"]),
            "",
            "",
            "",
            _n(result["total"]) or "—",
            _n(result["recorded_total"]) or "",
            "",
        ]
    )
    rows.append(
        ["等级", "", "", "", "", "", "", result["grade"] or "—", result["recorded_grade"] or "", ""]
    )
    return rows, merges


def _n(value: str | None) -> str:
    """``2.70`` → ``2.70``, ``3.00`` → ``3``: as the source prints whole points."""
    if value is None:
        return ""
    return value[:-3] if value.endswith(".00") else value


def _definitions(view: Mapping[str, Any], framework: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(groups: list[dict[str, Any]]) -> None:
        for g in groups:
            for i in g["indicators"]:
                found[i["key"]] = i["definition"]
            walk(g["groups"])

    walk(framework["groups"])
    return found


def xlsx(view: Mapping[str, Any], framework: Mapping[str, Any]) -> bytes:
    rows, merges = _rows(view)
    definitions = _definitions(view, framework)
    keys = [r["key"] for r in view["result"]["indicators"]]
    for n, key in enumerate(keys):
        rows[n][4] = definitions.get(key, "")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "评分表"
    title = f"{view['year']}年{view['framework_name']}指标评分表"
    sheet.append([title])
    sheet.append([f"单位名称：{view['unit_name']}"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADER))
    sheet["A1"].font = Font(name=documents.SHEET_FONT, size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in row])
    offset = 4  # the first data row
    for column, first, last in merges:
        sheet.merge_cells(
            start_row=first + offset, start_column=column, end_row=last + offset, end_column=column
        )
    thin = Side(style="thin", color="999999")
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            cell.font = Font(name=documents.SHEET_FONT, bold=cell.row == 3)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row == 3:
                cell.fill = PatternFill("solid", fgColor="EEEEEE")
    for letter, width in zip("ABCDEFGHIJ", (8, 14, 18, 6, 36, 36, 48, 9, 11, 36), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(view: Mapping[str, Any]) -> bytes:
    s = documents._styles()
    rows, merges = _rows(view)
    cell = s["cell"]
    columns = [0, 1, 2, 3, 5, 6, 7, 8, 9]  # the definitions stay in the XLSX
    data = [[Paragraph(f"<b>{documents._esc(HEADER[c])}</b>", cell) for c in columns]]
    data += [[Paragraph(documents._esc(row[c]), cell) for c in columns] for row in rows]
    widths = [14 * mm, 22 * mm, 30 * mm, 10 * mm, 50 * mm, 62 * mm, 15 * mm, 15 * mm, 44 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    # No SPAN: a spanned block cannot break across pages; a group's name is printed on
    # its first row only, with the rule below it left out.
    for column, first, last in merges:
        for n in range(first + 1, last + 1):
            data[n + 1][column - 1] = ""
        style.append(("LINEBELOW", (column - 1, first + 1), (column - 1, last), 0, colors.white))
    table.setStyle(TableStyle(style))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{view['unit_name']} {view['year']}",
        initialFontName=charts.FONT,
    )
    charts.register_font()
    doc.build(
        [
            Paragraph(
                documents._esc(f"{view['year']}年{view['framework_name']}指标评分表"), s["title"]
            ),
            Paragraph(documents._esc(f"单位名称：{view['unit_name']}"), s["body"]),
            Spacer(1, 4),
            table,
        ]
    )
    return out.getvalue()
