"""Study tasks and their audiences (the library is ``library``).

Who: the commission's inspectors (within their scope) and administrators publish tasks
(``MANAGE_STUDY``); discipline leaders see the tasks of their unit (``VIEW_STUDY``).  A
task belongs to the units its audience reaches (``StudyTaskUnit``).

A task is saved as a draft or published.  Publishing checks it whole (every problem
with its path, nothing written) and turns its audience into assignments, one per person,
each told in-app.  The caller commits; services flush.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import calendar_store
from riskctl.core.access import ALL_UNITS, Action, Principal, can, require, visible_units
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.inputs import InputProblem, text_problem
from riskctl.core.inputs import day as parse_day
from riskctl.core.listing import Page
from riskctl.education import notices, spec
from riskctl.education.checks import Problems, line, number
from riskctl.education.library import material_view
from riskctl.education.models import (
    Assignment,
    AssignmentSource,
    Material,
    Question,
    QuestionBank,
    StudyTask,
    StudyTaskMaterial,
    StudyTaskUnit,
    TaskStatus,
)
from riskctl.org.models import Person, PersonRole, Post, PostAssignment, Unit

MAX_TITLE = 200
MAX_QUIZ = 100
MAX_ATTEMPTS = 10
DEFAULT_FOLLOW_DAYS = 10  # 警示教育: working days to study after the warning's close


# ---------------------------------------------------------------- study tasks


@dataclass(frozen=True)
class Resolved:
    """A person an audience names: their unit and the post that brought them in."""

    person_id: int
    unit_id: int
    post: str | None


def _reach(principal: Principal, action: Action) -> Any:
    return visible_units(principal, action)


def _units_by_code(session: DbSession) -> dict[str, tuple[int, str]]:
    return {c.lower(): (i, c) for i, c in session.execute(sa.select(Unit.id, Unit.code))}


def check_audience(
    session: DbSession, principal: Principal, audience: spec.Audience, problems: Problems,
    at: str = "audience",
) -> set[int]:  # fmt: skip
    """The unit ids an audience reaches (its units — every unit in the author's reach
    when it selects by post or role without naming units — and the units of the people it
    names); unknown codes are problems at their paths, units and people outside the
    author's reach a 403."""
    reach = _reach(principal, Action.MANAGE_STUDY)
    units = _units_by_code(session)
    chosen: set[int] = set()
    outside: list[str] = []
    for n, code in enumerate(audience.units):
        found = units.get(code.lower())
        if found is None:
            problems.add(f"{at}.units[{n}]", _l("no unit %(code)s", code=code))
        elif found[0] not in reach:
            outside.append(code)
        else:
            chosen.add(found[0])
    if not audience.units and audience.selects:  # posts or roles anywhere in reach
        everywhere = {i for i, _c in units.values()}
        chosen = everywhere if reach is ALL_UNITS else everywhere & set(reach)
    if audience.posts:
        known = set(
            session.scalars(sa.select(Post.code).distinct().where(Post.unit_id.in_(sorted(chosen))))
        )
        for n, code in enumerate(audience.posts):
            if code not in known:
                problems.add(f"{at}.posts[{n}]", _l("no post %(code)s in these units", code=code))
    named: set[int] = set()
    if audience.people:
        rows = dict(
            session.execute(
                sa.select(Person.username, Person.unit_id).where(
                    Person.username.in_(list(audience.people))
                )
            ).all()  # type: ignore[arg-type]
        )
        for n, username in enumerate(audience.people):
            if username not in rows:
                problems.add(f"{at}.people[{n}]", _l("no person %(code)s", code=username))
            elif (unit_id := rows[username]) is None or unit_id not in reach:
                outside.append(username)
            else:
                named.add(unit_id)
    if outside:
        raise Forbidden(
            _l("outside your scope: %(codes)s", codes=", ".join(outside)), code="out_of_scope"
        )
    return chosen | named


