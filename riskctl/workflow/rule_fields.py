"""The form fields the risk rules judge, kept beside the item's JSON as typed columns.

An item's form data is JSON (``item.fields``: money as decimal strings, days as ISO
text).  The risk scan judges a few dozen of those fields on every item of a category
(just under a threshold, single bidder, tender period, late contract, splitting, supplier
shares, change orders, late final accounts, disposals …); reading and decoding the JSON of
60,000 items was most of a full scan.  So the engine writes these fields a second time,
parsed, into ``f_<name>`` columns of the item row — in the same INSERT or UPDATE as the
JSON, from :func:`rule_fields`, so the two never disagree — and the scan reads those.

Each value is parsed exactly as the rules parse the JSON (``riskctl.risk.rules.base``:
``money``, ``day``, ``is True`` …), and a value a rule would not use is NULL: a rule
reading the column sees what it would have made of the JSON.  A new rule that needs
another field adds it here, in a migration that fills it, and in the list below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from riskctl.core import inputs
from riskctl.core.db import Cents, Day

Kind = Literal["money", "day", "text", "int", "flag", "ref"]

# Field name → how the rules read it.  ``award_amount`` is derived: the supplier-shares
# rule's ``money(contract_amount or amount)``, which depends on the raw text.
FIELDS: dict[str, Kind] = {
    "amount": "money", "contract_amount": "money", "change_amount": "money",
    "supplement_amount": "money", "paid_amount": "money", "completed_value": "money",
    "appraised_value": "money", "approved_floor": "money", "proceeds": "money",
    "original_value": "money", "book_value": "money", "award_amount": "money",
    "tender_start": "day", "tender_end": "day", "awarded_on": "day", "signed_on": "day",
    "published_on": "day", "filed_on": "day", "accepted_on": "day", "delivered_on": "day",
    "paid_on": "day", "completed_on": "day", "final_on": "day",
    "item_category": "text", "budget_project": "text", "catalogue_code": "text",
    "method": "text", "supplier": "text", "disposal_method": "text", "project_size": "text",
    "budget_line": "text",
    "bidders": "int", "payment_days": "int", "final_extension_months": "int",
    "budget_adjusted": "flag", "non_open_approved": "flag", "two_suppliers_allowed": "flag",
    "sme": "flag", "payment_on_acceptance": "flag",
    "procurement_ref": "ref",
}  # fmt: skip
NAMES = tuple(FIELDS)
COLUMNS = tuple(f"f_{name}" for name in NAMES)
_INDEX = {name: n for n, name in enumerate(NAMES)}


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ref(value: Any) -> int | None:
    # As the linked-items rule reads a reference: an item id, given as text or a number.
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        return inputs.whole_number(str(value), minimum=1, maximum=inputs.ID_MAX)
    except inputs.InputProblem:
        return None


_PARSE = {
    "money": inputs.stored_money,
    "day": inputs.stored_day,
    "text": lambda v: v if isinstance(v, str) else None,  # text and choice fields are str
    "int": _whole,
    "flag": lambda v: True if v is True else None,
    "ref": _ref,
}


def values(data: Mapping[str, Any]) -> tuple[Any, ...]:
    """The typed values of ``data`` (an item's form data), in the order of ``NAMES``."""
    found: list[Any] = []
    for name, kind in FIELDS.items():
        if name == "award_amount":
            found.append(inputs.stored_money(data.get("contract_amount") or data.get("amount")))
        else:
            found.append(_PARSE[kind](data.get(name)))
    return tuple(found)


def rule_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Column → value for the item row whose form data is ``data``: every column, so
    that the engine's prepared INSERT and UPDATE are always the same statement."""
    return dict(zip(COLUMNS, values(data), strict=True))


class TypedFields(Mapping[str, Any]):
    """The typed fields of one item as the rules ask for them (``fields.get("amount")``),
    over a row's values without building a dict per item.  ``index``: name → position,
    shared by every row of one read (a read fetches only the fields its rules declare).
    A name the read did not fetch is an error, not a silent None."""

    __slots__ = ("_index", "_values")

    def __init__(self, found: tuple[Any, ...], index: Mapping[str, int] = _INDEX) -> None:
        self._values = found
        self._index = index

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> TypedFields:
        return cls(values(data))

    def get(self, key: str, default: Any = None) -> Any:
        value = self._values[self._index[key]]
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        value = self._values[self._index[key]]
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name, n in self._index.items() if self._values[n] is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"TypedFields({dict(self)!r})"


def index_of(names: Iterable[str]) -> dict[str, int]:
    """Name → position for a read that fetches the columns of ``names`` in this order."""
    return {name: n for n, name in enumerate(names)}


class RuleFieldColumns:
    """The ``f_<name>`` columns of the item table (written only through ``rule_fields``)."""

    f_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_contract_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_change_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_supplement_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_paid_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_completed_value: Mapped[Decimal | None] = mapped_column(Cents)
    f_appraised_value: Mapped[Decimal | None] = mapped_column(Cents)
    f_approved_floor: Mapped[Decimal | None] = mapped_column(Cents)
    f_proceeds: Mapped[Decimal | None] = mapped_column(Cents)
    f_original_value: Mapped[Decimal | None] = mapped_column(Cents)
    f_book_value: Mapped[Decimal | None] = mapped_column(Cents)
    f_award_amount: Mapped[Decimal | None] = mapped_column(Cents)
    f_tender_start: Mapped[date | None] = mapped_column(Day)
    f_tender_end: Mapped[date | None] = mapped_column(Day)
    f_awarded_on: Mapped[date | None] = mapped_column(Day)
    f_signed_on: Mapped[date | None] = mapped_column(Day)
    f_published_on: Mapped[date | None] = mapped_column(Day)
    f_filed_on: Mapped[date | None] = mapped_column(Day)
    f_accepted_on: Mapped[date | None] = mapped_column(Day)
    f_delivered_on: Mapped[date | None] = mapped_column(Day)
    f_paid_on: Mapped[date | None] = mapped_column(Day)
    f_completed_on: Mapped[date | None] = mapped_column(Day)
    f_final_on: Mapped[date | None] = mapped_column(Day)
    f_item_category: Mapped[str | None] = mapped_column(sa.Text)
    f_budget_project: Mapped[str | None] = mapped_column(sa.Text)
    f_catalogue_code: Mapped[str | None] = mapped_column(sa.Text)
    f_method: Mapped[str | None] = mapped_column(sa.Text)
    f_supplier: Mapped[str | None] = mapped_column(sa.Text)
    f_disposal_method: Mapped[str | None] = mapped_column(sa.Text)
    f_project_size: Mapped[str | None] = mapped_column(sa.Text)
    f_budget_line: Mapped[str | None] = mapped_column(sa.Text)
    f_bidders: Mapped[int | None] = mapped_column(sa.BigInteger)
    f_payment_days: Mapped[int | None] = mapped_column(sa.BigInteger)
    f_final_extension_months: Mapped[int | None] = mapped_column(sa.BigInteger)
    f_budget_adjusted: Mapped[bool | None]
    f_non_open_approved: Mapped[bool | None]
    f_two_suppliers_allowed: Mapped[bool | None]
    f_sme: Mapped[bool | None]
    f_payment_on_acceptance: Mapped[bool | None]
    f_procurement_ref: Mapped[int | None]
