"""Attaching files to an item, reading them back, withdrawing, verifying.

Who: whoever may see the item lists and downloads its attachments; whoever started the
item or holds one of its open tasks attaches; nobody deletes (the files are evidence) —
the uploader withdraws a wrong file with a reason, and it stays listed, and readable to
the uploader and to those who supervise the unit.  Every download is on the audit chain,
and so is every file found missing or altered (written even though the download fails).

The caller commits; the file store is handed in (``store_of``), so the CLI, the API and
the pages share this code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.attachments.models import Attachment
from riskctl.core import audit
from riskctl.core.access import Action, Principal, can, visible_units
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession, switch_to_writing
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.files import services as files
from riskctl.files.services import FileAltered, FileMissing, FileTooLarge, size_label, store_of
from riskctl.files.storage import FileStore, Health
from riskctl.org.services import person_names
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item, ItemStatus, Step, Task

MAX_REASON = 500


# Kept importable from here: the attachment API and pages name them.
__all__ = ["FileAltered", "FileMissing", "FileTooLarge", "size_label", "store_of"]


def _visible_item(session: DbSession, principal: Principal, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None or item.unit_id not in visible_units(principal, Action.VIEW_ITEMS):
        raise NotFound(f"no item {item_id}", code="unknown_item")
    return item


def _visible(session: DbSession, principal: Principal, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None or row.unit_id not in visible_units(principal, Action.VIEW_ITEMS):
        raise NotFound(f"no attachment {attachment_id}", code="unknown_attachment")
    return row


# Evidence is added while the work is under way (a frozen item waits for a disposition and
# may need more); once an item is completed, rejected or cancelled its file is closed.
OPEN_FOR_FILES = (ItemStatus.RUNNING, ItemStatus.FROZEN)


def may_attach(session: DbSession, principal: Principal, item: Item) -> bool:
    """The item's starter, or someone holding one of its open tasks, while the item is
    open (running, or frozen awaiting a disposition)."""
    if item.status not in OPEN_FOR_FILES:
        return False
    if item.started_by_id == principal.person_id and principal.unit_id == item.unit_id:
        return True
    return bool(workflow.my_open_task_ids(session, principal, item.id))


def may_read_withdrawn(principal: Principal, row: Attachment) -> bool:
    """A withdrawn file: its uploader, and those who supervise the unit (discipline
    leader, inspectors, administrators)."""
    return row.uploaded_by_id == principal.person_id or can(
        principal, Action.VIEW_CONTROLS, row.unit_id
    )


@dataclass(frozen=True)
class Where:
    task_id: int | None
    step_id: int | None
    node: str | None


def _where(
    session: DbSession, principal: Principal, item: Item, task_id: int | None,
    step_id: int | None,
) -> Where:  # fmt: skip
    if task_id is not None and step_id is not None:
        raise ValidationFailed.at("task", "请只指定待办环节或已办步骤之一")
    if task_id is not None:
        task = session.get(Task, task_id)
        if task is None or task.item_id != item.id:
            raise ValidationFailed.at("task", f"事项 {item.id} 没有待办环节 {task_id}")
        if task_id not in workflow.my_open_task_ids(session, principal, item.id):
            raise Forbidden("只能在您本人持有岗位的待办环节上传附件", code="not_your_task")
        return Where(task.id, None, task.node)
    if step_id is not None:
        step = session.get(Step, step_id)
        if step is None or step.item_id != item.id:
            raise ValidationFailed.at("step", f"事项 {item.id} 没有步骤 {step_id}")
        if step.person_id != principal.person_id:
            raise Forbidden("只能为您本人办理的步骤补充附件", code="not_your_step")
        return Where(step.task_id, step.id, step.node)
    return Where(None, None, None)


def attach(
    session: DbSession, principal: Principal, store: FileStore, item_id: int,
    stream: IO[bytes], filename: str | None, *, limit: int, task_id: int | None = None,
    step_id: int | None = None,
) -> Attachment:  # fmt: skip
    """Store ``stream`` (an upload named ``filename``) and attach it to the item."""
    item = _visible_item(session, principal, item_id)
    if item.status not in OPEN_FOR_FILES:
        raise Conflict(
            _l("the item is closed (completed, rejected or cancelled): no file can be added"),
            code=f"item_{item.status.value}",
        )
    if not may_attach(session, principal, item):
        raise Forbidden(
            "只有事项的发起人或持有其待办环节岗位的人员可以上传附件", code="may_not_attach"
        )
    where = _where(session, principal, item, task_id, step_id)
    upload = files.receive(store, stream, filename, limit=limit)
    # The bytes are on disk and checked: only now take the write lock (SQLite), so that an
    # upload on a slow line never holds up everyone else's writes.
    switch_to_writing(session)
    row = Attachment(
        unit_id=item.unit_id, item_id=item.id, task_id=where.task_id, step_id=where.step_id,
        node=where.node, filename=upload.filename, content_type=upload.content_type,
        size=upload.size, sha256=upload.sha256, uploaded_by_id=principal.person_id,
        uploaded_at=utcnow(), is_withdrawn=False,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def withdraw(
    session: DbSession, principal: Principal, attachment_id: int, reason: str
) -> Attachment:
    """撤回: mark a wrong file withdrawn (its uploader only); it is never deleted."""
    row = _visible(session, principal, attachment_id)
    if row.uploaded_by_id != principal.person_id:
        raise Forbidden("只有上传者本人可以撤回附件", code="not_your_attachment")
    if row.is_withdrawn:
        raise Conflict("附件已撤回", code="already_withdrawn")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.at("reason", "请说明撤回的原因")
    if len(reason) > MAX_REASON:
        raise ValidationFailed.at("reason", f"原因不超过 {MAX_REASON} 字")
    row.is_withdrawn = True
    row.withdrawn_reason = reason
    row.withdrawn_by_id = principal.person_id
    row.withdrawn_at = utcnow()
    session.flush()
    return row


def _record_problem(session: DbSession, row: Attachment, health: Health, how: str) -> None:
    audit.record(
        session, f"attachment.file_{health}", target_type="attachment", target_id=row.id,
        unit_id=row.unit_id, after={"sha256": row.sha256, "size": row.size, "found_by": how},
    )  # fmt: skip


def open_content(
    session: DbSession, principal: Principal, store: FileStore, attachment_id: int
) -> tuple[Attachment, IO[bytes]]:
    """The attachment and its file, open at the start, once its bytes were checked
    against the SHA-256 recorded at upload: 410 when the file is gone, 409 when it was
    changed (both recorded).  The download itself is recorded too."""
    row = _visible(session, principal, attachment_id)
    if row.is_withdrawn and not may_read_withdrawn(principal, row):
        raise Forbidden("附件已撤回，仅上传者和监督人员可以查看", code="attachment_withdrawn")
    health, file = files.open_checked(store, row.sha256, row.size)
    if file is None:
        _record_problem(session, row, health, "download")
        raise files.problem_error(health)
    audit.record(
        session, "attachment.downloaded", target_type="attachment", target_id=row.id,
        unit_id=row.unit_id, after={"sha256": row.sha256, "filename": row.filename},
    )  # fmt: skip
    return row, file


def _views(
    session: DbSession, rows: list[Attachment], health: Mapping[int, Health] | None
) -> list[dict[str, Any]]:
    people = person_names(
        session, {r.uploaded_by_id for r in rows} | {r.withdrawn_by_id for r in rows
                                                     if r.withdrawn_by_id},
    )  # fmt: skip
    # Attached from a task that has been completed since: the step it became.
    waiting = sorted({r.task_id for r in rows if r.task_id is not None and r.step_id is None})
    became: dict[int, int] = {}
    if waiting:
        became = {
            task_id: step_id
            for task_id, step_id in session.execute(
                sa.select(Step.task_id, Step.id).where(Step.task_id.in_(waiting))
            )
            if task_id is not None
        }
    names: dict[int, dict[str, str]] = {}
    found = []
    for r in rows:
        if r.item_id not in names:
            definition = workflow.definition_of_item(session, r.item_id)
            names[r.item_id] = {n.key: n.name for n in definition.nodes}
        found.append({
            "id": r.id, "item_id": r.item_id, "task_id": r.task_id,
            "step_id": r.step_id or (became.get(r.task_id) if r.task_id else None),
            "node": r.node, "node_name": names[r.item_id].get(r.node or "", r.node),
            "filename": r.filename, "content_type": r.content_type, "size": r.size,
            "sha256": r.sha256,
            "uploaded_by": people.get(r.uploaded_by_id, ("", ""))[0],
            "uploaded_by_name": people.get(r.uploaded_by_id, ("", ""))[1],
            "uploaded_at": r.uploaded_at, "is_withdrawn": r.is_withdrawn,
            "withdrawn_reason": r.withdrawn_reason,
            "withdrawn_by": people.get(r.withdrawn_by_id, ("", ""))[0]
            if r.withdrawn_by_id else None,
            "withdrawn_at": r.withdrawn_at,
            "file_status": health.get(r.id) if health is not None else None,
        })  # fmt: skip
    return found


def attachments_of_item(
    session: DbSession, principal: Principal, item_id: int, store: FileStore | None = None
) -> list[dict[str, Any]]:
    """The attachments of an item the caller may see, oldest first; with ``store``, each
    file is hashed again and its ``file_status`` is ok, missing or altered."""
    _visible_item(session, principal, item_id)
    rows = list(
        session.scalars(
            sa.select(Attachment).where(Attachment.item_id == item_id).order_by(Attachment.id)
        )
    )
    health = {r.id: store.health(r.sha256, r.size) for r in rows} if store else None
    return _views(session, rows, health)


def attachment_view(
    session: DbSession, principal: Principal, attachment_id: int, store: FileStore | None = None
) -> dict[str, Any]:
    row = _visible(session, principal, attachment_id)
    health = {row.id: store.health(row.sha256, row.size)} if store else None
    return _views(session, [row], health)[0]


@dataclass(frozen=True)
class Panel:
    """What an item's page shows of its attachments."""

    items: list[dict[str, Any]]
    may_attach: bool
    me: int


def panel(session: DbSession, principal: Principal, store: FileStore, item_id: int) -> Panel:
    item = _visible_item(session, principal, item_id)
    return Panel(
        attachments_of_item(session, principal, item_id, store),
        may_attach(session, principal, item),
        principal.person_id,
    )


@dataclass(frozen=True)
class Finding:
    id: int
    item_id: int
    filename: str
    sha256: str
    health: Health


def verify_all(session: DbSession, store: FileStore) -> tuple[int, list[Finding]]:
    """Hash every stored file again: (how many were checked, those missing or altered).
    Each problem found is recorded on the audit chain."""
    checked, bad = 0, []
    rows = session.scalars(sa.select(Attachment).order_by(Attachment.id))
    for row in rows:
        checked += 1
        health = store.health(row.sha256, row.size)
        if health != "ok":
            bad.append(Finding(row.id, row.item_id, row.filename, row.sha256, health))
    for finding in bad:
        found = session.get(Attachment, finding.id)
        assert found is not None
        _record_problem(session, found, finding.health, "verify")
    return checked, bad
