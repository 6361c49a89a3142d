"""The supervision ledger as the offices keep it (督查工作台账): a title, then one row per
finding — 序号、问题、来源、整改措施、责任单位/责任人、整改时限、整改进展、是否销号 — on one
sheet for all units or one sheet per unit.  The words are the reader's (the catalogue
gives the Chinese); every text cell is made safe as every export's (riskctl.core.exports).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from riskctl.core.calendar_store import working_calendar
from riskctl.core.db import DbSession
from riskctl.core.exports import safe_text
from riskctl.org.services import person_names
from riskctl.supervision import ledger
from riskctl.supervision.labels import label
from riskctl.supervision.models import Finding, FindingStatus

WIDTHS = (6, 40, 12, 36, 22, 14, 44, 8)
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _headers() -> list[str]:
    return [_("Serial No."), _("Problem"), _("Source"), _("Rectification measures"),
            _("Responsible unit / person"), _("Deadline"), _("Progress"),
            _("Closed (销号)")]  # fmt: skip


def _day(day: date, zh: bool) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if zh else day.strftime("%-d %b %Y")


def ledger_workbook(
    session: DbSession, findings: Sequence[Finding], *, per_unit: bool, title: str,
    made_at: str, zh: bool = True,
) -> bytes:  # fmt: skip
    """The XLSX of ``findings`` (in the ledger's order: unit, then entry)."""
    findings = list(findings)
    views = {v["id"]: v for v in ledger.finding_views(session, findings)}
    updates = ledger.progress_lines(session, [f.id for f in findings])
    ids = {u.author_id for us in updates.values() for u in us}
    ids |= {f.responsible_id for f in findings if f.responsible_id}
    names = {pid: name for pid, (_username, name) in person_names(session, ids).items()}
    calendar = working_calendar(session)
    groups: list[tuple[str, list[Finding]]] = []
    if per_unit:
        for f in findings:
            name = views[f.id]["unit_name"]
            if not groups or groups[-1][0] != name:
                groups.append((name, []))
            groups[-1][1].append(f)
    else:
        groups = [(title, findings)]
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    used: set[str] = set()
    for name, rows in groups or [(title, [])]:
        sheet = book.create_sheet(_sheet_title(name, used))
        heading = f"{name} · {title}" if per_unit else title
        _fill(sheet, heading, made_at, [
            _row(n, f, views[f.id], updates.get(f.id, []), names, calendar, zh)
            for n, f in enumerate(rows, start=1)
        ])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(
    n: int, finding: Finding, view: dict[str, Any], updates: list[Any], names: dict[int, str],
    calendar: Any, zh: bool,
) -> list[Any]:  # fmt: skip
    who = names.get(finding.responsible_id or 0)
    responsible = f"{view['unit_name']} / {who}" if who else view["unit_name"]
    lines = []
    for u in updates:
        line = f"{_day(calendar.local_date(u.at), zh)} {label(u.kind, 'update')}"
        line += f"：{u.text}" if zh else f": {u.text}"
        if u.author_id in names:
            line += f"（{names[u.author_id]}）" if zh else f" ({names[u.author_id]})"
        lines.append(line)
    progress = "\n".join(lines)
    closed = view["status"] == FindingStatus.VERIFIED.value
    return [n, view["description"], label(view["source"], "source"), view["measures"] or "",
            responsible, view["deadline"], progress, _("Yes") if closed else _("No")]  # fmt: skip


def _sheet_title(name: str, used: set[str]) -> str:
    base = _SHEET_NAME.sub(" ", name).strip()[:28] or "Sheet"
    title, n = base, 2
    while title in used:
        title, n = f"{base}({n})", n + 1
    used.add(title)
    return title


def _fill(sheet: Worksheet, heading: str, made_at: str, rows: list[list[Any]]) -> None:
    headers = _headers()
    sheet.append([safe_text(heading)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.append([safe_text(_("Made at %(when)s", when=made_at))])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    sheet.append([safe_text(h) for h in headers])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                shown = safe_text(value)
                if shown.startswith("'") and not value.startswith("'"):
                    shown, cell.quotePrefix = shown[1:], True  # typed text, never a formula
                cell.value = shown
                cell.data_type = "s"
            elif isinstance(value, date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for c, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A4"
