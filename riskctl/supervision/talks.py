"""Talks (谈话): planning, recording, the subjects' confirmation, cancelling; the annual
plans of 集体廉政谈话; the 任前廉政谈话 of a leading post taken; reading within reach.

Who may do what:
- everyone sees the talks they take part in (as talker or subject); the unit's discipline
  team leader sees the unit's, inspectors those of their scope, administrators all;
- the unit's discipline team leader and the inspectors of its scope plan and cancel;
- the talker records the talk held (so may those who plan) and uploads its scans;
- each subject confirms the record after signing in (确认).

A talker is an inspector whose scope holds the unit, the unit's discipline team leader or
one of its heads (a holder of a leading post).  The caller commits; services flush.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import audit, inputs
from riskctl.core.access import Action, Principal, can
from riskctl.core.calendar import WorkingCalendar
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.listing import Page, paginate, unit_filter
from riskctl.files import content
from riskctl.files import services as files
from riskctl.files.storage import FileStore
from riskctl.org.models import Post, Unit
from riskctl.supervision import people
from riskctl.supervision.checks import Problems
from riskctl.supervision.models import (
    SupervisionFile,
    Talk,
    TalkKind,
    TalkPlan,
    TalkStatus,
    TalkSubject,
)

MAX_TOPIC = 500
MAX_PLACE = 200
MAX_RECORD = 20_000
MAX_REASON = 500
# What a record's scan may be: a scanned or signed document.
SCAN_KINDS = (content.PDF, content.JPEG, content.PNG, content.OFD)


# ---------------------------------------------------------------- reading


def visibility(principal: Principal) -> Any:
    """The unit's talks within reach, and the talks the caller takes part in."""
    return sa.or_(
        unit_filter(principal, Action.VIEW_TALKS, Talk.unit_id),
        Talk.talker_id == principal.person_id,
        Talk.id.in_(
            sa.select(TalkSubject.talk_id).where(TalkSubject.person_id == principal.person_id)
        ),
    )


def visible_talk(
    session: DbSession, principal: Principal, talk_id: int, *, to_change: bool = False
) -> Talk:
    """The talk, or 404; ``to_change``: locked until the caller commits (PostgreSQL), so
    that of two people acting on it at once the second sees what the first did (409)."""
    stmt = sa.select(Talk).where(Talk.id == talk_id, visibility(principal))
    talk = session.scalar(stmt.with_for_update(of=Talk) if to_change else stmt)
    if talk is None:
        raise NotFound(_l("no talk %(id)s", id=talk_id), code="unknown_talk")
    return talk


