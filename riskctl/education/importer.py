"""Questions imported from an XLSX sheet (题库导入), all or nothing.

The template (``template_bytes``) has one row per question: 题型 (单选、多选、判断),
题目, 选项A … 选项F, 答案 (the letters of the right options, e.g. ``B`` or ``ACD``; for a
判断题 正确 or 错误) and 解析.  Every problem of every row is listed with its row number,
its column and what is wrong, and then nothing is imported.
"""

from __future__ import annotations

import io
import string
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from riskctl.core.errors import ValidationFailed
from riskctl.education import spec
from riskctl.files import content

OPTION_COLUMNS = 6  # 选项A … 选项F
COLUMNS = string.ascii_uppercase  # the sheet's column letters
HEADERS = (
    "题型",
    "题目",
    *(f"选项{spec.LETTERS[n]}" for n in range(OPTION_COLUMNS)),
    "答案",
    "解析",
)
MAX_ROWS = 1000
KINDS = {
    "单选": "single", "单选题": "single", "single": "single",
    "多选": "multiple", "多选题": "multiple", "multiple": "multiple",
    "判断": "true_false", "判断题": "true_false", "true_false": "true_false",
}  # fmt: skip
TRUE_FALSE = {"正确": "A", "对": "A", "√": "A", "是": "A", "A": "A",
              "错误": "B", "错": "B", "×": "B", "否": "B", "B": "B"}  # fmt: skip
EXAMPLES = (
    ("单选", "党员干部收受可能影响公正执行公务的礼品，属于违反哪一项纪律？", "政治纪律",
     "廉洁纪律", "群众纪律", "生活纪律", "", "", "B",
     "《中国共产党纪律处分条例》第八章（违反廉洁纪律的行为）。"),
    ("多选", "下列属于行政事业单位内部控制中应当分离的不相容岗位的有：", "预算编制与预算审批",
     "款项支付审批与付款执行", "出纳与会计档案保管", "采购需求提出与同一人后续验收", "", "", "ABCD",
     "《行政事业单位内部控制规范（试行）》第十五条、第二十九条、第三十二条。"),
    ("判断", "“三重一大”事项可以由主要负责人个人直接决定，会后再补充集体讨论记录。", "", "", "", "",
     "", "", "错误", "“三重一大”事项必须经集体讨论决定。"),
)  # fmt: skip


def template_bytes() -> bytes:
    """The import template: the header row and three worked examples."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "题目"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in EXAMPLES:
        sheet.append(list(example))
    for column, width in zip("ABCDEFGHIJ", (8, 48, 22, 22, 22, 22, 14, 14, 8, 40), strict=True):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    for line in (
        "每行一题；第一行为表头，请勿改动。示例三行可删除或覆盖。",
        "题型：单选、多选或判断。",
        "选项：单选题、多选题填写 2 至 6 个选项（选项A起连续填写）；"
        "判断题不填选项（固定为 A 正确、B 错误）。",
        "答案：填写正确选项的字母，如 B；多选题填写全部正确选项，如 ACD（至少两个）；"
        "判断题填写 正确 或 错误。",
        "导入时逐行检查，任何一行有误则全部不导入，并列出每一处错误所在的行、列和原因。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_questions(data: bytes, filename: str | None) -> list[dict[str, Any]]:
    """The questions of an uploaded sheet, or a 422 listing every problem (row, column,
    what is wrong); nothing is returned unless every row is sound."""
    stream = io.BytesIO(data)
    try:
        content.check(stream, filename or "questions.xlsx", (content.XLSX,))
    except content.Refused as exc:
        raise ValidationFailed.at("file", str(exc)) from None
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged package
        raise ValidationFailed.at("file", _l("the workbook cannot be read")) from None
    try:
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2))
    finally:
        book.close()
    if not rows or tuple(_text(v) for v in rows[0][: len(HEADERS)]) != HEADERS:
        raise ValidationFailed.at(
            "file", _l("the first row must be the template's header: %(h)s", h="、".join(HEADERS))
        )
    if len(rows) > MAX_ROWS + 1:
        raise ValidationFailed.at("file", _l("at most %(n)d questions at once", n=MAX_ROWS))
    details: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    answer_column = COLUMNS[2 + OPTION_COLUMNS]
    for number, raw in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in (*raw, *([None] * len(HEADERS)))][: len(HEADERS)]
        if not any(cells):
            continue
        kind = KINDS.get(cells[0])
        options = [c for c in cells[2 : 2 + OPTION_COLUMNS]]
        while options and not options[-1]:
            options.pop()
        answer: Any = cells[2 + OPTION_COLUMNS]
        if kind == "true_false":
            answer = TRUE_FALSE.get(answer.upper() if answer.isascii() else answer, answer)
            options = []
        where = f"rows[{number}]"
        if kind is None:
            message = _l("the question type must be 单选, 多选 or 判断")
            details.append({"path": f"{where}.kind", "row": number, "column": "A",
                            "message": message})  # fmt: skip
            continue
        columns = {"kind": "A", "text": "B", "options": "C", "answer": answer_column,
                   "explanation": COLUMNS[3 + OPTION_COLUMNS]}  # fmt: skip
        for problem in spec.check_question(kind, cells[1], options, answer, at=where):
            field = problem.path.removeprefix(f"{where}.").split("[")[0]
            column = columns.get(field, "C")
            if problem.path.startswith(f"{where}.options["):
                index = int(problem.path.rsplit("[", 1)[1].rstrip("]"))
                column = COLUMNS[2 + index]
            details.append({"path": problem.path, "row": number, "column": column,
                            "message": problem.message})  # fmt: skip
        found.append({"kind": kind, "text": cells[1], "options": options, "answer": answer,
                      "explanation": cells[3 + OPTION_COLUMNS]})  # fmt: skip
    if details:
        first = details[0]
        raise ValidationFailed(
            _l("row %(row)s, column %(column)s: %(message)s", row=first["row"],
               column=first["column"], message=first["message"]),
            details=details,
        )  # fmt: skip
    if not found:
        raise ValidationFailed.at("file", _l("the sheet holds no question"))
    return found
