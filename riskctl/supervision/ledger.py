"""The supervision ledger (督查工作台账): findings of 巡察, 督查, 审计 and 专项检查, and
warnings put on the ledger; their measures, progress with evidence, 销号 and 退回.

Who may do what:
- the person responsible sees and works on their findings; the unit's discipline team
  leader sees the unit's and enters findings for it; inspectors the same over their
  scope; administrators read all;
- progress, evidence and the request for 销号: the person responsible, or those who enter
  findings for the unit;
- 销号 (verification) and 退回 (return for more work): the inspectors whose scope holds
  the unit, never about a finding they are responsible for.

The caller commits; services flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core.access import Action, Principal, can
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.files import services as files
from riskctl.files.storage import FileStore
from riskctl.org.models import Unit
from riskctl.supervision import people
from riskctl.supervision.checks import Problems
from riskctl.supervision.models import (
    Finding,
    FindingSource,
    FindingStatus,
    FindingUpdate,
    SupervisionFile,
    UpdateKind,
)
from riskctl.supervision.talks import MAX_REASON, SCAN_KINDS, Scan, check_due, file_view, text_value

MAX_TEXT = 20_000


# ---------------------------------------------------------------- reading


def visibility(principal: Principal) -> Any:
    return sa.or_(
        unit_filter(principal, Action.VIEW_LEDGER, Finding.unit_id),
        Finding.responsible_id == principal.person_id,
    )


def visible_finding(
    session: DbSession, principal: Principal, finding_id: int, *, to_change: bool = False
) -> Finding:
    """The finding, or 404; ``to_change``: locked until the caller commits (PostgreSQL),
    so that of two people acting on it at once the second sees what the first did."""
    stmt = sa.select(Finding).where(Finding.id == finding_id, visibility(principal))
    found = session.scalar(stmt.with_for_update(of=Finding) if to_change else stmt)
    if found is None:
        raise NotFound(_l("no finding %(id)s", id=finding_id), code="unknown_finding")
    return found


def _filtered(
    session: DbSession, principal: Principal, *, unit: str | None, status: str | None,
    source: str | None, overdue: bool, mine: bool,
) -> sa.Select[Any]:  # fmt: skip
    stmt = sa.select(Finding).where(visibility(principal))
    if mine:
        stmt = stmt.where(Finding.responsible_id == principal.person_id)
    if unit is not None:
        stmt = stmt.where(Finding.unit_id == people.unit_by_code(session, unit).id)
    if status is not None:
        stmt = stmt.where(Finding.status == FindingStatus(status))
    if source is not None:
        stmt = stmt.where(Finding.source == FindingSource(source))
    if overdue:
        stmt = stmt.where(Finding.status != FindingStatus.VERIFIED,
                          Finding.deadline < local_date())  # fmt: skip
    return stmt


def list_findings(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    status: str | None = None, source: str | None = None, overdue: bool = False,
    mine: bool = False, limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """The findings the caller may see, newest first."""
    stmt = _filtered(session, principal, unit=unit, status=status, source=source,
                     overdue=overdue, mine=mine)  # fmt: skip
    return paginate(session, stmt.order_by(Finding.id.desc()), limit, offset)


def ledger_rows(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    status: str | None = None, source: str | None = None, overdue: bool = False,
    limit: int = 50_000,
) -> list[Finding]:  # fmt: skip
    """The ledger in the offices' order (unit, then entry): the export's rows."""
    stmt = _filtered(session, principal, unit=unit, status=status, source=source,
                     overdue=overdue, mine=False)  # fmt: skip
    return list(session.scalars(stmt.order_by(Finding.unit_id, Finding.id).limit(limit)))


def outcome(finding: Finding, today: date, calendar: WorkingCalendar) -> tuple[str, int]:
    """(held | late | open, working days late): verified by its deadline, verified late
    or still open past it, not due yet.  ``held`` is the statistics' word for done."""
    done = calendar.local_date(finding.verified_at) if finding.verified_at else None
    if done is not None and done <= finding.deadline:
        return "held", 0
    until = done or today
    if until > finding.deadline:
        return "late", max(calendar.working_days_between(finding.deadline, until), 0)
    return "open", 0


