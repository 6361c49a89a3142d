"""Carrying a changed template forward to the processes units adopted from it.

A process adopted from a template is the template with the adopter's changes and nothing
else (``services.adjusted``): its key, the template's posts mapped to the unit's, time
limits and risk values per node and for the process.  When riskctl ships a changed
template (new incompatible pairs with their basis, a new node), ``upgrade_adopted`` reads
those changes back from the unit's published version, applies them to the template as it
is now and, where the result differs, publishes it as the process's next version.

Nothing already published changes: the old version is retired, and items that started on
it keep running on it (they point at their version).  A process is left alone, and said
why, when the unit has a draft of it (an administrator's work in progress), when its
changes cannot be read back (one template post mapped to two posts, a limit removed), or
when the upgraded definition does not validate in the unit (a post it lacks).

Reading the changes back compares the published body with the template as it is *now*:
where the template itself changed a node's post, limit or risk, the unit keeps the value
it had (read as the unit's own change).  The templates' changes so far add pairs, bases,
nodes and names, and change no existing node's post, limit or risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from riskctl.core import audit
from riskctl.core.access import Principal
from riskctl.core.db import DbSession
from riskctl.core.errors import DomainError
from riskctl.org.models import Unit
from riskctl.org.services import unit_code_is
from riskctl.process import services
from riskctl.process.models import ProcessDefinition, ProcessStatus

ACTION = "process.template_upgraded"


def _(text: str, **values: Any) -> str:
    # The reasons are read by the administrator running the upgrade (CLI --lang or page).
    return str(gettext(text, **values))


@dataclass(frozen=True)
class Upgrade:
    unit: str
    key: str
    template: str
    version: int  # the published version looked at
    outcome: str  # "upgraded" | "current" | "skipped"
    new_version: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Changes:
    """What an adopter changed, as ``services.adjusted`` takes it."""

    key: str
    posts: dict[str, str]
    limits: dict[str, str]
    risks: dict[str, int]


def adopter_changes(template_raw: dict[str, Any], body: dict[str, Any]) -> Changes | str:
    """The changes that make ``body`` the unit's version of the template, or why they
    cannot be read back."""
    template_nodes = {n["key"]: n for n in template_raw.get("nodes", [])}
    posts: dict[str, str] = {}
    limits: dict[str, str] = {}
    risks: dict[str, int] = {}
    if body.get("risk", 3) != template_raw.get("risk", 3):
        risks["process"] = body.get("risk", 3)
    for node in body.get("nodes", []):
        theirs = template_nodes.get(node.get("key"))
        if theirs is None:
            continue  # the template no longer has it
        old, new = theirs.get("post"), node.get("post")
        if old is not None and new is not None:
            if posts.setdefault(old, new) != new:
                return _(
                    "template post %(old)s is mapped to both %(first)s and %(second)s",
                    old=repr(old),
                    first=repr(posts[old]),
                    second=repr(new),
                )
        elif old != new:
            return _(
                "node %(node)s: post %(post)s where the template has %(template)s",
                node=repr(node["key"]),
                post=repr(new),
                template=repr(old),
            )
        if node.get("limit") != theirs.get("limit"):
            if node.get("limit") is None:
                return _(
                    "node %(node)s has no time limit; the template has one", node=repr(node["key"])
                )
            limits[node["key"]] = node["limit"]
        if node.get("risk", 3) != theirs.get("risk", 3):
            risks[node["key"]] = node.get("risk", 3)
    used = {n.get("post") for n in template_nodes.values()}
    posts = {old: new for old, new in posts.items() if old != new and old in used}
    return Changes(str(body.get("key", template_raw["key"])), posts, limits, risks)


def upgrade_adopted(
    session: DbSession,
    principal: Principal,
    *,
    unit: str | None = None,
    dry_run: bool = False,
    source: str = "system",
) -> list[Upgrade]:
    """Publish, for each adopted process whose template changed, the template as it is
    now with the unit's changes; an audit record names the system as the actor.  The
    caller commits (or, with ``dry_run``, nothing is written)."""
    actor = audit.AuditActor(None, "system", source)
    stmt = (
        sa.select(ProcessDefinition, Unit.code)
        .join(Unit, Unit.id == ProcessDefinition.unit_id)
        .where(
            ProcessDefinition.status == ProcessStatus.PUBLISHED,
            ProcessDefinition.template.is_not(None),
        )
        .order_by(Unit.code, ProcessDefinition.key)
    )
    if unit is not None:
        stmt = stmt.where(unit_code_is(unit))
    shipped = {t.key: t for t in services.templates()}
    found: list[Upgrade] = []
    for row, code in session.execute(stmt).all():
        template_key = str(row.template)
        result = partial(Upgrade, code, row.key, template_key, row.version)
        template = shipped.get(template_key)
        if template is None:
            found.append(
                result(
                    "skipped",
                    reason=_("riskctl no longer ships %(template)s", template=repr(template_key)),
                )
            )
            continue
        changes = adopter_changes(template.raw, row.body)
        if isinstance(changes, str):
            found.append(result("skipped", reason=changes))
            continue
        try:
            raw = services.adjusted(
                template.raw, key=changes.key, posts=changes.posts, limits=changes.limits,
                risks=changes.risks,
            )  # fmt: skip
        except DomainError as exc:
            found.append(result("skipped", reason=exc.message))
            continue
        if raw == row.body:
            found.append(result("current"))
            continue
        has_draft = session.scalar(
            sa.select(ProcessDefinition.id).where(
                ProcessDefinition.unit_id == row.unit_id,
                ProcessDefinition.key == row.key,
                ProcessDefinition.status == ProcessStatus.DRAFT,
            )
        )
        if has_draft is not None:
            found.append(result("skipped", reason=_("the unit has a draft of it; publish or "
                                  "replace the draft first")))  # fmt: skip
            continue
        checked = services.check(session, row.unit_id, raw)
        if not checked.ok:
            first = checked.problems[0]
            found.append(result("skipped", reason=f"{first.path}: {first.message}"))
            continue
        if dry_run:
            found.append(result("upgraded", row.version + 1))
            continue
        services.save_draft(session, principal, raw, unit=code, template=template_key)
        new = services.publish(session, principal, row.key, unit=code)
        audit.record(
            session, ACTION, target_type="process_definition", target_id=new.id,
            unit_id=row.unit_id, actor=actor,
            before={"key": row.key, "version": row.version},
            after={"key": new.key, "version": new.version, "template": template_key,
                   "kept": {"posts": changes.posts, "limits": changes.limits,
                            "risks": changes.risks}},
        )  # fmt: skip
        found.append(result("upgraded", new.version))
    return found
