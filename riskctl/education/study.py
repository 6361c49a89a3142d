"""A person's own study: what is assigned to them, reading (time credited from the
reading page's heartbeats, ``spec.credit``), the quiz, and completion.

Everyone studies only their own assignments: another person's is "not found" (404),
whatever the caller's role.  The quiz's questions are drawn at random from the task's
bank when an attempt starts; the page receives the questions and their options, never the
key; the answers are checked here, once per attempt (a second submission is 409).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from riskctl.core import audit, calendar_store
from riskctl.core.access import Action, Principal, require
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import Conflict, NotFound, ValidationFailed
from riskctl.education import spec
from riskctl.education.library import material_view, question_view
from riskctl.education.models import (
    Assignment,
    Material,
    Question,
    QuizAttempt,
    ReadingProgress,
    StudyTask,
    StudyTaskMaterial,
    TaskStatus,
)


def own_assignment(
    session: DbSession, principal: Principal, assignment_id: int, *, lock: bool = False
) -> Assignment:
    """The caller's own assignment (of a published task), or 404."""
    require(principal, Action.STUDY)
    stmt = sa.select(Assignment).where(Assignment.id == assignment_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None or row.person_id != principal.person_id:
        raise NotFound(
            _l("no study assignment %(id)s", id=assignment_id), code="unknown_assignment"
        )
    return row


def _task_materials(session: DbSession, task_id: int) -> list[Material]:
    return list(
        session.scalars(
            sa.select(Material)
            .join(StudyTaskMaterial, StudyTaskMaterial.material_id == Material.id)
            .where(StudyTaskMaterial.task_id == task_id)
            .order_by(StudyTaskMaterial.position)
        )
    )


def _progress(
    session: DbSession, assignment_ids: Sequence[int]
) -> dict[tuple[int, int], ReadingProgress]:
    return {
        (p.assignment_id, p.material_id): p
        for p in session.scalars(
            sa.select(ReadingProgress).where(
                ReadingProgress.assignment_id.in_(list(assignment_ids) or [-1])
            )
        )
    }


def _attempts(session: DbSession, assignment_ids: Sequence[int]) -> dict[int, list[QuizAttempt]]:
    found: dict[int, list[QuizAttempt]] = {}
    for a in session.scalars(
        sa.select(QuizAttempt)
        .where(QuizAttempt.assignment_id.in_(list(assignment_ids) or [-1]))
        .order_by(QuizAttempt.number)
    ):
        found.setdefault(a.assignment_id, []).append(a)
    return found


def status_of(a: Assignment, today: date) -> str:
    """completed | overdue | open | not_started."""
    if a.completed_at is not None:
        return "completed"
    if a.due_on < today:
        return "overdue"
    if a.start_on > today:
        return "not_started"
    return "open"


def assignment_views(
    session: DbSession, rows: Sequence[Assignment], pace: spec.Pace
) -> list[dict[str, Any]]:
    """Assignments with their task, materials and the progress on each, and the quiz."""
    if not rows:
        return []
    tasks = {
        t.id: t
        for t in session.scalars(
            sa.select(StudyTask).where(StudyTask.id.in_({a.task_id for a in rows}))
        )
    }
    materials = {t: _task_materials(session, t) for t in tasks}
    progress = _progress(session, [a.id for a in rows])
    attempts = _attempts(session, [a.id for a in rows])
    calendar = calendar_store.working_calendar(session)
    today = calendar.local_date(utcnow())
    views = []
    for a in rows:
        task = tasks[a.task_id]
        shown = []
        for m in materials[task.id]:
            p = progress.get((a.id, m.id))
            shown.append({
                **material_view(m), "seconds": p.seconds if p else 0,
                "required_seconds": pace.required_seconds(m.expected_minutes),
                "is_read": bool(p and p.read_at), "read_at": p.read_at if p else None,
            })  # fmt: skip
        tried = attempts.get(a.id, [])
        quiz = None
        if task.quiz_questions:
            submitted = [x for x in tried if x.submitted_at is not None]
            quiz = {
                "questions": task.quiz_questions, "pass_mark": task.pass_mark,
                "attempts_allowed": task.max_attempts, "attempts_used": len(tried),
                "best_score": a.best_score, "is_passed": a.passed_at is not None,
                "open_attempt": next((x.id for x in tried if x.submitted_at is None), None),
                "scores": [x.score for x in submitted],
            }  # fmt: skip
        late = calendar.working_days_between(a.due_on, today) if a.due_on < today else 0
        views.append({
            "id": a.id, "task_id": task.id, "title": task.title,
            "description": task.description, "start_on": a.start_on, "due_on": a.due_on,
            "source": a.source.value, "status": status_of(a, today),
            "working_days_overdue": late if a.completed_at is None else 0,
            "assigned_at": a.assigned_at, "completed_at": a.completed_at,
            "materials": shown, "materials_read": sum(1 for m in shown if m["is_read"]),
            "quiz": quiz,
        })  # fmt: skip
    return views


def my_assignments(
    session: DbSession, principal: Principal, pace: spec.Pace, *, status: str | None = None
) -> list[dict[str, Any]]:
    """我的学习: the caller's assignments, open ones first (by due day), then completed."""
    require(principal, Action.STUDY)
    rows = list(
        session.scalars(
            sa.select(Assignment)
            .join(StudyTask, StudyTask.id == Assignment.task_id)
            .where(Assignment.person_id == principal.person_id,
                   StudyTask.status == TaskStatus.PUBLISHED)
            .order_by(Assignment.completed_at.is_not(None), Assignment.due_on, Assignment.id)
        )
    )  # fmt: skip
    views = assignment_views(session, rows, pace)
    if status is not None:
        if status not in ("open", "overdue", "completed", "not_started"):
            raise ValidationFailed.at(
                "status", _l("must be open, overdue, completed or not_started")
            )
        views = [v for v in views if v["status"] == status]
    return views


def my_assignment(
    session: DbSession, principal: Principal, assignment_id: int, pace: spec.Pace
) -> dict[str, Any]:
    return assignment_views(session, [own_assignment(session, principal, assignment_id)], pace)[0]


def reading(
    session: DbSession, principal: Principal, assignment_id: int, material_id: int,
    pace: spec.Pace,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The reading page: the assignment and the material (with its article's text)."""
    view = my_assignment(session, principal, assignment_id, pace)
    found = next((m for m in view["materials"] if m["id"] == material_id), None)
    if found is None:
        raise NotFound(_l("this material is not part of the task"), code="unknown_material")
    material = session.get(Material, material_id)
    assert material is not None
    return view, {**found, "body": material.body}


# ---------------------------------------------------------------- reading time


def record_progress(
    session: DbSession, principal: Principal, assignment_id: int, material_id: Any,
    seconds: Any, pace: spec.Pace,
) -> dict[str, Any]:  # fmt: skip
    """A heartbeat of the reading page: credit the time (``spec.credit``), mark the
    material read when enough is credited, complete the assignment when all is done."""
    assignment = own_assignment(session, principal, assignment_id, lock=True)
    if not isinstance(material_id, int) or isinstance(material_id, bool):
        raise ValidationFailed.at("material", _l("must be the id of a material"))
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= 3600:
        raise ValidationFailed.at("seconds", _l("must be a whole number from %(min)d to %(max)d",
                                                min=0, max=3600))  # fmt: skip
    material = next(
        (m for m in _task_materials(session, assignment.task_id) if m.id == material_id), None
    )
    if material is None:
        raise ValidationFailed.at("material", _l("this material is not part of the task"))
    today = calendar_store.local_date()
    if assignment.start_on > today:
        raise Conflict(_l("this study starts on %(day)s", day=assignment.start_on.isoformat()),
                       code="not_started")  # fmt: skip
    now = utcnow()
    row = session.scalar(
        sa.select(ReadingProgress)
        .where(ReadingProgress.assignment_id == assignment.id,
               ReadingProgress.material_id == material.id)
        .with_for_update()
    )  # fmt: skip
    credited = 0
    if row is None:
        row = ReadingProgress(assignment_id=assignment.id, material_id=material.id, seconds=0,
                              first_beat_at=now, last_beat_at=now)  # fmt: skip
        session.add(row)
    else:
        credited = spec.credit(seconds, row.last_beat_at, now, pace)
        row.seconds += credited
        row.last_beat_at = max(row.last_beat_at, now)
    required = pace.required_seconds(material.expected_minutes)
    if row.read_at is None and row.seconds >= required:
        row.read_at = now
        session.flush()
        audit.record(
            session, "education.material_read", target_type="study_assignment",
            target_id=assignment.id, unit_id=assignment.unit_id,
            after={"material": material.id, "seconds": row.seconds, "required": required},
        )  # fmt: skip
        _complete_if_done(session, assignment, now)
    session.flush()
    return {
        "material": material.id, "credited": credited, "seconds": row.seconds,
        "required_seconds": required, "is_read": row.read_at is not None,
        "assignment_completed": assignment.completed_at is not None,
        "heartbeat_seconds": pace.heartbeat_seconds,
    }  # fmt: skip


def _complete_if_done(session: DbSession, assignment: Assignment, now: datetime) -> bool:
    task = session.get(StudyTask, assignment.task_id)
    assert task is not None
    if assignment.completed_at is not None:
        return False
    ids = [m.material_id for m in task.materials]
    read = session.scalar(
        sa.select(sa.func.count()).select_from(ReadingProgress).where(
            ReadingProgress.assignment_id == assignment.id,
            ReadingProgress.material_id.in_(ids or [-1]), ReadingProgress.read_at.is_not(None),
        )
    )  # fmt: skip
    if read != len(ids):
        return False
    if task.quiz_questions and assignment.passed_at is None:
        return False
    assignment.completed_at = now
    return True


# ---------------------------------------------------------------- the quiz


def _all_read(session: DbSession, assignment: Assignment, task: StudyTask) -> bool:
    ids = [m.material_id for m in task.materials]
    read = session.scalar(
        sa.select(sa.func.count()).select_from(ReadingProgress).where(
            ReadingProgress.assignment_id == assignment.id,
            ReadingProgress.material_id.in_(ids or [-1]), ReadingProgress.read_at.is_not(None),
        )
    )  # fmt: skip
    return read == len(ids)


def start_quiz(
    session: DbSession, principal: Principal, assignment_id: int, rng: random.Random | None = None
) -> tuple[dict[str, Any], bool]:
    """Draw the questions of a new attempt (or give back the attempt still open: a
    reload draws nothing new).  Returns the attempt without its key, and whether it is new.
    409: no quiz, materials not read yet, passed already, no attempt left."""
    assignment = own_assignment(session, principal, assignment_id, lock=True)
    task = session.get(StudyTask, assignment.task_id)
    assert task is not None
    if not task.quiz_questions or task.bank_id is None:
        raise Conflict(_l("this task has no quiz"), code="no_quiz")
    if assignment.start_on > calendar_store.local_date():
        raise Conflict(_l("this study starts on %(day)s", day=assignment.start_on.isoformat()),
                       code="not_started")  # fmt: skip
    if assignment.passed_at is not None:
        raise Conflict(_l("the quiz is passed already"), code="already_passed")
    tried = list(
        session.scalars(
            sa.select(QuizAttempt)
            .where(QuizAttempt.assignment_id == assignment.id)
            .order_by(QuizAttempt.number)
        )
    )
    open_attempt = next((x for x in tried if x.submitted_at is None), None)
    if open_attempt is not None:
        return attempt_view(session, open_attempt, task), False
    if not _all_read(session, assignment, task):
        raise Conflict(_l("read every material of the task first"), code="materials_not_read")
    if len(tried) >= task.max_attempts:
        raise Conflict(_l("no attempt left (%(n)d allowed)", n=task.max_attempts),
                       code="no_attempts_left")  # fmt: skip
    pool = list(session.scalars(sa.select(Question.id).where(Question.bank_id == task.bank_id)))
    if not pool:
        raise Conflict(_l("the question bank is empty"), code="no_questions")
    attempt = QuizAttempt(
        assignment_id=assignment.id, number=len(tried) + 1,
        question_ids=spec.draw(pool, task.quiz_questions, rng), started_at=utcnow(),
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        raise Conflict(
            _l("another attempt was started meanwhile"), code="attempt_conflict"
        ) from None
    return attempt_view(session, attempt, task), True


def _questions(session: DbSession, ids: Sequence[int]) -> dict[int, Question]:
    return {
        q.id: q
        for q in session.scalars(sa.select(Question).where(Question.id.in_(list(ids) or [-1])))
    }


def attempt_view(
    session: DbSession, attempt: QuizAttempt, task: StudyTask, *, result: bool = False
) -> dict[str, Any]:
    """An attempt as the page sees it: the questions drawn with their options — the key
    and the explanations only once it is submitted (``result``)."""
    questions = _questions(session, attempt.question_ids)
    shown = []
    for qid in attempt.question_ids:
        q = questions.get(qid)
        if q is None:
            continue
        view = question_view(q, with_key=False)
        if result and attempt.answers is not None:
            given = attempt.answers.get(str(qid), [])
            view |= {"given": "".join(given), "answer": "".join(q.answer),
                     "explanation": q.explanation,
                     "is_right": sorted(given) == sorted(q.answer)}  # fmt: skip
        shown.append(view)
    return {
        "id": attempt.id, "assignment_id": attempt.assignment_id, "number": attempt.number,
        "attempts_allowed": task.max_attempts, "pass_mark": task.pass_mark,
        "started_at": attempt.started_at, "submitted_at": attempt.submitted_at,
        "questions": shown, "score": attempt.score, "correct": attempt.correct,
        "total": len(attempt.question_ids) if attempt.submitted_at else None,
        "is_passed": attempt.is_passed if attempt.submitted_at else None,
    }  # fmt: skip


def _own_attempt(
    session: DbSession, principal: Principal, attempt_id: int, *, lock: bool = False
) -> tuple[QuizAttempt, Assignment, StudyTask]:
    require(principal, Action.STUDY)
    stmt = sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id)
    attempt = session.scalar(stmt.with_for_update() if lock else stmt)
    assignment = session.get(Assignment, attempt.assignment_id) if attempt else None
    if attempt is None or assignment is None or assignment.person_id != principal.person_id:
        raise NotFound(_l("no quiz attempt %(id)s", id=attempt_id), code="unknown_attempt")
    task = session.get(StudyTask, assignment.task_id)
    assert task is not None
    return attempt, assignment, task


def read_answers(raw: Any, drawn: Sequence[int]) -> dict[int, list[str]]:
    """``[{question, choice}]`` → question id → letters; every problem with its path: a
    question not drawn for this attempt, one answered twice, a letter it has not."""
    if not isinstance(raw, list):
        raise ValidationFailed.at("answers", _l("must be a list of {question, choice}"))
    found: dict[int, list[str]] = {}
    details: list[dict[str, Any]] = []
    for n, entry in enumerate(raw):
        where = f"answers[{n}]"
        if not isinstance(entry, Mapping) or set(entry) - {"question", "choice"}:
            details.append({"path": where, "message": _l("must be {question, choice}")})
            continue
        qid, choice = entry.get("question"), entry.get("choice")
        if not isinstance(qid, int) or isinstance(qid, bool) or qid not in drawn:
            details.append(
                {
                    "path": f"{where}.question",
                    "message": _l("not one of the questions drawn for this attempt"),
                }
            )
            continue  # fmt: skip
        if qid in found:
            details.append({"path": f"{where}.question", "message": _l("answered twice")})
            continue
        letters = [] if choice in (None, "", []) else spec.answer_letters(choice)
        if letters is None:
            details.append(
                {
                    "path": f"{where}.choice",
                    "message": _l("give the letters of the options chosen, e.g. A or AC"),
                }
            )
            continue  # fmt: skip
        found[qid] = letters
    if details:
        raise ValidationFailed(_l("%(path)s: %(message)s", path=details[0]["path"],
                                  message=details[0]["message"]), details=details)  # fmt: skip
    return found


def submit_answers(
    session: DbSession, principal: Principal, attempt_id: int, raw: Any
) -> dict[str, Any]:
    """Check an attempt's answers on the server: its score, whether it passes, and now
    the key.  Once per attempt (409 after); an answer to a question not drawn is 422."""
    attempt, assignment, task = _own_attempt(session, principal, attempt_id, lock=True)
    if attempt.submitted_at is not None:
        raise Conflict(_l("this attempt was submitted already"), code="already_submitted")
    answers = read_answers(raw, attempt.question_ids)
    questions = _questions(session, attempt.question_ids)
    for qid, letters in answers.items():
        q = questions.get(qid)
        if q is not None and any(spec.LETTERS.index(x) >= len(q.options) for x in letters):
            raise ValidationFailed.at(f"answers[{list(answers).index(qid)}].choice",
                                      _l("this question has no such option"))  # fmt: skip
    keys = {qid: q.answer for qid, q in questions.items() if qid in attempt.question_ids}
    result = spec.score(keys, answers)
    now = utcnow()
    attempt.answers = {str(q): a for q, a in answers.items()}
    attempt.submitted_at = now
    attempt.correct, attempt.score = result.correct, result.percent
    attempt.is_passed = result.passes(task.pass_mark)
    if assignment.best_score is None or result.percent > assignment.best_score:
        assignment.best_score = result.percent
    if attempt.is_passed and assignment.passed_at is None:
        assignment.passed_at = now
        _complete_if_done(session, assignment, now)
    session.flush()
    view = attempt_view(session, attempt, task, result=True)
    view["assignment_completed"] = assignment.completed_at is not None
    view["attempts_left"] = max(0, task.max_attempts - attempt.number)
    return view


def attempt_page(
    session: DbSession, principal: Principal, attempt_id: int
) -> tuple[dict[str, Any], Assignment, StudyTask]:
    attempt, assignment, task = _own_attempt(session, principal, attempt_id)
    return (
        attempt_view(session, attempt, task, result=attempt.submitted_at is not None),
        assignment,
        task,
    )