def finding_views(
    session: DbSession, findings: Sequence[Finding], *, history: bool = False
) -> list[dict[str, Any]]:
    """Findings as the API and the pages show them; ``history``: with their updates and
    files (one finding's page)."""
    findings = list(findings)
    ids = [f.id for f in findings]
    updates: dict[int, list[FindingUpdate]] = {}
    stored: dict[int, list[SupervisionFile]] = {}
    latest: dict[int, FindingUpdate] = {}
    if ids:
        for u in session.scalars(
            sa.select(FindingUpdate).where(FindingUpdate.finding_id.in_(ids))
            .order_by(FindingUpdate.id)
        ):  # fmt: skip
            updates.setdefault(u.finding_id, []).append(u)
            if u.kind is UpdateKind.PROGRESS:
                latest[u.finding_id] = u
        if history:
            for row in session.scalars(
                sa.select(SupervisionFile).where(SupervisionFile.finding_id.in_(ids))
                .order_by(SupervisionFile.id)
            ):  # fmt: skip
                stored.setdefault(row.finding_id or 0, []).append(row)
    who_ids: set[int] = set()
    for f in findings:
        who_ids |= {i for i in (f.responsible_id, f.verified_by_id, f.created_by_id,
                                f.disposed_by_id) if i}  # fmt: skip
        who_ids |= {u.author_id for u in updates.get(f.id, [])}
        who_ids |= {r.uploaded_by_id for r in stored.get(f.id, [])}
    names = people.usernames(session, who_ids)
    labels = people.person_labels(session, who_ids)
    units = {u.id: (u.code, u.name) for u in session.scalars(sa.select(Unit))}
    calendar, today = working_calendar(session), local_date()
    views = []
    for f in findings:
        result, late = outcome(f, today, calendar)
        progress = latest.get(f.id)
        view: dict[str, Any] = {
            "id": f.id, "unit": units[f.unit_id][0], "unit_name": units[f.unit_id][1],
            "source": f.source.value, "description": f.description, "measures": f.measures,
            "responsible": names.get(f.responsible_id) if f.responsible_id else None,
            "responsible_label": labels.get(f.responsible_id) if f.responsible_id else None,
            "deadline": f.deadline, "status": f.status.value, "risk_event_id": f.risk_event_id,
            "disposition": f.disposition,
            "disposed_by": names.get(f.disposed_by_id) if f.disposed_by_id else None,
            "disposed_by_label": labels.get(f.disposed_by_id) if f.disposed_by_id else None,
            "submitted_at": f.submitted_at, "returns": f.returns,
            "verified_by": names.get(f.verified_by_id) if f.verified_by_id else None,
            "verified_by_label": labels.get(f.verified_by_id) if f.verified_by_id else None,
            "verified_at": f.verified_at,
            "created_by": names.get(f.created_by_id) if f.created_by_id else None,
            "created_at": f.created_at, "updated_at": f.updated_at,
            "latest_progress": progress.text if progress else None,
            "latest_progress_at": progress.at if progress else None,
            "outcome": result, "working_days_late": late,
        }  # fmt: skip
        if history:
            view["updates"] = [
                {"id": u.id, "kind": u.kind.value, "text": u.text, "at": u.at,
                 "author": names.get(u.author_id), "author_label": labels.get(u.author_id)}
                for u in updates.get(f.id, [])
            ]  # fmt: skip
            view["files"] = [file_view(r, names, labels) for r in stored.get(f.id, [])]
        views.append(view)
    return views


def progress_lines(
    session: DbSession, finding_ids: Sequence[int]
) -> dict[int, list[FindingUpdate]]:
    """Every update of the findings, oldest first (the export's 整改进展)."""
    found: dict[int, list[FindingUpdate]] = {}
    for chunk in (finding_ids[n : n + 500] for n in range(0, len(finding_ids), 500)):
        for u in session.scalars(
            sa.select(FindingUpdate).where(FindingUpdate.finding_id.in_(list(chunk)))
            .order_by(FindingUpdate.id)
        ):  # fmt: skip
            found.setdefault(u.finding_id, []).append(u)
    return found


@dataclass(frozen=True)
class May:
    """What the caller may do with a finding now (the page's buttons)."""

    work: bool  # progress, evidence, ask for 销号
    verify: bool  # 销号
    send_back: bool  # 退回


def may(principal: Principal, finding: Finding) -> May:
    works = finding.responsible_id == principal.person_id or can(
        principal, Action.MANAGE_LEDGER, finding.unit_id
    )
    verifier = (
        can(principal, Action.VERIFY_LEDGER, finding.unit_id)
        and finding.responsible_id != principal.person_id
    )
    return May(
        work=works and finding.status is FindingStatus.RECTIFYING,
        verify=verifier and finding.status is not FindingStatus.VERIFIED,
        send_back=verifier and finding.status is FindingStatus.SUBMITTED,
    )


# ---------------------------------------------------------------- entering


