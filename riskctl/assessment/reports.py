"""The monthly report (月度廉政风险分析报告): what it holds, building it into a PDF and an
XLSX kept in the file store, listing and downloading it, and the scheduler's job.

A report covers a period and a set of units.  The scheduler builds one for the previous
month on the first working day of each month (from then on, until it exists: a
scheduler that was down that day catches up), one per distinct inspection scope — each
inspector's units, and all units for the administrators — and tells each inspector in
the platform when theirs is ready.  An inspector may build one for any period over
their own scope.  Whoever may see all of a report's units may download it; every
download is on the audit chain, and the files' SHA-256 are (with the report's row).
"""

from __future__ import annotations

import base64
import hashlib
import io
import time as timing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.alerts import outbox
from riskctl.assessment import charts, documents, profiles, sections, usage
from riskctl.assessment.models import Evaluation, EvaluationStatus, Report, ReportKind
from riskctl.core import audit, calendar_store
from riskctl.core.access import (
    ALL_UNITS,
    SYSTEM_ADMIN,
    Action,
    Principal,
    Role,
    require,
    visible_units,
)
from riskctl.core.calendar import TimeLimit
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import NotFound, ValidationFailed
from riskctl.files import services as files
from riskctl.files.storage import FileStore
from riskctl.org import services as org
from riskctl.org.models import Unit
from riskctl.risk import services as risk
from riskctl.risk.labels import in_force as labels_in_force
from riskctl.risk.rules import REGISTRY
from riskctl.workflow import services as workflow

# A generated file, not an upload: the bound only guards the store against a runaway.
MAX_FILE_BYTES = 512 * 1024 * 1024
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALL = "all"


def store_of(config: Mapping[str, Any]) -> FileStore:
    return files.store_of(config)


def scope_key(unit_ids: Iterable[int] | None) -> str:
    """``all``, or a digest of the sorted unit ids: the same scope, the same key."""
    if unit_ids is None:
        return ALL
    text = ",".join(str(u) for u in sorted(set(unit_ids)))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- what a report holds