def resolve(
    session: DbSession, audience: spec.Audience, unit_ids: Iterable[int], day: date
) -> dict[int, Resolved]:
    """The people an audience names on ``day``: in its units (``unit_ids``, the task's,
    from ``check_audience``), selected by post, key post or role, and the people it names.
    Units the task reaches only through a person named select nobody else."""
    if audience.units:
        codes = {c.lower() for c in audience.units}
        wanted = sorted(i for c, (i, _code) in _units_by_code(session).items() if c in codes)
    elif audience.selects:
        wanted = sorted(set(unit_ids))
    else:
        wanted = []
    people: dict[int, int] = dict(
        session.execute(
            sa.select(Person.id, Person.unit_id).where(
                Person.is_active.is_(True), Person.unit_id.is_not(None),
                sa.or_(Person.unit_id.in_(wanted or [-1]),
                       Person.username.in_(list(audience.people) or [""])),
            )
        ).all()  # type: ignore[arg-type]
    )  # fmt: skip
    held = posts_held(session, people, day)
    roles: dict[int, set[str]] = {}
    if audience.roles:
        for pid, role in session.execute(
            sa.select(PersonRole.person_id, PersonRole.role).where(
                PersonRole.person_id.in_(sorted(people) or [-1])
            )
        ):
            roles.setdefault(pid, set()).add(role.value)
    named = set(
        session.scalars(sa.select(Person.id).where(Person.username.in_(list(audience.people))))
    ) if audience.people else set()  # fmt: skip
    found: dict[int, Resolved] = {}
    for pid, unit_id in people.items():
        posts = held.get(pid, {})
        riskiest = max(posts, key=lambda p: (posts[p], p)) if posts else None
        if pid in named:
            found[pid] = Resolved(pid, unit_id, riskiest)
            continue
        if unit_id not in wanted:
            continue
        by = spec.selected(audience, posts, roles.get(pid, set()))
        if by is not None:
            found[pid] = Resolved(pid, unit_id, by or riskiest)
    return found


def posts_held(
    session: DbSession, people: Mapping[int, int], day: date
) -> dict[int, dict[str, int]]:
    """Per person, the posts of their own unit they hold on ``day``: code → risk value."""
    held: dict[int, dict[str, int]] = {}
    if not people:
        return held
    for pid, unit_id, code, risk in session.execute(
        sa.select(PostAssignment.person_id, Post.unit_id, Post.code, Post.risk)
        .join(Post, Post.id == PostAssignment.post_id)
        .where(
            PostAssignment.person_id.in_(sorted(people)), PostAssignment.valid_from <= day,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
        )
    ):  # fmt: skip
        if people.get(pid) == unit_id:
            held.setdefault(pid, {})[code] = int(risk)
    return held


def _day(problems: Problems, raw: Mapping[str, Any], key: str) -> date | None:
    value = raw.get(key)
    if value is None or value == "":
        problems.add(key, _l("choose a day"))
        return None
    try:
        return parse_day(value)
    except InputProblem as exc:
        problems.add(key, exc.message)
        return None


def _follows(problems: Problems, session: DbSession, raw: Any) -> dict[str, Any] | None:
    """警示教育: ``{rules: [codes], posts: [codes] (default: the warning's post),
    working_days: N}``."""
    from riskctl.risk.rules import REGISTRY

    if raw is None or raw == {} or raw == "":
        return None
    if not isinstance(raw, Mapping):
        problems.add("follows", _l("must be {rules, posts, working_days}"))
        return None
    for key in raw:
        if key not in ("rules", "posts", "working_days"):
            problems.add(f"follows.{key}", _l("unknown key"))
    rules, posts = raw.get("rules") or [], raw.get("posts") or []
    if not isinstance(rules, list) or not rules:
        problems.add("follows.rules", _l("name the rules whose red warnings assign this task"))
        rules = []
    for n, code in enumerate(rules):
        if code not in REGISTRY:
            problems.add(f"follows.rules[{n}]", _l("no rule %(code)s", code=str(code)[:60]))
    if not isinstance(posts, list):
        problems.add("follows.posts", _l("must be a list of post codes"))
        posts = []
    known = set(session.scalars(sa.select(Post.code).distinct()))
    for n, code in enumerate(posts):
        if code not in known:
            problems.add(f"follows.posts[{n}]", _l("no post %(code)s", code=str(code)[:40]))
    sub = Problems()
    days = number(sub, raw, "working_days", 1, 60, DEFAULT_FOLLOW_DAYS)
    for d in sub.details:
        problems.add(f"follows.{d['path']}", d["message"])
    return {"rules": [str(r) for r in rules], "posts": [str(p) for p in posts],
            "working_days": days}  # fmt: skip


