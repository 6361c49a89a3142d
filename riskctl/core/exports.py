"""Exports of filtered lists as CSV or XLSX; every export is on the audit chain (who took
which rows out, with which filters), because what leaves the platform is evidence too."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from riskctl.core import audit
from riskctl.core.db import DbSession
from riskctl.core.errors import ValidationFailed

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000  # one export; beyond, narrow the filters or split the period


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed.at("format", f"must be one of {', '.join(FORMATS)}")
    return fmt


def table_file(fmt: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The rows as a file: CSV with a BOM (so that Excel and WPS read the Chinese), or a
    one-sheet XLSX with a bold header row."""
    if check_format(fmt) == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(rows)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def record_export(
    session: DbSession, what: str, fmt: str, filters: Mapping[str, Any], rows: int
) -> None:
    """The audit record of an export: the list, the format, the filters, the row count."""
    audit.record(
        session, f"export.{what}", target_type="export", target_id=what,
        after={"format": fmt, "filters": dict(filters), "rows": rows},
    )  # fmt: skip
