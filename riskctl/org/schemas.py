"""Shapes of organisation data on the wire.  The same input schemas check API bodies and
CSV import rows, so both report a problem the same way (a path and a message)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from riskctl.core.access import Role
from riskctl.core.inputs import Day, Int, Line, Text
from riskctl.org.models import UnitKind, UnitLevel

# A unit's code keeps the case it was given and compares case-insensitively (api.md):
# a 统一社会信用代码 is 18 upper-case letters and digits, and codes such as "CZJ-01" exist.
UNIT_CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$",
    error=_l("use 1–32 letters, digits, '_', '-' or '.', starting with a letter or digit"),
)
# A post's code is a key that process definitions and templates name (purchaser,
# section_chief): lowercase, compared exactly, as the definitions write them.
POST_CODE = validate.Regexp(
    r"^[a-z0-9][a-z0-9_.-]{0,31}$",
    error=_l(
        "use 1–32 lowercase letters, digits, '_', '-' or '.', starting with a letter or digit"
    ),
)
# Most code fields of the API name a unit (?unit=, {unit}, scope).
CODE = UNIT_CODE
USERNAME = validate.Regexp(
    r"^[a-z0-9][a-z0-9_.-]{2,63}$",
    error=_l("use 3–64 lowercase letters, digits, '_', '-' or '.'"),
)
# E.164; mainland numbers must be mobile numbers, since warnings go out by SMS.
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
CN_MOBILE_RE = re.compile(r"^\+861[3-9]\d{9}$")
RISK_BOUNDS: dict[str, Any] = {"minimum": 1, "maximum": 5, "error": _l("must be between 1 and 5")}


def check_phone(value: str) -> None:
    if not PHONE_RE.match(value):
        raise ValidationError([_l("use international format, e.g. +8613800000000")])
    if value.startswith("+86") and not CN_MOBILE_RE.match(value):
        raise ValidationError([_l("a mainland number must be an 11-digit mobile number after +86")])


class Strict(Schema):
    class Meta:
        ordered = True


class UnitIn(Strict):
    code = Line(required=True, validate=UNIT_CODE)
    name = Line(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.Enum(UnitKind, by_value=True, required=True)
    level = fields.Enum(UnitLevel, by_value=True, load_default=None)
    parent = Line(load_default=None, allow_none=True, validate=UNIT_CODE)


class UnitOut(Strict):
    code = fields.String()
    name = fields.String()
    kind = fields.Enum(UnitKind, by_value=True)
    level = fields.Enum(UnitLevel, by_value=True)
    parent = fields.Function(lambda u: u.parent.code if u.parent else None)
    created_at = fields.DateTime()


class PostIn(Strict):
    code = Line(required=True, validate=POST_CODE)
    name = Line(required=True, validate=validate.Length(min=1, max=60))
    risk = Int(load_default=3, strict=False, **RISK_BOUNDS)
    is_leading = fields.Boolean(
        load_default=None, allow_none=True,
        metadata={"description": "a leading post (领导职务): whoever starts holding it has a "
                  "任前廉政谈话 planned; not given: false for a new post, unchanged otherwise"},
    )  # fmt: skip


class PostOut(Strict):
    code = fields.String()
    name = fields.String()
    risk = fields.Integer()
    is_leading = fields.Boolean()
    unit = fields.Function(lambda p: p.unit.code)


class HoldingIn(Strict):
    """A post held from ``valid_from`` (default: today) to ``valid_to`` (default: open)."""

    code = Line(required=True, validate=POST_CODE)
    valid_from = Day(load_default=None, allow_none=True)
    valid_to = Day(load_default=None, allow_none=True)

    @validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            raise ValidationError([_l("must not be before valid_from")], "valid_to")


class HoldingField(fields.Field):  # type: ignore[type-arg]
    """Accepts a plain post code or a ``HoldingIn`` object."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = {"code": value}
        if not isinstance(value, dict):
            raise ValidationError([_l("must be a post code or {code, valid_from, valid_to}")])
        return HoldingIn().load(value)


class ConflictIn(Strict):
    counterparty = Line(required=True, validate=validate.Length(min=1, max=200))
    relation = Line(required=True, validate=validate.Length(min=1, max=100))
    declared_on = Day(load_default=None, allow_none=True)


class PersonIn(Strict):
    username = Line(required=True, validate=USERNAME)
    password = Text(
        load_default=None, allow_none=True, load_only=True, validate=validate.Length(max=256)
    )
    name = Line(required=True, validate=validate.Length(min=1, max=60))
    phone = Line(
        required=True,
        validate=check_phone,
        metadata={"pattern": PHONE_RE.pattern, "example": "+8613800000000"},
    )
    unit = Line(required=True, validate=UNIT_CODE)
    roles = fields.List(
        fields.Enum(Role, by_value=True),
        required=True,
        validate=validate.Length(min=1, error=_l("at least one role")),
    )
    posts = fields.List(HoldingField(), load_default=list)
    risk = Int(load_default=3, strict=False, **RISK_BOUNDS)
    scope = fields.List(Line(validate=UNIT_CODE), load_default=list)
    conflicts = fields.List(fields.Nested(ConflictIn), load_default=list)
    is_active = fields.Boolean(load_default=True)


class PersonCreateIn(PersonIn):
    password = Text(required=True, load_only=True, validate=validate.Length(max=256))


class PersonBootstrapIn(PersonIn):
    """``flask riskctl user create``: the first admin may exist before any unit."""

    unit = Line(load_default=None, allow_none=True, validate=UNIT_CODE)
    phone = Line(load_default=None, allow_none=True, validate=check_phone)


class HoldingOut(Strict):
    code = fields.Function(lambda a: a.post.code)
    name = fields.Function(lambda a: a.post.name)
    risk = fields.Function(lambda a: a.post.risk)
    valid_from = fields.Date()
    valid_to = fields.Date()


class ConflictOut(Strict):
    counterparty = fields.String()
    relation = fields.String()
    declared_on = fields.Date()


class PersonOut(Strict):
    username = fields.String()
    name = fields.String()
    phone = fields.String(
        allow_none=True, metadata={"description": "masked (138****5678) for colleagues"}
    )
    unit = fields.Function(lambda p: p.unit.code if p.unit else None)
    roles = fields.Function(lambda p: sorted(r.value for r in p.roles))
    posts = fields.List(fields.Nested(HoldingOut), attribute="assignments")
    risk = fields.Integer(
        allow_none=True,
        metadata={"description": "personal risk value; null for colleagues (staff)"},
    )
    scope = fields.Function(lambda p: sorted(s.unit.code for s in p.scope_rows))
    conflicts = fields.List(
        fields.Nested(ConflictOut),
        metadata={"description": "declared conflicts of interest; empty for colleagues"},
    )
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class EmptyIn(Strict):
    """An action that takes no body (or an empty object)."""


class PageArgs(Strict):
    limit = Int(load_default=50, minimum=1, maximum=500)
    offset = Int(load_default=0, minimum=0)


class PeopleArgs(PageArgs):
    unit = Line(load_default=None, validate=UNIT_CODE)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The list envelope of api.md: ``{items, total, limit, offset}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "limit": fields.Integer(),
            "offset": fields.Integer(),
        },
        name=name,
    )


UnitPage = page_of(UnitOut, "UnitPage")
PostPage = page_of(PostOut, "PostPage")
PersonPage = page_of(PersonOut, "PersonPage")