@dataclass
class TaskInput:
    title: str
    description: str
    start_on: date | None
    due_on: date | None
    audience: spec.Audience
    follows: dict[str, Any] | None
    material_ids: list[int]
    bank_id: int | None
    quiz_questions: int
    pass_mark: int
    max_attempts: int
    is_sms_digest: bool
    unit_ids: set[int]


def read_task(session: DbSession, principal: Principal, raw: Mapping[str, Any]) -> TaskInput:
    """A task as written, checked whole: every problem with its path (422), units or
    people outside the author's scope 403."""
    problems = Problems()
    title = line(problems, raw, "title", MAX_TITLE)
    description = raw.get("description") or ""
    if not isinstance(description, str) or len(description) > 5000 or text_problem(description):
        problems.add("description", _l("at most %(n)d characters", n=5000))
        description = ""
    start, due = _day(problems, raw, "start_on"), _day(problems, raw, "due_on")
    calendar = calendar_store.working_calendar(session)
    for key, day in (("start_on", start), ("due_on", due)):
        if day is not None and not calendar.is_working_day(day):
            problems.add(key, _l("%(day)s is not a working day; the next is %(next)s",
                                 day=day.isoformat(),
                                 next=calendar.next_working_day(day).isoformat()))  # fmt: skip
    if start is not None and due is not None and due < start:
        problems.add("due_on", _l("the due day is before the start"))
    audience, found = spec.read_audience(raw.get("audience"))
    problems.extend(found)
    follows = _follows(problems, session, raw.get("follows"))
    if audience.is_empty and follows is None and not found:
        problems.add("audience", _l("choose who studies: units, posts, roles or people"))
    unit_ids = check_audience(session, principal, audience, problems) if not found else set()
    materials = raw.get("materials")
    ids: list[int] = []
    if not isinstance(materials, list) or not materials:
        problems.add("materials", _l("choose at least one material"))
    else:
        known = set(session.scalars(sa.select(Material.id).where(
            Material.id.in_([m for m in materials if isinstance(m, int)] or [-1]))))  # fmt: skip
        for n, material_id in enumerate(materials):
            if not isinstance(material_id, int) or isinstance(material_id, bool):
                problems.add(f"materials[{n}]", _l("must be the id of a material"))
            elif material_id not in known:
                problems.add(f"materials[{n}]", _l("no material %(id)s", id=material_id))
            elif material_id in ids:
                problems.add(f"materials[{n}]", _l("listed twice"))
            else:
                ids.append(material_id)
    quiz = raw.get("quiz")
    bank_id, count, pass_mark, attempts = None, 0, 60, 3
    if quiz not in (None, {}):
        if not isinstance(quiz, Mapping):
            problems.add("quiz", _l("must be {bank, questions, pass_mark, attempts}"))
        else:
            for key in quiz:
                if key not in ("bank", "questions", "pass_mark", "attempts"):
                    problems.add(f"quiz.{key}", _l("unknown key"))
            sub = Problems()
            bank_id = number(sub, quiz, "bank", 1, 2**31 - 1)
            count = number(sub, quiz, "questions", 1, MAX_QUIZ, 10)
            pass_mark = number(sub, quiz, "pass_mark", 1, 100, 60)
            attempts = number(sub, quiz, "attempts", 1, MAX_ATTEMPTS, 3)
            for d in sub.details:
                problems.add(f"quiz.{d['path']}", d["message"])
            if not sub.details:
                size = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Question)
                    .where(Question.bank_id == bank_id)
                )
                if session.get(QuestionBank, bank_id) is None:
                    problems.add("quiz.bank", _l("no question bank %(id)s", id=bank_id))
                elif not size:
                    problems.add("quiz.bank", _l("this question bank has no questions yet"))
                elif size < count:
                    problems.add("quiz.questions",
                                 _l("the bank holds only %(n)d questions", n=size))  # fmt: skip
    digest = raw.get("sms_digest", False)
    if not isinstance(digest, bool):
        problems.add("sms_digest", _l("must be true or false"))
        digest = False
    problems.raise_any()
    return TaskInput(title, description.strip(), start, due, audience, follows, ids,
                     bank_id if count else None, count, pass_mark, attempts, digest,
                     unit_ids)  # fmt: skip