@dataclass(frozen=True)
class Entry:
    """A finding to enter, as checked."""

    unit_id: int
    source: FindingSource
    description: str
    measures: str
    responsible_id: int | None
    deadline: date
    risk_event_id: int | None = None
    disposition: str | None = None
    disposed_by_id: int | None = None


def check_responsible(session: DbSession, unit_id: int, username: str, path: str) -> int:
    return people.of_unit(session, [username], unit_id, path)[0].id


def create_finding(
    session: DbSession, principal: Principal, *, unit: str | None, source: str,
    description: str | None, deadline: date, measures: str | None = None,
    responsible: str | None = None, risk_event_id: int | None = None,
) -> Finding:  # fmt: skip
    """Enter a finding for a unit (its discipline team leader, the inspectors of its
    scope): 403 for a unit out of reach; 422 names every wrong field.  From a warning
    (转台账): one the caller sees; its unit and its evidence in words are the defaults."""
    event = None
    if risk_event_id is not None:
        from riskctl.risk import services as risk  # the warning as its reader sees it

        event = risk.visible_event(session, principal, risk_event_id)
    if unit:
        found = people.unit_by_code(session, unit)
    elif event is not None:
        found = session.get_one(Unit, event.unit_id)
    else:
        raise ValidationFailed.at("unit", _l("say which unit"))
    if not can(principal, Action.MANAGE_LEDGER, found.id):
        raise Forbidden(_l("you do not keep the ledger of this unit"), code="not_your_unit")
    problems = Problems()
    chosen = FindingSource.RISK_WARNING
    if event is not None:
        if event.unit_id != found.id:
            problems.add("risk_event", _l("the warning is about another unit"))
        description = description or describe(session, event)
    elif source not in {s.value for s in FindingSource}:
        problems.add("source", _l("not one of the sources"))
    else:
        chosen = FindingSource(source)
    what = problems.check(lambda: text_value(description, "description", MAX_TEXT))
    how = problems.check(lambda: text_value(measures, "measures", MAX_TEXT, required=False))
    due = problems.check(lambda: check_due(deadline, "deadline"))
    who = None
    if responsible:
        who = problems.check(
            lambda: check_responsible(session, found.id, responsible, "responsible")
        )
    problems.raise_any()
    assert what is not None and due is not None
    return add_finding(
        session, principal.person_id or None,
        Entry(found.id, chosen, what, how or "", who, due, risk_event_id),
    )  # fmt: skip


def describe(session: DbSession, event: Any) -> str:
    """A warning as a ledger's 问题: its rule and its evidence in words (in Chinese, the
    language the ledger is kept in)."""
    from riskctl.risk import services as risk
    from riskctl.risk.rules import REGISTRY

    rule = REGISTRY.get(event.rule)
    words = risk.explained_evidence(session, event, "zh").text().replace("\n", " ")
    name = rule.name if rule is not None else event.rule
    return f"风险预警 #{event.id}「{name}」：{words}".strip()[:MAX_TEXT]


