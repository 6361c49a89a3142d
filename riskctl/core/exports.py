"""Exports of filtered lists as CSV or XLSX; every export is on the audit chain (who took
which rows out, with which filters), because what leaves the platform is evidence too.

What people typed (an explanation, a title) goes into files that discipline leaders and
inspectors open in Excel or WPS, so no cell may act: text that starts with ``= + - @``,
a tab or a carriage return is neutralised (OWASP's rule for CSV injection: a leading
apostrophe; in XLSX also a text cell with Excel's quote prefix), and characters that
XML 1.0 cannot hold (control characters) become U+FFFD, so that they show instead of
breaking the file."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
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
        raise ValidationFailed.at(
            "format", _l("must be one of %(choices)s", choices=", ".join(FORMATS))
        )
    return fmt


# Characters XML 1.0 (and so XLSX) cannot hold: C0 controls but tab, LF and CR; and the
# non-characters U+FFFE/U+FFFF.  Lone surrogates cannot reach here (refused on input).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ACTIVE_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text as a cell may carry it: illegal characters replaced, a leading formula
    character defused with an apostrophe."""
    value = _ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(_ACTIVE_START) else value


def table_file(fmt: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The rows as a file: CSV with a BOM (so that Excel and WPS read the Chinese), or a
    one-sheet XLSX with a bold header row.  Every text cell is made safe (see above)."""
    if check_format(fmt) == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow([safe_text(h) for h in headers])
        for row in rows:
            writer.writerow([safe_text(v) if isinstance(v, str) else v for v in row])
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.append([safe_text(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                shown = safe_text(value)
                if shown.startswith("'") and not value.startswith("'"):
                    # Excel's own mark of typed text instead of the apostrophe: it is not
                    # shown, and editing the cell does not make it a formula either.
                    shown, cell.quotePrefix = shown[1:], True
                cell.value = shown
                cell.data_type = "s"  # after the value, which would infer a formula
            else:
                cell.value = value
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