def create_task(
    session: DbSession, principal: Principal, raw: Mapping[str, Any], *, publish: bool = True
) -> StudyTask:
    """Save a task (as a draft, or published: see ``publish_task``)."""
    require(principal, Action.MANAGE_STUDY)
    found = read_task(session, principal, raw)
    if publish:
        _check_publishable(session, found.due_on)
    assert found.start_on is not None and found.due_on is not None
    task = StudyTask(
        title=found.title, description=found.description, status=TaskStatus.DRAFT,
        start_on=found.start_on, due_on=found.due_on, audience=found.audience.as_dict(),
        follows=found.follows, bank_id=found.bank_id, quiz_questions=found.quiz_questions,
        pass_mark=found.pass_mark, max_attempts=found.max_attempts,
        is_sms_digest=found.is_sms_digest, created_by_id=principal.person_id or None,
        created_at=utcnow(),
    )  # fmt: skip
    task.materials = [StudyTaskMaterial(material_id=m, position=n)
                      for n, m in enumerate(found.material_ids)]  # fmt: skip
    task.units = [StudyTaskUnit(unit_id=u) for u in sorted(found.unit_ids)]
    session.add(task)
    session.flush()
    if publish:
        _publish(session, principal, task, found.unit_ids)
    return task


def _check_publishable(session: DbSession, due: date | None) -> None:
    today = calendar_store.local_date()
    if due is not None and due < today:
        raise ValidationFailed.at("due_on", _l("the due day has passed"))


def visible_task(session: DbSession, principal: Principal, task_id: int) -> StudyTask:
    """A task its author, the leaders and inspectors of its units and administrators see."""
    require(principal, Action.VIEW_STUDY)
    task = session.get(StudyTask, task_id)
    if task is None or not _sees(principal, task):
        raise NotFound(_l("no study task %(id)s", id=task_id), code="unknown_task")
    return task


def _sees(principal: Principal, task: StudyTask) -> bool:
    reach = visible_units(principal, Action.VIEW_STUDY)
    return (
        task.created_by_id == principal.person_id
        or reach is ALL_UNITS
        or any(u.unit_id in reach for u in task.units)
    )


def publish_task(session: DbSession, principal: Principal, task_id: int) -> StudyTask:
    """Publish a draft: checked again as a whole, then its audience becomes assignments."""
    require(principal, Action.MANAGE_STUDY)
    task = visible_task(session, principal, task_id)
    if task.status is TaskStatus.PUBLISHED:
        raise Conflict(_l("the task is published already"), code="already_published")
    raw = task_raw(session, task)
    found = read_task(session, principal, raw)
    _check_publishable(session, found.due_on)
    _publish(session, principal, task, found.unit_ids)
    return task