def list_talks(
    session: DbSession, principal: Principal, *, unit: str | None = None,
    kind: str | None = None, status: str | None = None, mine: bool = False,
    overdue: bool = False, limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """The talks the caller may see, the most recently due first; ``mine``: those they
    take part in; ``overdue``: planned and past their due day."""
    stmt = sa.select(Talk).where(visibility(principal))
    if mine:
        stmt = stmt.where(
            sa.or_(Talk.talker_id == principal.person_id,
                   Talk.id.in_(sa.select(TalkSubject.talk_id)
                               .where(TalkSubject.person_id == principal.person_id)))
        )  # fmt: skip
    if unit is not None:
        stmt = stmt.where(Talk.unit_id == people.unit_by_code(session, unit).id)
    if kind is not None:
        stmt = stmt.where(Talk.kind == TalkKind(kind))
    if status is not None:
        stmt = stmt.where(Talk.status == TalkStatus(status))
    if overdue:
        stmt = stmt.where(Talk.status == TalkStatus.PLANNED, Talk.due_on < local_date())
    return paginate(session, stmt.order_by(Talk.due_on.desc(), Talk.id.desc()), limit, offset)


def outcome(talk: Talk, today: date, calendar: WorkingCalendar) -> tuple[str, int]:
    """(held | late | open | cancelled, working days late): held by its due day, held
    late or still not held past it, not due yet."""
    if talk.status is TalkStatus.CANCELLED:
        return "cancelled", 0
    done = talk.held_on if talk.status is TalkStatus.HELD else None
    if done is not None and done <= talk.due_on:
        return "held", 0
    until = done or today
    if until > talk.due_on:
        return "late", max(calendar.working_days_between(talk.due_on, until), 0)
    return "open", 0


def talk_views(session: DbSession, talks: Sequence[Talk]) -> list[dict[str, Any]]:
    """Talks as the API and the pages show them (usernames for programs, and each person
    as a reader knows them)."""
    talks = list(talks)
    ids = {t.id for t in talks}
    ids_of_people: set[int] = set()
    for t in talks:
        ids_of_people |= {t.talker_id, *(s.person_id for s in t.subjects)}
        ids_of_people |= {i for i in (t.recorded_by_id, t.created_by_id, t.disposed_by_id) if i}
    stored = _files(session, ids)
    for rows in stored.values():
        ids_of_people |= {f.uploaded_by_id for f in rows}
    names = people.usernames(session, ids_of_people)
    labels = people.person_labels(session, ids_of_people)
    units = {u.id: (u.code, u.name) for u in session.scalars(sa.select(Unit))}
    posts = dict(
        session.execute(
            sa.select(Post.id, Post.name).where(
                Post.id.in_(sorted({t.post_id for t in talks if t.post_id}) or [-1])
            )
        ).all()  # type: ignore[arg-type]
    )
    calendar, today = working_calendar(session), local_date()

    def who(person_id: int | None) -> str | None:
        return names.get(person_id) if person_id else None

    views = []
    for t in talks:
        result, late = outcome(t, today, calendar)
        views.append({
            "id": t.id, "kind": t.kind.value, "status": t.status.value,
            "unit": units[t.unit_id][0], "unit_name": units[t.unit_id][1],
            "talker": who(t.talker_id), "talker_label": labels.get(t.talker_id),
            "subjects": [
                {"person": who(s.person_id), "label": labels.get(s.person_id),
                 "confirmed_at": s.confirmed_at}
                for s in t.subjects
            ],
            "due_on": t.due_on, "place": t.place, "topic": t.topic, "plan_id": t.plan_id,
            "post_name": posts.get(t.post_id) if t.post_id else None,
            "risk_event_id": t.risk_event_id, "disposition": t.disposition,
            "disposed_by": who(t.disposed_by_id),
            "disposed_by_label": labels.get(t.disposed_by_id) if t.disposed_by_id else None,
            "held_on": t.held_on, "record": t.record, "follow_up_on": t.follow_up_on,
            "recorded_by": who(t.recorded_by_id), "recorded_at": t.recorded_at,
            "cancel_reason": t.cancel_reason, "cancelled_at": t.cancelled_at,
            "created_by": who(t.created_by_id), "created_at": t.created_at,
            "updated_at": t.updated_at, "outcome": result, "working_days_late": late,
            "files": [file_view(f, names, labels) for f in stored.get(t.id, [])],
        })  # fmt: skip
    return views


def _files(session: DbSession, talk_ids: set[int]) -> dict[int, list[SupervisionFile]]:
    found: dict[int, list[SupervisionFile]] = {}
    if not talk_ids:
        return found
    for row in session.scalars(
        sa.select(SupervisionFile)
        .where(SupervisionFile.talk_id.in_(sorted(talk_ids)))
        .order_by(SupervisionFile.id)
    ):
        found.setdefault(row.talk_id or 0, []).append(row)
    return found


def file_view(
    row: SupervisionFile, names: Mapping[int, str], labels: Mapping[int, str]
) -> dict[str, Any]:
    return {
        "id": row.id, "filename": row.filename, "content_type": row.content_type,
        "size": row.size, "sha256": row.sha256, "update_id": row.update_id,
        "uploaded_by": names.get(row.uploaded_by_id),
        "uploaded_by_label": labels.get(row.uploaded_by_id), "uploaded_at": row.uploaded_at,
    }  # fmt: skip


@dataclass(frozen=True)
class May:
    """What the caller may do with a talk now (the page's buttons)."""

    record: bool
    upload: bool
    confirm: bool
    cancel: bool


def may(principal: Principal, talk: Talk) -> May:
    manages = can(principal, Action.MANAGE_TALKS, talk.unit_id)
    talker = talk.talker_id == principal.person_id
    subject = next((s for s in talk.subjects if s.person_id == principal.person_id), None)
    planned, held = talk.status is TalkStatus.PLANNED, talk.status is TalkStatus.HELD
    return May(
        record=planned and (talker or manages),
        upload=(planned or held) and (talker or manages),
        confirm=held and subject is not None and subject.confirmed_at is None,
        cancel=planned and manages,
    )


# ---------------------------------------------------------------- planning


@dataclass(frozen=True)
class Plan:
    """A talk to plan, as checked: ids, never usernames."""

    kind: TalkKind
    unit_id: int
    talker_id: int
    subject_ids: tuple[int, ...]
    due_on: date
    topic: str
    place: str | None = None
    plan_id: int | None = None
    post_id: int | None = None
    risk_event_id: int | None = None
    disposition: str | None = None
    disposed_by_id: int | None = None


def text_value(
    value: Any, path: str, limit: int, *, required: bool = True, line: bool = False
) -> str | None:
    """Text as given (trimmed), at most ``limit`` characters, with no control character
    but tab and line breaks (``line``: one line, none at all)."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationFailed.at(path, _l("must be text"))
    if not text:
        if required:
            raise ValidationFailed.at(path, _l("must not be empty"))
        return None
    if len(text) > limit:
        raise ValidationFailed.at(path, _l("at most %(n)s characters", n=limit))
    problem = inputs.text_problem(text, single_line=line)
    if problem:
        raise ValidationFailed.at(path, problem)  # already in the reader's words
    return text


def check_talker(session: DbSession, unit_id: int, talker: str, path: str) -> people.Someone:
    person = people.by_username(session, talker, path)
    if person.id not in people.talkers(session, unit_id, local_date()):
        raise ValidationFailed.at(
            path,
            _l("cannot talk to the people of this unit: an inspector of its scope, its "
               "discipline team leader or one of its heads talks"),
        )  # fmt: skip
    return person


def check_due(due: date, path: str) -> date:
    if due < local_date():
        raise ValidationFailed.at(path, _l("must not be in the past"))
    return due


def plan_talk(
    session: DbSession, principal: Principal, *, kind: str, unit: str, talker: str,
    subjects: Sequence[str], due_on: date, topic: str, place: str | None = None,
) -> Talk:  # fmt: skip
    """Plan a talk of a unit's people (the unit's discipline team leader, the inspectors
    of its scope).  422 names every field that is wrong; 403 for a unit out of reach."""
    found = people.unit_by_code(session, unit)
    if not can(principal, Action.MANAGE_TALKS, found.id):
        raise Forbidden(_l("you do not plan the talks of this unit"), code="not_your_unit")
    try:
        chosen = TalkKind(kind)
    except ValueError:
        raise ValidationFailed.at("kind", _l("not one of the kinds of talk")) from None
    problems = Problems()
    who = problems.check(lambda: check_talker(session, found.id, talker, "talker"))
    to = problems.check(lambda: people.of_unit(session, subjects, found.id, "subjects"))
    due = problems.check(lambda: check_due(due_on, "due_on"))
    about = problems.check(lambda: text_value(topic, "topic", MAX_TOPIC, line=True))
    where = problems.check(lambda: text_value(place, "place", MAX_PLACE, required=False, line=True))
    if to is not None and not to:
        problems.add("subjects", _l("name at least one person"))
    if who is not None and to and who in to:
        problems.add("subjects", _l("the talker does not talk to themselves"))
    problems.raise_any()
    assert who is not None and to and due is not None and about is not None
    return add_talk(
        session, principal.person_id or None,
        Plan(chosen, found.id, who.id, tuple(s.id for s in to), due, about, where),
    )  # fmt: skip


def add_talk(session: DbSession, created_by_id: int | None, plan: Plan) -> Talk:
    """Write a checked plan (see ``Plan``)."""
    now = utcnow()
    talk = Talk(
        kind=plan.kind, status=TalkStatus.PLANNED, unit_id=plan.unit_id,
        talker_id=plan.talker_id, due_on=plan.due_on, place=plan.place, topic=plan.topic,
        plan_id=plan.plan_id, post_id=plan.post_id, risk_event_id=plan.risk_event_id,
        disposition=plan.disposition, disposed_by_id=plan.disposed_by_id,
        created_by_id=created_by_id, created_at=now, updated_at=now,
    )  # fmt: skip
    talk.subjects = [TalkSubject(person_id=pid) for pid in plan.subject_ids]
    session.add(talk)
    session.flush()
    return talk


def plan_pre_appointment(
    session: DbSession, *, person_id: int, post_id: int, unit_id: int, valid_from: date,
    within_days: int,
) -> Talk | None:  # fmt: skip
    """任前廉政谈话 for a person who starts holding a leading post: due ``within_days``
    after the holding starts; talked to by the unit's discipline team leader, else an
    inspector of its scope, else one of its other heads.  None when the day has passed
    already (a record of the past), when one is planned already, or nobody may talk."""
    due = valid_from + timedelta(days=within_days)
    if due < local_date():
        return None
    pending = session.scalar(
        sa.select(Talk.id)
        .join(TalkSubject, TalkSubject.talk_id == Talk.id)
        .where(Talk.kind == TalkKind.PRE_APPOINTMENT, Talk.post_id == post_id,
               Talk.status == TalkStatus.PLANNED, TalkSubject.person_id == person_id)
        .limit(1)
    )  # fmt: skip
    if pending is not None:
        return None
    candidates = [p for p in people.talkers(session, unit_id, local_date()) if p != person_id]
    leaders = set(people.leaders(session, unit_id))
    candidates.sort(key=lambda p: 0 if p in leaders else 1)  # the unit's own first
    if not candidates:
        return None
    post = session.get(Post, post_id)
    topic = f"任前廉政谈话：{post.name}" if post is not None else "任前廉政谈话"
    talk = add_talk(
        session, None,
        Plan(TalkKind.PRE_APPOINTMENT, unit_id, candidates[0], (person_id,), due, topic,
             post_id=post_id),
    )  # fmt: skip
    audit.record(
        session, "talk.planned_for_post", target_type="talk", target_id=talk.id,
        unit_id=unit_id, after={"person": person_id, "post": post_id, "due_on": due.isoformat()},
    )  # fmt: skip
    return talk


# ---------------------------------------------------------------- holding


@dataclass(frozen=True)
class Scan:
    """A file received with a form: where to keep it, its bytes, its name, the limit."""

    store: FileStore
    stream: IO[bytes]
    filename: str | None
    limit: int


def record_talk(
    session: DbSession, principal: Principal, talk_id: int, *, held_on: date, record: str,
    follow_up_on: date | None = None, scan: Scan | None = None,
) -> Talk:  # fmt: skip
    """The talk was held: when, and its record (谈话记录); a follow-up day if one is set;
    a scan of the record with it, if given (refused: nothing is recorded)."""
    talk = visible_talk(session, principal, talk_id, to_change=True)
    if not may(principal, talk).record:
        if talk.status is not TalkStatus.PLANNED:
            raise Conflict(_l("the talk is not planned any more"), code="talk_not_planned")
        raise Forbidden(_l("only the talker records the talk"), code="not_the_talker")
    problems = Problems()
    if held_on > local_date():
        problems.add("held_on", _l("must not be in the future"))
    text = problems.check(lambda: text_value(record, "record", MAX_RECORD))
    if follow_up_on is not None and follow_up_on < held_on:
        problems.add("follow_up_on", _l("must not be before the talk"))
    problems.raise_any()
    now = utcnow()
    talk.status, talk.held_on, talk.record, talk.follow_up_on = (
        TalkStatus.HELD, held_on, text, follow_up_on,
    )  # fmt: skip
    talk.recorded_by_id, talk.recorded_at, talk.updated_at = principal.person_id, now, now
    session.flush()
    if scan is not None:
        _keep_scan(session, principal, talk, scan)
    return talk


def confirm_talk(session: DbSession, principal: Principal, talk_id: int) -> Talk:
    """A subject confirms the record of their talk (确认), signed in as themselves."""
    talk = visible_talk(session, principal, talk_id, to_change=True)
    subject = next((s for s in talk.subjects if s.person_id == principal.person_id), None)
    if subject is None:
        raise Forbidden(_l("only the people talked to confirm the talk"), code="not_a_subject")
    if talk.status is not TalkStatus.HELD:
        raise Conflict(_l("the talk has not been recorded"), code="talk_not_held")
    if subject.confirmed_at is not None:
        raise Conflict(_l("you confirmed this talk already"), code="already_confirmed")
    subject.confirmed_at = utcnow()
    talk.updated_at = subject.confirmed_at
    session.flush()
    return talk


def cancel_talk(session: DbSession, principal: Principal, talk_id: int, reason: str) -> Talk:
    talk = visible_talk(session, principal, talk_id, to_change=True)
    if not can(principal, Action.MANAGE_TALKS, talk.unit_id):
        raise Forbidden(_l("you do not plan the talks of this unit"), code="not_your_unit")
    if talk.status is not TalkStatus.PLANNED:
        raise Conflict(_l("the talk is not planned any more"), code="talk_not_planned")
    talk.cancel_reason = text_value(reason, "reason", MAX_REASON)
    talk.status, talk.cancelled_at = TalkStatus.CANCELLED, utcnow()
    talk.updated_at = talk.cancelled_at
    session.flush()
    return talk


def add_scan(
    session: DbSession, principal: Principal, store: FileStore, talk_id: int,
    stream: IO[bytes], filename: str | None, *, limit: int,
) -> SupervisionFile:  # fmt: skip
    """A scan of the talk's record (PDF, JPEG, PNG, OFD): 413 too large, 422 another kind."""
    talk = visible_talk(session, principal, talk_id, to_change=True)
    if not may(principal, talk).upload:
        if talk.status is TalkStatus.CANCELLED:
            raise Conflict(_l("the talk was cancelled"), code="talk_cancelled")
        raise Forbidden(_l("only the talker records the talk"), code="not_the_talker")
    return _keep_scan(session, principal, talk, Scan(store, stream, filename, limit))


