"""Recording a meeting completes its node; reading meetings; the facts the rules judge.

``record_meeting`` is the only way a meeting node's task is completed: the secretary
(the node's post) records who was expected (from the unit's posts on the meeting's day,
never typed in), who came, who recused, each member's view in speaking order and the
minutes; the counting (``spec``) gives the outcome and so the node's decision; the task
is completed through ``workflow.services.complete_task`` in the same transaction, and the
record is written with the step.  The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from riskctl.core.access import Action, Principal, visible_units
from riskctl.core.calendar_store import local_date
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from riskctl.core.inputs import InputProblem
from riskctl.core.inputs import day as parse_day
from riskctl.meetings import spec
from riskctl.meetings.models import (
    AttendeeRole,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
    MemberView,
    Quorum,
)
from riskctl.org.models import Person, Post, PostAssignment
from riskctl.org.services import person_labels
from riskctl.process.definition import NodeSpec
from riskctl.process.services import published_by_id
from riskctl.workflow import services as workflow
from riskctl.workflow.models import Item, ItemStatus, Task, TaskStatus


@dataclass(frozen=True)
class MeetingTask:
    task: Task
    item: Item
    node: NodeSpec
    meeting: spec.MeetingSpec


def _meeting_task(session: DbSession, principal: Principal, task_id: int) -> MeetingTask:
    task = session.get(Task, task_id)
    item = session.get(Item, task.item_id) if task is not None else None
    if (
        task is None
        or item is None
        or item.unit_id not in visible_units(principal, Action.VIEW_ITEMS)
    ):
        raise NotFound(f"no task {task_id}", code="unknown_task")
    node = published_by_id(session, item.definition_id).definition.node_map[task.node]
    if node.meeting is None:
        raise ValidationFailed.at("task", f"{node.name} is not a meeting; complete it instead")
    return MeetingTask(task, item, node, node.meeting)


def roster(session: DbSession, unit_id: int, meeting: spec.MeetingSpec, day: date) -> spec.Roster:
    """Who the meeting concerns on ``day``: the holders of the member posts (应到会成员)
    and of the observer post.  Someone holding both observes: an observer is no voter."""
    rows = session.execute(
        sa.select(Person.id, Person.username, Person.name, Post.code)
        .join(PostAssignment, PostAssignment.person_id == Person.id)
        .join(Post, Post.id == PostAssignment.post_id)
        .where(
            Post.unit_id == unit_id,
            Post.code.in_(sorted(meeting.posts)),
            PostAssignment.valid_from <= day,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
            Person.is_active.is_(True),
        )
        .order_by(Person.username)
    ).all()
    posts: dict[int, set[str]] = {}
    people: dict[int, spec.Person] = {}
    for pid, username, name, post in rows:
        people[pid] = spec.Person(pid, username, name)
        posts.setdefault(pid, set()).add(post)
    observers = [p for pid, p in people.items() if meeting.observer in posts[pid]]
    members = [
        p for pid, p in people.items()
        if posts[pid] & set(meeting.members) and p not in observers
    ]  # fmt: skip
    chairs = frozenset(p.id for p in members if meeting.chair in posts[p.id])
    return spec.Roster(tuple(members), chairs, tuple(observers))


def _post_of(meeting: spec.MeetingSpec, held: set[str], role: AttendeeRole) -> str:
    if role is AttendeeRole.OBSERVER:
        return meeting.observer or ""
    if meeting.chair in held:
        return meeting.chair
    return next(p for p in meeting.members if p in held)


def meeting_form(session: DbSession, principal: Principal, task_id: int) -> dict[str, Any]:
    """What the record form shows: the roster today, the quorum and what it needs."""
    found = _meeting_task(session, principal, task_id)
    today = local_date()
    people = roster(session, found.item.unit_id, found.meeting, today)
    expected = len(people.members)
    # The roster as people read it: 黄伟（区财政局·主要负责人）, never a username.
    labels = person_labels(session, {p.id for p in (*people.members, *people.observers)}, on=today)
    return {
        "task": found.task.id,
        "item_id": found.item.id,
        "node": found.node.key,
        "name": found.node.name,
        "quorum": found.meeting.quorum,
        "quorum_label": spec.QUORUM_LABELS[found.meeting.quorum],
        "expected": expected,
        "quorum_needed": spec.quorum_needed(found.meeting.quorum, expected),
        "votes_needed": expected // 2 + 1,
        "members": [
            {
                "person": p.username,
                "name": p.name,
                "label": labels.get(p.id, p.name),
                "is_chair": p.id in people.chairs,
            }
            for p in people.members
        ],
        "observers": [
            {"person": p.username, "name": p.name, "label": labels.get(p.id, p.name)}
            for p in people.observers
        ],
        "decisions": [d for d in found.node.decision_keys if d != "approve"],
    }


def record_meeting(
    session: DbSession, principal: Principal, task_id: int, raw: Mapping[str, Any]
) -> tuple[workflow.Outcome, int]:
    """Record the meeting of a meeting node's open task and complete the task with the
    decision its outcome gives; returns the completion and the meeting's id."""
    found = _meeting_task(session, principal, task_id)
    task, item, meeting = found.task, found.item, found.meeting
    if task.status is not TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is {task.status.value}", code="task_not_open")
    if item.status is not ItemStatus.RUNNING:
        raise Conflict(f"the item is {item.status.value}", code=f"item_{item.status.value}")
    actor = workflow.actor_for(session, principal)
    if principal.unit_id != item.unit_id or task.post not in actor.posts:
        raise Forbidden(
            f"task {task_id} is for the post {task.post!r}, which you do not hold",
            code="not_your_post",
        )
    today = local_date()
    try:
        held_on = parse_day(raw.get("held_on")) if isinstance(raw, Mapping) else today
    except InputProblem:
        held_on = today  # the record's check names the problem
    people = roster(session, item.unit_id, meeting, held_on)
    if not people.members:
        raise ValidationFailed.at(
            "meeting.present", f"no one held the member posts ({', '.join(meeting.members)})"
        )
    record, problems = spec.read_record(
        raw, people, today=today, started_on=local_date(item.started_at)
    )
    if record is None:
        details = [{"path": p.path, "message": p.message} for p in problems]
        raise ValidationFailed(
            "; ".join(f"{d['path']}: {d['message']}" for d in details), details=details
        )
    tally = record.tally(meeting.quorum, len(people.members))
    decision, why = spec.decision_for(tally.outcome, found.node.decision_keys, record.decision)
    if why is not None:
        raise ValidationFailed.at("meeting.decision", why)
    comment = (
        f"会议记录：{held_on.isoformat()} 应到{tally.expected}人，实到{tally.present}人，"
        f"同意{tally.agree}、不同意{tally.disagree}、缓议{tally.defer}；"
        f"{spec.OUTCOME_LABELS[tally.outcome]}"
    )
    outcome = workflow.complete_task(
        session, principal, task_id, decision=decision, comment=comment, meeting=tally
    )
    row = Meeting(
        unit_id=item.unit_id, item_id=item.id, task_id=task.id, step_id=outcome.step_id,
        node=found.node.key, held_on=held_on, topics_sent_on=record.topics_sent_on,
        quorum=Quorum(meeting.quorum), expected=tally.expected, present=tally.present,
        taking_part=tally.taking_part, votes_for=tally.agree,
        outcome=MeetingOutcome(tally.outcome), decision=decision, minutes=record.minutes,
        recorded_by_id=principal.person_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    order = {v.person_id: (n, v) for n, v in enumerate(record.views, start=1)}
    held = _posts_held(session, item.unit_id, meeting, held_on)
    for role, group in ((AttendeeRole.MEMBER, people.members),
                        (AttendeeRole.OBSERVER, people.observers)):  # fmt: skip
        for person in group:
            spoke = order.get(person.id)
            present = (
                person.id in record.present
                if role is AttendeeRole.MEMBER
                else person.id in record.observers_present
            )
            session.add(
                MeetingAttendee(
                    meeting_id=row.id, person_id=person.id, role=role,
                    post=_post_of(meeting, held.get(person.id, set()), role),
                    is_chair=person.id in people.chairs, is_present=present,
                    is_recused=person.id in record.recused,
                    recusal_reason=record.recused.get(person.id),
                    speaking_order=spoke[0] if spoke else None,
                    view=MemberView(spoke[1].view) if spoke else None,
                    view_text=(spoke[1].text or None) if spoke else None,
                )
            )  # fmt: skip
    session.flush()
    return outcome, row.id


def _posts_held(
    session: DbSession, unit_id: int, meeting: spec.MeetingSpec, day: date
) -> dict[int, set[str]]:
    rows = session.execute(
        sa.select(PostAssignment.person_id, Post.code)
        .join(Post, Post.id == PostAssignment.post_id)
        .where(
            Post.unit_id == unit_id, Post.code.in_(sorted(meeting.posts)),
            PostAssignment.valid_from <= day,
            sa.or_(PostAssignment.valid_to.is_(None), PostAssignment.valid_to >= day),
        )
    )  # fmt: skip
    found: dict[int, set[str]] = {}
    for pid, code in rows:
        found.setdefault(pid, set()).add(code)
    return found


# ---------------------------------------------------------------- reading


def meetings_of_item(
    session: DbSession, principal: Principal, item_id: int
) -> list[dict[str, Any]]:
    """The meetings recorded on an item the caller may see, oldest first."""
    item = session.get(Item, item_id)
    if item is None or item.unit_id not in visible_units(principal, Action.VIEW_ITEMS):
        raise NotFound(f"no item {item_id}", code="unknown_item")
    rows = session.scalars(
        sa.select(Meeting).where(Meeting.item_id == item_id).order_by(Meeting.id)
    ).all()
    ids = {a.person_id for m in rows for a in m.attendees} | {m.recorded_by_id for m in rows}
    names = dict(
        (r[0], (r[1], r[2]))
        for r in session.execute(
            sa.select(Person.id, Person.username, Person.name).where(Person.id.in_(sorted(ids)))
        )
    )
    return [meeting_view(m, names) for m in rows]


def meeting_view(row: Meeting, names: Mapping[int, tuple[str, str]]) -> dict[str, Any]:
    def who(pid: int) -> dict[str, str]:
        username, name = names.get(pid, ("", ""))
        return {"person": username, "name": name}

    attendees = list(row.attendees)
    speakers = sorted(
        (a for a in attendees if a.speaking_order), key=lambda a: a.speaking_order or 0
    )
    return {
        "id": row.id,
        "item_id": row.item_id,
        "task_id": row.task_id,
        "step_id": row.step_id,
        "node": row.node,
        "held_on": row.held_on,
        "topics_sent_on": row.topics_sent_on,
        "quorum": row.quorum.value,
        "expected": row.expected,
        "present": row.present,
        "taking_part": row.taking_part,
        "votes_for": row.votes_for,
        "outcome": row.outcome.value,
        "outcome_label": spec.OUTCOME_LABELS[row.outcome.value],
        "decision": row.decision,
        "minutes": row.minutes,
        "recorded_by": who(row.recorded_by_id)["person"],
        "recorded_at": row.recorded_at,
        "members": [
            {**who(a.person_id), "post": a.post, "is_chair": a.is_chair,
             "is_present": a.is_present, "is_recused": a.is_recused,
             "recusal_reason": a.recusal_reason}
            for a in attendees if a.role is AttendeeRole.MEMBER
        ],
        "observers": [
            {**who(a.person_id), "post": a.post, "is_present": a.is_present}
            for a in attendees if a.role is AttendeeRole.OBSERVER
        ],
        "views": [
            {**who(a.person_id), "order": a.speaking_order,
             "view": a.view.value if a.view else None,
             "view_label": spec.VIEW_LABELS[a.view.value] if a.view else None,
             "text": a.view_text, "is_chair": a.is_chair}
            for a in speakers
        ],
        # 不同意见应当如实载明: the views other than agreement, by name.
        "dissent": [
            {**who(a.person_id), "view": a.view.value, "text": a.view_text}
            for a in speakers if a.view is not None and a.view is not MemberView.AGREE
        ],
    }  # fmt: skip


# ---------------------------------------------------------------- facts for the rules


@dataclass(frozen=True)
class Speaker:
    person_id: int
    view: str
    is_chair: bool


@dataclass(frozen=True)
class MeetingFact:
    id: int
    item_id: int
    unit_id: int
    definition_id: int
    node: str
    held_on: date
    topics_sent_on: date | None
    quorum: str
    expected: int
    present: int
    taking_part: int
    votes_for: int
    outcome: str
    recorded_by_id: int
    recorded_at: datetime
    chair_ids: frozenset[int]
    speakers: tuple[Speaker, ...]  # in speaking order
    recused: frozenset[int]


def meeting_facts(
    session: DbSession, at: datetime, item_ids: Iterable[int] | None = None
) -> list[MeetingFact]:
    """The meetings recorded up to ``at`` (of ``item_ids``, or all), for the risk scan."""
    stmt = (
        sa.select(Meeting, Item.definition_id)
        .join(Item, Item.id == Meeting.item_id)
        .where(Meeting.recorded_at <= at)
        .order_by(Meeting.id)
    )
    if item_ids is not None:
        stmt = stmt.where(Meeting.item_id.in_(sorted(set(item_ids)) or [-1]))
    rows = session.execute(stmt).all()
    ids = [m.id for m, _ in rows]
    attendees: dict[int, list[MeetingAttendee]] = {}
    if ids:
        for a in session.scalars(
            sa.select(MeetingAttendee)
            .where(MeetingAttendee.meeting_id.in_(ids))
            .order_by(MeetingAttendee.id)
        ):
            attendees.setdefault(a.meeting_id, []).append(a)
    facts = []
    for m, definition_id in rows:
        found = attendees.get(m.id, [])
        spoke = sorted((a for a in found if a.speaking_order), key=lambda a: a.speaking_order or 0)
        facts.append(
            MeetingFact(
                m.id, m.item_id, m.unit_id, definition_id, m.node, m.held_on, m.topics_sent_on,
                m.quorum.value, m.expected, m.present, m.taking_part, m.votes_for,
                m.outcome.value, m.recorded_by_id, m.recorded_at,
                frozenset(a.person_id for a in found if a.is_chair),
                tuple(Speaker(a.person_id, a.view.value, a.is_chair) for a in spoke if a.view),
                frozenset(a.person_id for a in found if a.is_recused),
            )
        )  # fmt: skip
    return facts


def items_with_meetings(session: DbSession, item_ids: Iterable[int], at: datetime) -> set[int]:
    wanted = sorted(set(item_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            sa.select(Meeting.item_id)
            .distinct()
            .where(Meeting.item_id.in_(wanted), Meeting.recorded_at <= at)
        )
    )