def gather(
    session: DbSession,
    principal: Principal,
    first: date,
    last: date,
    unit_ids: frozenset[int] | None,
) -> dict[str, Any]:
    """Everything a report prints, as plain data (the documents render it)."""
    units = profiles.units_in_reach(session, principal, Action.VIEW_ASSESSMENT)
    if unit_ids is not None:
        units = [u for u in units if u.id in unit_ids]
    ids = frozenset(u.id for u in units)
    # The warnings are read once, for the profiles' twelve months, and shared.
    every = risk.event_rows(session, principal, *profiles.window(first, last))
    picture = profiles.profiles(session, principal, first, last, unit_ids=ids, rows=every)
    use = usage.platform_use(session, principal, profiles.month_of(first), unit_ids=ids, rows=every)
    rows = [r for r in every if r.unit_id in ids]
    policy = risk.current_policy(session)
    calendar = calendar_store.working_calendar(session)
    limit = TimeLimit.parse(policy.profile["dispose_within"])
    now = utcnow()
    reds = sorted(
        (r for r in rows if r.level == "red" and r.status in ("open", "acknowledged", "explained")),
        key=lambda r: r.level_since,
    )
    titles = workflow.item_titles(session, {r.item_id for r in reds if r.item_id})
    people = org.person_labels(session, {r.person_id for r in reds if r.person_id})
    names = {u.id: u.name for u in units}
    red_rows = []
    for r in reds:
        due = calendar.due_at(profiles._utc(r.level_since), limit)
        red_rows.append(
            {
                "id": r.id,
                "unit": names.get(r.unit_id, ""),
                "rule": REGISTRY[r.rule].name if r.rule in REGISTRY else r.rule,
                "item": titles.get(r.item_id or 0, ""),
                "person": people.get(r.person_id or 0, ""),
                "since": calendar_store.local_date(r.level_since).isoformat(),
                "due": calendar_store.local_date(due).isoformat(),
                "overdue": due < now,
                "score": round(r.score, 1),
            }
        )
    evaluations = session.scalars(
        sa.select(Evaluation)
        .where(
            Evaluation.unit_id.in_(sorted(ids) or [-1]), Evaluation.status == EvaluationStatus.FINAL
        )
        .order_by(Evaluation.year.desc(), Evaluation.unit_id)
    ).all()
    latest: dict[int, Evaluation] = {}
    for e in evaluations:
        latest.setdefault(e.unit_id, e)
    labels = labels_in_force(session)
    raised = {
        lv: sum(u["raised"][lv] for u in picture["units"]) for lv in ("red", "orange", "yellow")
    }
    handled = sum(u["handled"] for u in picture["units"])
    weight = sum(u["weight"] for u in picture["units"])
    extra = sections.collect(sections.SectionContext(session, principal, first, last, ids))
    scope = _scope_name(session, ids)
    return {
        "title": str(_l("Monthly integrity risk analysis report")),
        "scope": scope,
        "first": first,
        "last": last,
        "generated_at": calendar_store.local_date(now).isoformat(),
        "level_names": {lv: labels.short(lv) for lv in ("red", "orange", "yellow")},
        "overview": {
            "units": len(units),
            "raised": raised,
            "handled": handled,
            "index": round(profiles.index_of(weight, handled, policy.profile), 2),
            "active_red": len(red_rows),
            "overdue": sum(1 for r in red_rows if r["overdue"]),
            "dormant": sum(1 for u in use["units"] if u["dormant"]),
        },
        "profiles": picture,
        "usage": use,
        "red": red_rows,
        "evaluations": [
            {
                "unit": names.get(e.unit_id, ""),
                "year": e.year,
                "framework": e.result["framework"]["name"],
                "total": str(e.total) if e.total is not None else "",
                "recorded_total": str(e.recorded_total) if e.recorded_total is not None else "",
                "grade": e.grade or "",
            }
            for e in latest.values()
        ],
        "sections": [
            {
                "title": s.title,
                "paragraphs": list(s.paragraphs),
                "tables": [
                    {"title": t.title, "header": list(t.header), "rows": [list(r) for r in t.rows]}
                    for t in s.tables
                ],
            }
            for s in extra
        ],
    }


def _scope_name(session: DbSession, ids: frozenset[int]) -> str:
    total = session.scalar(sa.select(sa.func.count()).select_from(Unit)) or 0
    if len(ids) == total:
        return str(_l("all units"))
    names = sorted(
        n for (n,) in session.execute(sa.select(Unit.name).where(Unit.id.in_(sorted(ids) or [-1])))
    )
    shown = "、".join(names[:4])
    return shown + (
        str(_l(" and %(n)s more units (%(total)s in all)", n=len(names) - 4, total=len(names)))
        if len(names) > 4
        else ""
    )


# ---------------------------------------------------------------- building


def _keep(store: FileStore, data: bytes) -> tuple[str, int]:
    received = store.receive(io.BytesIO(data), MAX_FILE_BYTES)
    store.keep(received)
    return received.sha256, received.size


