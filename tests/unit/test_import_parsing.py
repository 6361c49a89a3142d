"""CSV decoding and cell syntax of the org import, without a database."""

import pytest

from riskctl.core.errors import ValidationFailed
from riskctl.org.importer import _check_header, _holding, _person_row, _split, decode


def test_excel_files_in_gb18030_and_utf8_with_bom_are_read():
    assert decode("编码,名称".encode("gb18030")) == "编码,名称"
    assert decode("\ufeffcode,name".encode()) == "code,name"


def test_binary_junk_is_refused():
    with pytest.raises(ValidationFailed):
        decode(b"\xff\xfe\x00\x81\x30\x81")


def test_lists_split_on_ascii_and_fullwidth_semicolons():
    assert _split("staff；inspector; admin") == ["staff", "inspector", "admin"]


def test_a_post_cell_may_carry_its_validity():
    assert _holding("cashier:2026-01-01:2026-12-31") == {
        "code": "cashier",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }


def test_chinese_role_labels_are_understood():
    row = {"username": "A.B", "name": "甲", "phone": "+8613900000000", "unit": "czj",
           "roles": "纪检组长;工作人员"}  # fmt: skip
    assert _person_row(row)["roles"] == ["discipline_leader", "staff"]
    assert _person_row(row)["username"] == "a.b"


def test_headers_report_missing_and_unknown_columns():
    problems = _check_header("units", ["code", "name", "colour"])
    assert "missing column 'kind'" in problems
    assert "unknown column 'colour'" in problems
