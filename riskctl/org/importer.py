"""Bulk import of units, posts and people from CSV (``POST /api/v1/org/import``,
``flask riskctl org import``, the demo data).

Three optional parts, applied in order so that later parts can refer to earlier ones:

- ``units``:  code, name, kind, parent
- ``posts``:  unit, code, name, risk[, leading]
- ``people``: username, name, phone, unit, roles, posts, risk, scope, active[, password]

Lists inside a cell are separated by ``;`` (or the full-width ``；``); a post may carry
its validity as ``code:2026-01-01:2026-12-31``.  Files exported by Excel are accepted as
UTF-8 (with or without BOM) or GB18030.  Every row is validated by the same schemas and
services as the API; rows run in their own savepoint so that a bad row leaves no trace.
Without ``partial`` any bad row rejects the whole import (the caller rolls back).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from riskctl.core import audit
from riskctl.core.access import Action, Principal, require
from riskctl.core.db import DbSession
from riskctl.core.errors import DomainError, Text, ValidationFailed, flatten_messages
from riskctl.org import services
from riskctl.org.schemas import UNIT_CODE, PersonIn, PostIn, UnitIn

PARTS = ("units", "posts", "people")
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # part: (required columns, optional columns)
    "units": (("code", "name", "kind"), ("parent", "level")),
    "posts": (("unit", "code", "name"), ("risk", "leading")),
    "people": (
        ("username", "name", "phone", "unit", "roles"),
        ("posts", "risk", "scope", "active", "password"),
    ),
}
# Chinese labels people type in spreadsheets, mapped to stored values.
KIND_LABELS = {
    "纪委": "commission",
    "纪委监委": "commission",
    "部门": "department",
    "乡镇": "township",
    "街道": "township",
}
LEVEL_LABELS = {
    "中央": "central",
    "省级": "provincial",
    "省": "provincial",
    "市级": "city",
    "市": "city",
    "县级": "county",
    "区县": "county",
    "县": "county",
    "区": "county",
    "乡镇": "township",
    "乡镇级": "township",
}
ROLE_LABELS = {
    "工作人员": "staff",
    "纪检组长": "discipline_leader",
    "监察员": "inspector",
    "管理员": "admin",
}
TRUE_WORDS = {"", "1", "true", "yes", "y", "是"}
# A post's ``leading`` cell (领导职务): empty keeps what the post is.
LEADING_WORDS = {"1": True, "true": True, "yes": True, "y": True, "是": True,
                 "0": False, "false": False, "no": False, "n": False, "否": False}  # fmt: skip


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            p: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0} for p in PARTS
        }
    )


def decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed.at("file", _l("not UTF-8 or GB18030 text"))


def _split(cell: str | None) -> list[str]:
    if not cell:
        return []
    return [p.strip() for p in cell.replace("；", ";").split(";") if p.strip()]


def _holding(text: str) -> dict[str, Any]:
    code, _, dates = text.partition(":")
    start, _, end = dates.partition(":")
    return {
        "code": code.strip(),
        "valid_from": start.strip() or None,
        "valid_to": end.strip() or None,
    }


def _unit_row(row: Mapping[str, str]) -> dict[str, Any]:
    kind = (row.get("kind") or "").strip()
    return {
        "code": row["code"].strip(),
        "name": row["name"].strip(),
        "kind": KIND_LABELS.get(kind, kind),
        "parent": (row.get("parent") or "").strip() or None,
        **({"level": LEVEL_LABELS.get(level, level)} if (level := (row.get("level") or "").strip())
           else {}),
    }  # fmt: skip


def _post_row(row: Mapping[str, str]) -> dict[str, Any]:
    leading = (row.get("leading") or "").strip()
    return {
        "unit": row["unit"].strip(),
        "code": row["code"].strip(),
        "name": row["name"].strip(),
        "risk": (row.get("risk") or "").strip() or 3,
        # A word the schema refuses stays as typed, so the row's error names it.
        **({"is_leading": LEADING_WORDS.get(leading.lower(), leading)} if leading else {}),
    }


def _person_row(row: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": row["username"].strip().lower(),
        "name": row["name"].strip(),
        "phone": row["phone"].strip().replace(" ", ""),
        "unit": row["unit"].strip(),
        "roles": [ROLE_LABELS.get(r, r) for r in _split(row.get("roles"))],
        "posts": [_holding(p) for p in _split(row.get("posts"))],
        "scope": _split(row.get("scope")),
        "risk": (row.get("risk") or "").strip() or 3,
        "is_active": (row.get("active") or "").strip().lower() in TRUE_WORDS,
    }
    if (row.get("password") or "").strip():
        data["password"] = row["password"].strip()
    return data


class UnitPostIn(PostIn):
    """A post row names its unit; the API takes the unit from the URL instead."""

    unit = fields.String(required=True, validate=UNIT_CODE)


Applier = Callable[[DbSession, Principal, dict[str, Any]], bool]


def _apply_unit(session: DbSession, principal: Principal, data: dict[str, Any]) -> bool:
    return services.save_unit(session, principal, data, upsert=True)[1]


def _apply_post(session: DbSession, principal: Principal, data: dict[str, Any]) -> bool:
    unit = data.pop("unit")
    return services.save_post(session, principal, unit, data, upsert=True)[1]


def _apply_person(session: DbSession, principal: Principal, data: dict[str, Any]) -> bool:
    return services.save_person(session, principal, data, upsert=True)[1]


_PARTS: dict[str, tuple[Callable[[Mapping[str, str]], dict[str, Any]], Schema, Applier]] = {
    "units": (_unit_row, UnitIn(), _apply_unit),
    "posts": (_post_row, UnitPostIn(), _apply_post),
    "people": (_person_row, PersonIn(), _apply_person),
}


def _check_header(part: str, header: Sequence[str] | None) -> list[Text]:
    required, optional = COLUMNS[part]
    names = [h.strip() for h in header or []]
    problems = [_l("missing column '%(column)s'", column=c) for c in required if c not in names]
    problems += [
        _l("unknown column '%(column)s'", column=c)
        for c in names
        if c and c not in required + optional
    ]
    return problems


def import_org(
    session: DbSession, principal: Principal, files: Mapping[str, bytes], *, partial: bool = False
) -> ImportResult:
    """Apply the CSV parts; raises ``ValidationFailed`` listing every bad row unless partial."""
    require(principal, Action.MANAGE_ORG)
    unknown = sorted(set(files) - set(PARTS))
    if unknown or not files:
        parts = ", ".join(PARTS)
        raise ValidationFailed.at(
            "files",
            _l("send one or more of %(parts)s; unknown: %(unknown)s", parts=parts,
               unknown=", ".join(unknown))
            if unknown else _l("send one or more of %(parts)s", parts=parts),
        )  # fmt: skip
    result = ImportResult()
    for part in PARTS:
        if part in files:
            _import_part(session, principal, part, decode(files[part]), result)
    if result.errors and not partial:
        raise ValidationFailed(
            _l("%(count)s problem(s) in the import; nothing was written", count=len(result.errors)),
            code="import_rejected",
            details=result.errors,
        )
    audit.record(
        session,
        "org.imported",
        target_type="org",
        after={
            "created": result.created,
            "updated": result.updated,
            "rejected_rows": len({(e["file"], e["row"]) for e in result.errors}),
        },
    )
    return result


def _import_part(
    session: DbSession, principal: Principal, part: str, text: str, result: ImportResult
) -> None:
    # A short row's missing cells are empty (restval), as in a spreadsheet, not None.
    reader = csv.DictReader(io.StringIO(text), restval="")
    try:
        header_problems = _check_header(part, reader.fieldnames)
    except csv.Error as exc:
        _unreadable(result, part, reader, exc)
        return
    if header_problems:
        result.errors += [
            {"file": part, "row": 1, "path": "header", "message": m} for m in header_problems
        ]
        return
    convert, schema, apply = _PARTS[part]
    seen: dict[str, int] = {}
    key = "username" if part == "people" else "code"
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file cannot be trusted
            _unreadable(result, part, reader, exc)
            return
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        if None in row:
            result.errors.append(
                {
                    "file": part,
                    "row": line,
                    "path": "",
                    "message": _l("more cells than columns"),
                }
            )
            result.summary[part]["rejected"] += 1
            continue
        # Unit codes compare case-insensitively; post codes and usernames are lowercase.
        ident = f"{row.get('unit', '')}/{row.get(key, '')}".strip().lower()
        if ident in seen:
            result.errors.append(
                {
                    "file": part,
                    "row": line,
                    "path": key,
                    "message": _l("duplicate of row %(row)s", row=seen[ident]),
                }
            )
            result.summary[part]["rejected"] += 1
            continue
        seen[ident] = line
        try:
            loaded = schema.load(convert(row))
            written = audit.records_written(session)
            with session.begin_nested():
                created = apply(session, principal, loaded)
        except ValidationError as exc:
            _reject(result, part, line, flatten_messages(exc.messages))
        except DomainError as exc:
            _reject(result, part, line, exc.details or [{"path": "", "message": exc.message}])
        else:
            # Every model change is audited, so no new audit record means nothing changed.
            if created:
                result.created += 1
                result.summary[part]["created"] += 1
            elif audit.records_written(session) != written:
                result.updated += 1
                result.summary[part]["updated"] += 1
            else:
                result.summary[part]["unchanged"] += 1


def _unreadable(result: ImportResult, part: str, reader: Any, error: csv.Error) -> None:
    """A line the csv module refuses, e.g. a cell over its limit of 128 KiB."""
    message = (
        _l("a cell is longer than %(size)s KiB", size=csv.field_size_limit() // 1024)
        if "field larger than field limit" in str(error)
        else _l("not valid CSV: %(problem)s", problem=str(error))  # the csv module's words
    )
    # line_num counts the lines read before the one refused.
    _reject(result, part, reader.line_num + 1, [{"path": "", "message": message}])


def _reject(result: ImportResult, part: str, line: int, details: list[dict[str, Any]]) -> None:
    result.summary[part]["rejected"] += 1
    for d in details:
        result.errors.append(
            {"file": part, "row": line, "path": d.get("path", ""), "message": d["message"]}
        )