def build(
    session: DbSession,
    principal: Principal,
    store: FileStore,
    first: date,
    last: date,
    *,
    kind: ReportKind,
    unit_ids: frozenset[int] | None,
    created_by: int | None = None,
) -> Report:
    """Gather, render and keep a report; its row (with the files' SHA-256) is written in
    the caller's transaction and so on the audit chain."""
    started = timing.perf_counter()
    data = gather(session, principal, first, last, unit_ids)
    pdf, pages = documents.pdf(data)
    xlsx = documents.xlsx(data)
    pdf_sha, pdf_size = _keep(store, pdf)
    xlsx_sha, xlsx_size = _keep(store, xlsx)
    ids = (
        sorted(unit_ids)
        if unit_ids is not None
        else sorted(
            u.id for u in profiles.units_in_reach(session, principal, Action.VIEW_ASSESSMENT)
        )
    )
    row = Report(
        kind=kind,
        period_first=first,
        period_last=last,
        unit_ids=ids,
        scope_key=scope_key(unit_ids),
        title=f"{data['title']}（{data['scope']}，{first.isoformat()}—{last.isoformat()}）"[:200],
        pdf_sha256=pdf_sha,
        pdf_size=pdf_size,
        pdf_pages=pages,
        xlsx_sha256=xlsx_sha,
        xlsx_size=xlsx_size,
        summary=_summary(data),
        build_seconds=round(timing.perf_counter() - started, 3),
        created_by_id=created_by,
    )
    session.add(row)
    session.flush()
    return row


def _summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures the list and the report page show (and chart, as SVG)."""
    ranked = data["profiles"]["units"]
    return {
        **data["overview"],
        "top": [{"unit": u["unit_name"], "index": u["index"]} for u in ranked[:10]],
        "months": data["profiles"]["months"],
        "trend": [
            round(sum(u["trend"][n] for u in ranked) / max(len(ranked), 1), 2)
            for n in range(len(data["profiles"]["months"]))
        ],
    }


def build_on_demand(
    session: DbSession, principal: Principal, store: FileStore, first: date, last: date
) -> Report:
    """A report for any period over the caller's own reach, built now."""
    require(principal, Action.VIEW_REPORTS)
    if last < first:
        raise ValidationFailed.at("to", _l("must not be before from"))
    if (last - first).days > 366:
        raise ValidationFailed.at("to", _l("a period is at most a year"))
    reach = visible_units(principal, Action.VIEW_REPORTS)
    unit_ids = None if reach is ALL_UNITS else frozenset(reach)  # type: ignore[arg-type]
    return build(
        session,
        principal,
        store,
        first,
        last,
        kind=ReportKind.ON_DEMAND,
        unit_ids=unit_ids,
        created_by=principal.person_id or None,
    )


def first_working_day(session: DbSession, day: date) -> date:
    calendar = calendar_store.working_calendar(session)
    first = day.replace(day=1)
    return first if calendar.is_working_day(first) else calendar.next_working_day(first)


def monthly_due(session: DbSession, store: FileStore, *, today: date | None = None) -> int:
    """The scheduler's job: from the first working day of a month, the previous month's
    report for every inspection scope that has none yet; each inspector of the scope is
    told in the platform.  Returns how many reports were built (0 on most runs)."""
    today = today or calendar_store.local_date()
    if today < first_working_day(session, today):
        return 0
    month = profiles.previous_month(today)
    scopes: dict[str, tuple[frozenset[int] | None, set[int]]] = {ALL: (None, set())}
    for person_id, units in org.inspector_scopes(session).items():
        if units:
            key = scope_key(units)
            scopes.setdefault(key, (units, set()))[1].add(person_id)
    built = 0
    for key, (scope, readers) in sorted(scopes.items(), key=lambda kv: kv[0]):
        done = session.scalar(
            sa.select(Report.id).where(
                Report.kind == ReportKind.MONTHLY,
                Report.period_first == month.first,
                Report.scope_key == key,
            )
        )
        if done is not None:
            continue
        principal = (
            SYSTEM_ADMIN
            if scope is None
            else Principal(0, None, frozenset({Role.INSPECTOR}), scope_unit_ids=scope)
        )
        row = build(
            session,
            principal,
            store,
            month.first,
            month.last,
            kind=ReportKind.MONTHLY,
            unit_ids=scope,
        )
        built += 1
        outbox.notice(
            session,
            f"report{row.id}",
            readers,
            f"月度廉政风险分析报告已生成（{month.label}）",
            f"{row.title}已生成，可在“分析评估·月度报告”中查看和下载。",
            {"report": row.id, "link": f"/assessment/reports/{row.id}"},
        )
    return built