def add_finding(session: DbSession, created_by_id: int | None, entry: Entry) -> Finding:
    now = utcnow()
    finding = Finding(
        unit_id=entry.unit_id, source=entry.source, description=entry.description,
        measures=entry.measures, responsible_id=entry.responsible_id, deadline=entry.deadline,
        status=FindingStatus.RECTIFYING, risk_event_id=entry.risk_event_id,
        disposition=entry.disposition, disposed_by_id=entry.disposed_by_id, returns=0,
        created_by_id=created_by_id, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(finding)
    session.flush()
    return finding


# ---------------------------------------------------------------- rectifying


def _working(session: DbSession, principal: Principal, finding_id: int) -> Finding:
    finding = visible_finding(session, principal, finding_id, to_change=True)
    if may(principal, finding).work:
        return finding
    if finding.status is not FindingStatus.RECTIFYING:
        raise Conflict(
            _l("the finding is not being rectified (it awaits verification or is closed)"),
            code="finding_not_rectifying",
        )
    raise Forbidden(
        _l("only the person responsible, or who keeps the unit's ledger, reports on it"),
        code="not_responsible",
    )


def _note(session: DbSession, finding: Finding, kind: UpdateKind, text: str,
          author_id: int) -> FindingUpdate:  # fmt: skip
    now = utcnow()
    row = FindingUpdate(finding_id=finding.id, kind=kind, text=text, author_id=author_id, at=now)
    session.add(row)
    finding.updated_at = now
    session.flush()
    return row


def record_progress(
    session: DbSession, principal: Principal, finding_id: int, *, text: str,
    measures: str | None = None, evidence: Scan | None = None,
) -> FindingUpdate:  # fmt: skip
    """整改进展: what was done; ``measures`` replaces the rectification measures; a file
    of evidence with it, if given (refused: nothing is recorded)."""
    finding = _working(session, principal, finding_id)
    problems = Problems()
    said = problems.check(lambda: text_value(text, "text", MAX_TEXT))
    how = problems.check(lambda: text_value(measures, "measures", MAX_TEXT, required=False))
    problems.raise_any()
    if how is not None:
        finding.measures = how
    update = _note(session, finding, UpdateKind.PROGRESS, said or "", principal.person_id)
    if evidence is not None:
        _keep(session, principal, finding, evidence, update.id)
    return update


def add_evidence(
    session: DbSession, principal: Principal, store: FileStore, finding_id: int,
    stream: IO[bytes], filename: str | None, *, limit: int, update_id: int | None = None,
) -> SupervisionFile:  # fmt: skip
    """A file of evidence (PDF, JPEG, PNG, OFD) on the finding, or on one of its progress
    updates: 413 too large, 422 another kind."""
    finding = _working(session, principal, finding_id)
    if update_id is not None:
        owner = session.get(FindingUpdate, update_id)
        if owner is None or owner.finding_id != finding.id:
            raise ValidationFailed.at("update", _l("not an update of this finding"))
    return _keep(session, principal, finding, Scan(store, stream, filename, limit), update_id)


def _keep(
    session: DbSession, principal: Principal, finding: Finding, evidence: Scan,
    update_id: int | None,
) -> SupervisionFile:  # fmt: skip
    upload = files.receive(evidence.store, evidence.stream, evidence.filename,
                           limit=evidence.limit, kinds=SCAN_KINDS)  # fmt: skip
    row = SupervisionFile(
        unit_id=finding.unit_id, finding_id=finding.id, update_id=update_id,
        filename=upload.filename, content_type=upload.content_type, size=upload.size,
        sha256=upload.sha256, uploaded_by_id=principal.person_id, uploaded_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    finding.updated_at = row.uploaded_at
    session.flush()
    return row


def submit(session: DbSession, principal: Principal, finding_id: int, text: str) -> Finding:
    """整改完成，申请销号: the inspectors verify or return it."""
    finding = _working(session, principal, finding_id)
    said = text_value(text, "text", MAX_TEXT, required=False) or str(_l("Rectification done."))
    _note(session, finding, UpdateKind.SUBMITTED, said, principal.person_id)
    finding.status, finding.submitted_at = FindingStatus.SUBMITTED, utcnow()
    session.flush()
    return finding


def _verifier(session: DbSession, principal: Principal, finding_id: int) -> Finding:
    finding = visible_finding(session, principal, finding_id, to_change=True)
    if not can(principal, Action.VERIFY_LEDGER, finding.unit_id):
        raise Forbidden(
            _l("a finding is verified and closed by the commission's inspectors of its unit"),
            code="inspector_only",
        )
    if finding.responsible_id == principal.person_id:
        raise Forbidden(_l("nobody verifies a finding they are responsible for"), code="own_work")
    return finding


def verify(session: DbSession, principal: Principal, finding_id: int, note: str | None) -> Finding:
    """销号: the rectification is checked and the finding closed."""
    finding = _verifier(session, principal, finding_id)
    if finding.status is FindingStatus.VERIFIED:
        raise Conflict(_l("the finding is closed already"), code="finding_verified")
    said = text_value(note, "note", MAX_TEXT, required=False) or str(_l("Verified and closed."))
    _note(session, finding, UpdateKind.VERIFIED, said, principal.person_id)
    finding.status = FindingStatus.VERIFIED
    finding.verified_by_id, finding.verified_at = principal.person_id, utcnow()
    session.flush()
    return finding


def send_back(
    session: DbSession, principal: Principal, finding_id: int, reason: str,
    deadline: date | None = None,
) -> Finding:  # fmt: skip
    """退回: the rectification is not enough; back to work (by a new deadline if given)."""
    finding = _verifier(session, principal, finding_id)
    if finding.status is not FindingStatus.SUBMITTED:
        raise Conflict(_l("only a finding awaiting verification is returned"),
                       code="finding_not_submitted")  # fmt: skip
    problems = Problems()
    why = problems.check(lambda: text_value(reason, "reason", MAX_REASON))
    if deadline is not None:
        problems.check(lambda: check_due(deadline, "deadline"))
    problems.raise_any()
    _note(session, finding, UpdateKind.RETURNED, why or "", principal.person_id)
    finding.status, finding.submitted_at = FindingStatus.RECTIFYING, None
    finding.returns += 1
    if deadline is not None:
        finding.deadline = deadline
    session.flush()
    return finding
