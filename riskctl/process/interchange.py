"""BPMN in and out of the database, and the designer's checks: export a version (or a
template) as BPMN, check a drawing against a unit while it is drawn, save one as the
unit's draft (with its layout), compare two versions element by element.

The mapping itself is ``riskctl.process.bpmn`` (plain Python); this module finds the
rows, the unit's posts and the caller's rights, as the other process services do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from riskctl.core.access import Action, Principal, require
from riskctl.core.db import DbSession
from riskctl.core.errors import DomainError, ValidationFailed
from riskctl.org.services import post_names
from riskctl.process import bpmn, services
from riskctl.process.compare import Changes, compare
from riskctl.process.layout import Layout
from riskctl.process.models import ProcessDefinition, ProcessStatus


class BpmnTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


@dataclass(frozen=True)
class Checked:
    """A drawing read and validated: what cannot run (``refused``), the definition's
    problems each with its element, and what was left out on purpose (``notes``)."""

    imported: bpmn.Imported | None
    problems: list[dict[str, str]]
    refused: list[dict[str, str]]
    notes: list[dict[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refused

    def as_dict(self) -> dict[str, Any]:
        imported = self.imported
        conditions: dict[str, Any] = {}
        keys: dict[str, str] = {}
        if imported is not None:
            for path, element in imported.elements.items():
                if path.startswith("edges["):
                    edge = imported.raw["edges"][int(path[6:-1])]
                    if "when" in edge:
                        conditions[element] = edge["when"]
                elif path.startswith("nodes["):
                    keys[element] = imported.raw["nodes"][int(path[6:-1])]["key"]
        return {"ok": self.ok, "problems": self.problems, "refused": self.refused,
                "notes": self.notes, "conditions": conditions, "keys": keys}  # fmt: skip


def _read(data: bytes | str, posts: dict[str, str], max_bytes: int) -> bpmn.Imported:
    try:
        return bpmn.import_bpmn(data, posts=posts, max_bytes=max_bytes)
    except bpmn.Unreadable as exc:
        if exc.status == 413:
            raise BpmnTooLarge(exc.message) from None
        raise ValidationFailed.at("", exc.message) from None


def check_bpmn(
    session: DbSession, principal: Principal, data: bytes | str, *, unit: str | None,
    max_bytes: int,
) -> Checked:  # fmt: skip
    """Read a drawing and validate it against the unit's posts; saves nothing."""
    found = services.managed_unit(session, principal, unit)
    imported = _read(data, post_names(session, found.code), max_bytes)
    result = services.check(session, found.id, imported.raw)
    return Checked(
        imported,
        bpmn.problem_details(imported, result.problems),
        [f.as_dict() for f in imported.refused],
        [f.as_dict() for f in imported.notes],
    )


def save_bpmn(
    session: DbSession, principal: Principal, data: bytes | str, *, unit: str | None,
    max_bytes: int, keep_problems: bool = False, template: str | None = None,
) -> tuple[ProcessDefinition, Checked]:  # fmt: skip
    """Save a drawing as the unit's draft of its process, with its layout.  Elements that
    cannot run: 422 listing each (nothing saved).  Definition problems: 422 too, unless
    ``keep_problems`` (the designer saves work in progress; publishing still refuses)."""
    checked = check_bpmn(session, principal, data, unit=unit, max_bytes=max_bytes)
    imported = checked.imported
    assert imported is not None
    if checked.refused:
        raise ValidationFailed(
            _l("%(n)d element(s) of the file cannot be run by riskctl; the first: %(first)s",
               n=len(checked.refused), first=_first(checked.refused)),
            code="bpmn_not_runnable", details=checked.refused,
        )  # fmt: skip
    if template is not None:
        services.template(template)  # 404 for a template that does not exist
    layout = imported.layout.as_json() if imported.layout.nodes else None
    try:
        row = services.save_draft(
            session, principal, imported.raw, unit=unit, template=template, layout=layout,
            keep_problems=keep_problems,
        )  # fmt: skip
    except ValidationFailed as exc:
        # The definition's problems, each with the element it is about.
        raise ValidationFailed(
            exc.message, code=exc.code,
            details=[{**d, "element": imported.element_of(d.get("path", ""))}
                     for d in exc.details],
        ) from None  # fmt: skip
    return row, checked


def _first(found: list[dict[str, str]]) -> str:
    first = found[0]
    return f"{first['element']} {first['name']}: {first['message']}".strip()


def export_version(
    session: DbSession, principal: Principal, key: str, *, unit: str | None = None,
    version: int | None = None,
) -> tuple[ProcessDefinition, str]:  # fmt: skip
    """A version (default: the published one, else a manager's latest draft) as BPMN."""
    row = services.get_definition(session, principal, key, unit=unit, version=version)
    return row, bpmn.export_bpmn(row.body, Layout.from_json(row.layout))


def export_template(principal: Principal, key: str) -> str:
    require(principal, Action.VIEW_PROCESSES)
    return bpmn.export_bpmn(services.template(key).raw)


def latest_versions(
    session: DbSession, principal: Principal, key: str, *, unit: str
) -> tuple[ProcessDefinition | None, ProcessDefinition | None]:
    """The unit's draft of ``key`` and its published version (either may be None)."""
    rows = [
        r for r in services.list_definitions(
            session, principal, unit=unit, status=None, limit=500
        ).items if r.key == key
    ]  # fmt: skip
    draft = next((r for r in rows if r.status is ProcessStatus.DRAFT), None)
    published = next((r for r in rows if r.status is ProcessStatus.PUBLISHED), None)
    return draft, published


def differences(
    session: DbSession, principal: Principal, key: str, *, unit: str, old: int, new: int
) -> tuple[ProcessDefinition, ProcessDefinition, Changes]:
    """Two versions and what changed between them, element by element."""
    older = services.get_definition(session, principal, key, unit=unit, version=old)
    newer = services.get_definition(session, principal, key, unit=unit, version=new)
    return older, newer, compare(older.body, newer.body)