def _keep_scan(session: DbSession, principal: Principal, talk: Talk, scan: Scan) -> SupervisionFile:
    upload = files.receive(scan.store, scan.stream, scan.filename, limit=scan.limit,
                           kinds=SCAN_KINDS, path="file")  # fmt: skip
    row = SupervisionFile(
        unit_id=talk.unit_id, talk_id=talk.id, filename=upload.filename,
        content_type=upload.content_type, size=upload.size, sha256=upload.sha256,
        uploaded_by_id=principal.person_id, uploaded_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    talk.updated_at = row.uploaded_at
    session.flush()
    return row


def open_file(
    session: DbSession, principal: Principal, store: FileStore, owner: str, owner_id: int,
    file_id: int,
) -> tuple[SupervisionFile, IO[bytes]]:  # fmt: skip
    """A stored file of a talk or a finding the caller may see, checked against its
    SHA-256 (410 gone, 409 altered: both recorded); the download is recorded too."""
    column = SupervisionFile.talk_id if owner == "talk" else SupervisionFile.finding_id
    row = session.scalar(
        sa.select(SupervisionFile).where(SupervisionFile.id == file_id, column == owner_id)
    )
    if row is None:
        raise NotFound(_l("no file %(id)s", id=file_id), code="unknown_file")
    health, file = files.open_checked(store, row.sha256, row.size)
    if file is None:
        audit.record(
            session, f"supervision_file.file_{health}", target_type="supervision_file",
            target_id=row.id, unit_id=row.unit_id, after={"sha256": row.sha256, "size": row.size},
        )  # fmt: skip
        raise files.problem_error(health)
    audit.record(
        session, "supervision_file.downloaded", target_type="supervision_file", target_id=row.id,
        unit_id=row.unit_id, after={"sha256": row.sha256, "filename": row.filename},
    )  # fmt: skip
    return row, file


# ---------------------------------------------------------------- annual plans


@dataclass(frozen=True)
class Session_:
    """One collective talk of an annual plan, as given."""

    due_on: date
    topic: str
    talker: str
    place: str | None = None


def create_plan(
    session: DbSession, principal: Principal, *, unit: str, year: int,
    sessions: Sequence[Session_], subjects: Sequence[str] | None = None,
    note: str | None = None,
) -> TalkPlan:  # fmt: skip
    """年度集体廉政谈话计划: the unit's collective talks of ``year``; each is talked by its
    talker to ``subjects`` (default: every active person of the unit but the talker)."""
    found = people.unit_by_code(session, unit)
    if not can(principal, Action.MANAGE_TALKS, found.id):
        raise Forbidden(_l("you do not plan the talks of this unit"), code="not_your_unit")
    problems = Problems()
    if year < local_date().year:
        problems.add("year", _l("a plan is made for this year or later"))
    if not sessions:
        problems.add("sessions", _l("plan at least one talk"))
    chosen: list[tuple[Session_, int, str]] = []
    for n, given in enumerate(sessions):
        talker, topic = _check_session(session, found.id, year, given, f"sessions[{n}]", problems)
        if talker is not None and topic:
            chosen.append((given, talker, topic))
    subject_ids: list[int] | None = None
    if subjects:
        named = problems.check(lambda: people.of_unit(session, subjects, found.id, "subjects"))
        subject_ids = [p.id for p in named] if named is not None else None
    problems.raise_any()
    exists = session.scalar(
        sa.select(TalkPlan.id).where(TalkPlan.unit_id == found.id, TalkPlan.year == year)
    )
    if exists is not None:
        raise Conflict(
            _l("the unit has a plan for %(year)s already", year=year), code="duplicate",
            details=[{"path": "year", "message": _l("already planned")}],
        )  # fmt: skip
    plan = TalkPlan(
        unit_id=found.id, year=year, note=(note or "").strip() or None,
        created_by_id=principal.person_id or None, created_at=utcnow(),
    )  # fmt: skip
    session.add(plan)
    session.flush()
    everyone = subject_ids if subject_ids is not None else people.members(session, found.id)
    for given, talker_id, topic in chosen:
        add_talk(
            session, principal.person_id or None,
            Plan(TalkKind.COLLECTIVE, found.id, talker_id,
                 tuple(p for p in everyone if p != talker_id), given.due_on, topic,
                 (given.place or "").strip() or None, plan_id=plan.id),
        )  # fmt: skip
    return plan


def _check_session(
    session: DbSession, unit_id: int, year: int, given: Session_, path: str, problems: Problems
) -> tuple[int | None, str | None]:
    """One collective talk of a plan: (its talker's id, its topic), problems noted."""
    talker = problems.check(lambda: check_talker(session, unit_id, given.talker, f"{path}.talker"))
    problems.check(lambda: check_due(given.due_on, f"{path}.due_on"))
    if given.due_on.year != year:
        problems.add(f"{path}.due_on", _l("must be a day of the plan's year"))
    topic = problems.check(lambda: text_value(given.topic, f"{path}.topic", MAX_TOPIC, line=True))
    problems.check(
        lambda: text_value(given.place, f"{path}.place", MAX_PLACE, required=False, line=True)
    )
    return (talker.id if talker is not None else None), topic


def list_plans(
    session: DbSession, principal: Principal, *, unit: str | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    """The annual plans within the caller's reach (VIEW_TALKS), with their talks."""
    stmt = sa.select(TalkPlan).where(unit_filter(principal, Action.VIEW_TALKS, TalkPlan.unit_id))
    if unit is not None:
        stmt = stmt.where(TalkPlan.unit_id == people.unit_by_code(session, unit).id)
    if year is not None:
        stmt = stmt.where(TalkPlan.year == year)
    plans = session.scalars(stmt.order_by(TalkPlan.year.desc(), TalkPlan.unit_id)).all()
    talks: dict[int, list[Talk]] = {}
    for talk in session.scalars(
        sa.select(Talk).where(Talk.plan_id.in_([p.id for p in plans] or [-1])).order_by(Talk.due_on)
    ):
        talks.setdefault(talk.plan_id or 0, []).append(talk)
    units = {u.id: (u.code, u.name) for u in session.scalars(sa.select(Unit))}
    return [
        {"id": p.id, "unit": units[p.unit_id][0], "unit_name": units[p.unit_id][1],
         "year": p.year, "note": p.note, "created_at": p.created_at,
         "talks": talk_views(session, talks.get(p.id, []))}
        for p in plans
    ]  # fmt: skip