def task_raw(session: DbSession, task: StudyTask) -> dict[str, Any]:
    """A saved task as it would be written (to check it again when publishing)."""
    quiz = None
    if task.bank_id is not None and task.quiz_questions:
        quiz = {"bank": task.bank_id, "questions": task.quiz_questions,
                "pass_mark": task.pass_mark, "attempts": task.max_attempts}  # fmt: skip
    return {
        "title": task.title, "description": task.description,
        "start_on": task.start_on.isoformat(), "due_on": task.due_on.isoformat(),
        "audience": dict(task.audience), "follows": task.follows,
        "materials": [m.material_id for m in task.materials], "quiz": quiz,
        "sms_digest": task.is_sms_digest,
    }  # fmt: skip


def _publish(session: DbSession, principal: Principal, task: StudyTask, unit_ids: set[int]) -> None:
    if principal.person_id and not _manages_all(principal, unit_ids):
        raise Forbidden(_l("this task reaches units outside your scope"), code="out_of_scope")
    now = utcnow()
    task.status, task.published_at = TaskStatus.PUBLISHED, now
    task.published_by_id = principal.person_id or None
    session.flush()
    audience, _problems = spec.read_audience(task.audience)
    if audience.is_empty:
        return  # a warning-education task: assigned when its warnings are resolved
    people = resolve(session, audience, unit_ids, calendar_store.local_date(now))
    assign(session, task, people.values(), AssignmentSource.AUDIENCE, task.start_on, task.due_on)


def _manages_all(principal: Principal, unit_ids: Iterable[int]) -> bool:
    reach = visible_units(principal, Action.MANAGE_STUDY)
    return reach is ALL_UNITS or all(u in reach for u in unit_ids)


def assign(
    session: DbSession, task: StudyTask, people: Iterable[Resolved], source: AssignmentSource,
    start: date, due: date, risk_event_id: int | None = None,
) -> list[Assignment]:  # fmt: skip
    """Assignments for the people not assigned the task yet; each is told in-app."""
    people = list(people)
    have = set(
        session.scalars(
            sa.select(Assignment.person_id).where(
                Assignment.task_id == task.id,
                Assignment.person_id.in_([p.person_id for p in people] or [-1]),
            )
        )
    )
    now = utcnow()
    made = [
        Assignment(task_id=task.id, person_id=p.person_id, unit_id=p.unit_id, post=p.post,
                   source=source, risk_event_id=risk_event_id, start_on=start, due_on=due,
                   assigned_at=now)
        for p in sorted(people, key=lambda r: r.person_id) if p.person_id not in have
    ]  # fmt: skip
    session.add_all(made)
    session.flush()
    notices.assigned(session, task, made, now)
    return made


def list_tasks(
    session: DbSession, principal: Principal, *, unit: str | None = None, status: str | None = None,
    limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """The tasks the caller sees, newest first, with their progress."""
    require(principal, Action.VIEW_STUDY)
    reach = visible_units(principal, Action.VIEW_STUDY)
    stmt = sa.select(StudyTask)
    if reach is not ALL_UNITS:
        stmt = stmt.where(
            sa.or_(
                StudyTask.created_by_id == principal.person_id,
                StudyTask.id.in_(
                    sa.select(StudyTaskUnit.task_id).where(
                        StudyTaskUnit.unit_id.in_(sorted(reach) or [-1])  # type: ignore[arg-type]
                    )
                ),
            )
        )
    if unit is not None:
        from riskctl.org.services import filter_unit

        found = filter_unit(session, principal, Action.VIEW_STUDY, unit)
        stmt = stmt.where(
            StudyTask.id.in_(
                sa.select(StudyTaskUnit.task_id).where(StudyTaskUnit.unit_id == found.id)
            )
        )
    if status is not None:
        if status not in {s.value for s in TaskStatus}:
            raise ValidationFailed.at("status", _l("must be draft or published"))
        stmt = stmt.where(StudyTask.status == TaskStatus(status))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(StudyTask.id.desc()).limit(limit).offset(offset)).all()
    return Page(task_views(session, principal, list(rows)), total, limit, offset)


