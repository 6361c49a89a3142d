"""Input schemas: formats and the flat error paths of api.md."""

import pytest
from marshmallow import ValidationError

from riskctl.core.errors import flatten_messages
from riskctl.org.schemas import PersonCreateIn, UnitIn

PERSON = {
    "username": "czj.new",
    "password": "long-enough-1",
    "name": "新同事",
    "phone": "+8613912345678",
    "unit": "czj",
    "roles": ["staff"],
}


@pytest.mark.parametrize("phone", ["13912345678", "+86139123", "+8602812345678", "+86 139"])
def test_phones_must_be_international_mobile_numbers(phone):
    with pytest.raises(ValidationError) as caught:
        PersonCreateIn().load(dict(PERSON, phone=phone))
    assert "phone" in caught.value.messages


def test_posts_accept_codes_or_objects_with_validity():
    loaded = PersonCreateIn().load(
        dict(PERSON, posts=["cashier", {"code": "accountant", "valid_from": "2026-01-01"}])
    )
    assert [p["code"] for p in loaded["posts"]] == ["cashier", "accountant"]
    assert str(loaded["posts"][1]["valid_from"]) == "2026-01-01"


def test_nested_errors_flatten_to_paths():
    with pytest.raises(ValidationError) as caught:
        PersonCreateIn().load(
            dict(PERSON, roles=["staff", "boss"], conflicts=[{"counterparty": "某公司"}])
        )
    paths = {d["path"] for d in flatten_messages(caught.value.messages)}
    assert "roles[1]" in paths
    assert "conflicts[0].relation" in paths


def test_unknown_fields_and_wrong_types_are_reported():
    with pytest.raises(ValidationError) as caught:
        UnitIn().load({"code": 5, "name": "x", "kind": "ministry", "colour": "red"})
    paths = {d["path"] for d in flatten_messages(caught.value.messages)}
    assert paths == {"code", "kind", "colour"}


def test_validity_may_not_end_before_it_starts():
    with pytest.raises(ValidationError):
        PersonCreateIn().load(
            dict(
                PERSON,
                posts=[{"code": "x", "valid_from": "2026-05-01", "valid_to": "2026-04-01"}],
            )
        )


@pytest.mark.parametrize("code", ["91110000MA01ABCD2X", "CZJ-01", "czj", "Jw_2"])
def test_unit_codes_take_letters_of_either_case(code):
    assert UnitIn().load({"code": code, "name": "某单位", "kind": "department"})["code"] == code


@pytest.mark.parametrize("code", ["", "-czj", "czj 01", "财政局", "a" * 33])
def test_unit_codes_refuse_other_characters(code):
    with pytest.raises(ValidationError):
        UnitIn().load({"code": code, "name": "某单位", "kind": "department"})


def test_post_codes_stay_lowercase_keys():
    from riskctl.org.schemas import PostIn

    assert PostIn().load({"code": "cashier", "name": "出纳"})["code"] == "cashier"
    with pytest.raises(ValidationError):
        PostIn().load({"code": "Cashier", "name": "出纳"})
