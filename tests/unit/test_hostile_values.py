"""Hostile values through the parsers that existed before riskctl.core.inputs: an item's
field values (money, dates, text, references), a definition's names and keys, and YAML
definitions (an alias bomb, deep nesting, tags, values JSON cannot hold)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from riskctl.core.errors import ValidationFailed
from riskctl.process.definition import parse
from riskctl.process.fields import FieldSpec, check_value
from riskctl.process.services import read_text

MONEY = FieldSpec("amount", "金额", "money")
WHEN = FieldSpec("on", "日期", "date")
TEXT = FieldSpec("note", "说明", "text")
REFERENCE = FieldSpec("ref", "采购事项", "reference")


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("value", "stored"),
    [("1234.5", "1234.50"), ("1,234.50", "1234.50"), (" 12 ", "12.00"), (".5", "0.50"),
     ("1.230", "1.23"), (100, "100.00"), ("9999999999999.99", "9999999999999.99")],
)  # fmt: skip
def test_money_is_a_decimal_string_of_cents(value, stored):
    assert check_value(MONEY, value) == stored


@pytest.mark.parametrize(
    "value",
    ["1e999999999", "9" * 100_000, "1E+3", "NaN", "Infinity", "-Infinity", "sNaN", "0x10",
     "-1", "1.234", "10000000000000", 1.5, True, Decimal("1E+999999999"), [], ""],
)  # fmt: skip
def test_money_that_is_no_amount_is_a_value_error_at_once(value):
    started = time.monotonic()
    with pytest.raises(ValueError):
        check_value(MONEY, value)
    assert time.monotonic() - started < 0.1


# ---------------------------------------------------------------- days, text, references


def test_a_date_field_is_a_day_of_the_calendar():
    assert check_value(WHEN, "2026-11-24") == "2026-11-24"
    for text in ("0001-01-01", "9999-12-31", "2100-01-01", "24.11.2026"):
        with pytest.raises(ValueError):
            check_value(WHEN, text)


def test_an_item_text_field_refuses_control_characters():
    assert check_value(TEXT, " 一\n二 ") == "一\n二"
    with pytest.raises(ValueError, match=r"U\+0007"):
        check_value(TEXT, "响\u0007铃")


def test_names_and_labels_of_a_definition_are_lines():
    _, problems = parse({"key": "x", "name": "采购\n流程", "description": "第一行\n第二行",
                         "fields": [{"key": "a", "label": "金\t额", "type": "choice",
                                     "choices": ["是", "否\n"]}]})  # fmt: skip
    paths = {p.path for p in problems}
    assert {"name", "fields[0].label", "fields[0].choices[1]"} <= paths
    assert "description" not in paths


def test_a_key_with_a_final_newline_is_not_a_key():
    _, problems = parse(
        {"key": "x\n", "name": "甲", "nodes": [{"key": "start\n", "kind": "start"}]}
    )
    assert {"key", "nodes[0].key"} <= {p.path for p in problems}


def test_a_reference_is_the_id_of_an_item():
    assert check_value(REFERENCE, 12) == "12" and check_value(REFERENCE, " 12 ") == "12"
    for value in ("²", "CG-1", "0", str(2**31), "1e3"):
        with pytest.raises(ValueError):
            check_value(REFERENCE, value)


# ---------------------------------------------------------------- YAML


def test_a_yaml_alias_bomb_is_refused_before_it_expands():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for name, previous in zip("bcdefgh", "abcdefg", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    started = time.monotonic()
    with pytest.raises(ValidationFailed, match="aliases"):
        read_text(bomb)
    assert time.monotonic() - started < 0.5
    with pytest.raises(ValidationFailed, match="aliases"):
        read_text("a: &x 1\nb: *x\n")


def test_yaml_nested_deep_is_refused_while_it_is_read():
    started = time.monotonic()
    with pytest.raises(ValidationFailed, match="nested more than 32 levels deep"):
        read_text("[" * 5000 + "]" * 5000)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    "text",
    ["key: !!python/object/apply:os.system ['true']\n", "key: !!binary aGk=\n",
     "key: !!set {a: null}\n", "key: !!str 1\n", "key: !custom x\n", 'key: "\\ud800"\n',
     'key: "\\x01"\n', "key: .nan\n", "key: 100000000000000000000000\n", "1: x\n",
     "? [a, b]\n: x\n", "a: 1\n---\nb: 2\n", "x" * (256 * 1024 + 1)],
)  # fmt: skip
def test_yaml_without_tags_and_only_values_json_holds(text):
    with pytest.raises(ValidationFailed):
        read_text(text)


def test_yaml_dates_are_the_iso_text_they_were_written_as():
    assert read_text("day: 2026-01-01\nmoment: 2026-01-01 10:00:00\n") == {
        "day": "2026-01-01", "moment": "2026-01-01T10:00:00"
    }  # fmt: skip