def task_views(
    session: DbSession, principal: Principal, tasks: list[StudyTask]
) -> list[dict[str, Any]]:
    """Tasks as the API and the pages show them; the counts only over the units the
    caller sees."""
    if not tasks:
        return []
    reach = visible_units(principal, Action.VIEW_STUDY)
    today = calendar_store.local_date()
    stmt = sa.select(
        Assignment.task_id, sa.func.count(),
        sa.func.count(Assignment.completed_at),
        sa.func.sum(sa.case((sa.and_(Assignment.completed_at.is_(None),
                                     Assignment.due_on < today), 1), else_=0)),
    ).where(Assignment.task_id.in_([t.id for t in tasks])).group_by(Assignment.task_id)  # fmt: skip
    if reach is not ALL_UNITS:
        stmt = stmt.where(Assignment.unit_id.in_(sorted(reach) or [-1]))  # type: ignore[arg-type]
    counts = {r[0]: (int(r[1]), int(r[2]), int(r[3] or 0)) for r in session.execute(stmt)}
    materials = {
        m.id: m
        for m in session.scalars(
            sa.select(Material).where(
                Material.id.in_([x.material_id for t in tasks for x in t.materials] or [-1])
            )
        )
    }
    codes = dict(session.execute(sa.select(Unit.id, Unit.code)).all())  # type: ignore[arg-type]
    views = []
    for t in tasks:
        assigned, completed, overdue = counts.get(t.id, (0, 0, 0))
        views.append({
            "id": t.id, "title": t.title, "description": t.description,
            "status": t.status.value, "start_on": t.start_on, "due_on": t.due_on,
            "audience": dict(t.audience), "follows": t.follows,
            "units": sorted(codes[u.unit_id] for u in t.units if u.unit_id in codes),
            "materials": [material_view(materials[m.material_id]) for m in t.materials
                          if m.material_id in materials],
            "quiz": {"bank": t.bank_id, "questions": t.quiz_questions, "pass_mark": t.pass_mark,
                     "attempts": t.max_attempts} if t.bank_id is not None else None,
            "sms_digest": t.is_sms_digest, "created_at": t.created_at,
            "published_at": t.published_at,
            "assigned": assigned, "completed": completed, "overdue": overdue,
        })  # fmt: skip
    return views


def task_view(session: DbSession, principal: Principal, task_id: int) -> dict[str, Any]:
    return task_views(session, principal, [visible_task(session, principal, task_id)])[0]


def task_choices(session: DbSession, principal: Principal) -> list[tuple[int, str]]:
    """(id, title) of the published tasks the caller sees (filters of the statistics)."""
    if not can(principal, Action.VIEW_STUDY):
        return []
    page = list_tasks(session, principal, status="published", limit=500)
    return [(t["id"], t["title"]) for t in page.items]


def unit_choices(session: DbSession, principal: Principal, action: Action) -> list[tuple[str, str]]:
    """(code, name) of the units in the caller's reach for ``action``, in order."""
    reach = visible_units(principal, action)
    return [
        (code, name)
        for uid, code, name in session.execute(
            sa.select(Unit.id, Unit.code, Unit.name).order_by(Unit.id)
        )
        if uid in reach
    ]


def post_choices(session: DbSession) -> list[tuple[str, str, int]]:
    """(code, name, highest risk value) of every post code in use, riskiest first."""
    found: dict[str, tuple[str, int]] = {}
    for code, name, risk in session.execute(
        sa.select(Post.code, Post.name, Post.risk).order_by(Post.unit_id)
    ):
        kept = found.get(code)
        found[code] = (kept[0] if kept else name, max(int(risk), kept[1] if kept else 0))
    return sorted(((c, n, r) for c, (n, r) in found.items()), key=lambda p: (-p[2], p[0]))