# ---------------------------------------------------------------- reading


def _may_see(principal: Principal, row: Report) -> bool:
    reach = visible_units(principal, Action.VIEW_REPORTS)
    return reach is ALL_UNITS or set(row.unit_ids) <= set(reach)  # type: ignore[arg-type]


def list_reports(
    session: DbSession, principal: Principal, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The reports whose units are all within the caller's reach, newest first."""
    require(principal, Action.VIEW_REPORTS)
    rows = [
        r
        for r in session.scalars(
            sa.select(Report).order_by(Report.period_first.desc(), Report.id.desc())
        )
        if _may_see(principal, r)
    ]
    page = rows[offset : offset + limit]
    return {
        "items": [report_view(session, r) for r in page],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
    }


def report_view(session: DbSession, row: Report) -> dict[str, Any]:
    codes = dict(
        session.execute(
            sa.select(Unit.id, Unit.code).where(Unit.id.in_(row.unit_ids or [-1]))
        ).all()
    )
    creator = org.person_labels(session, {row.created_by_id}) if row.created_by_id else {}
    return {
        "id": row.id,
        "kind": row.kind.value,
        "title": row.title,
        "first": row.period_first,
        "last": row.period_last,
        "units": [codes[u] for u in row.unit_ids if u in codes],
        "pdf_sha256": row.pdf_sha256,
        "pdf_size": row.pdf_size,
        "pdf_pages": row.pdf_pages,
        "xlsx_sha256": row.xlsx_sha256,
        "xlsx_size": row.xlsx_size,
        "summary": row.summary,
        "build_seconds": row.build_seconds,
        "created_at": row.created_at,
        "created_by": creator.get(row.created_by_id or 0),
    }


def chart_images(summary: Mapping[str, Any]) -> list[str]:
    """The report's headline charts, drawn on the server as SVG (base64, for an ``img``
    on the report's page): the ranking and the 12-month trend."""
    drawings = [
        charts.ranking([t["unit"] for t in summary["top"]], [t["index"] for t in summary["top"]],
                       str(_l("Risk index ranking"))),
        charts.trend(summary["months"], summary["trend"],
                     str(_l("Mean risk index, last 12 months"))),
    ]  # fmt: skip
    return [base64.b64encode(charts.svg(d).encode("utf-8")).decode("ascii") for d in drawings]


def visible_report(session: DbSession, principal: Principal, report_id: int) -> Report:
    require(principal, Action.VIEW_REPORTS)
    row = session.get(Report, report_id)
    if row is None or not _may_see(principal, row):
        raise NotFound(_l("no report %(id)s", id=report_id), code="unknown_report")
    return row


@dataclass(frozen=True)
class OpenFile:
    file: IO[bytes]
    sha256: str
    content_type: str
    filename: str


def open_file(
    session: DbSession, principal: Principal, store: FileStore, report_id: int, fmt: str
) -> OpenFile:
    """A report's file, its bytes checked against the SHA-256 recorded when it was
    built; the download (or the problem) is recorded on the audit chain."""
    row = visible_report(session, principal, report_id)
    if fmt not in CONTENT_TYPES:
        raise ValidationFailed.at("format", _l("must be pdf or xlsx"))
    sha, size = (row.pdf_sha256, row.pdf_size) if fmt == "pdf" else (row.xlsx_sha256, row.xlsx_size)
    health, file = files.open_checked(store, sha, size)
    audit.record(
        session,
        "assessment.report_downloaded" if file else f"assessment.report_{health}",
        target_type="assessment_report",
        target_id=row.id,
        after={"format": fmt, "sha256": sha},
    )
    if file is None:
        raise files.problem_error(health)
    period = f"{row.period_first.isoformat()}_{row.period_last.isoformat()}"
    name = f"月度廉政风险分析报告_{period}_{row.id}.{fmt}"
    return OpenFile(file, sha, CONTENT_TYPES[fmt], name)
