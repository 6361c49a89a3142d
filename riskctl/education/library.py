"""The study library: materials (a PDF or a video kept outside the database under its
SHA-256, or an article written in the page) and question banks with their questions.

One library for the whole platform: everyone signed in reads it; the commission's
inspectors and administrators add to it (``MANAGE_STUDY``).  The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskctl.core import audit
from riskctl.core.access import Action, Principal, require
from riskctl.core.clock import utcnow
from riskctl.core.db import DbSession
from riskctl.core.errors import NotFound, ValidationFailed
from riskctl.core.inputs import text_problem
from riskctl.core.listing import Page
from riskctl.education import spec
from riskctl.education.checks import Problems, line, number
from riskctl.education.models import (
    Material,
    MaterialCategory,
    MaterialKind,
    Question,
    QuestionBank,
    QuestionKind,
)
from riskctl.files import content
from riskctl.files import services as files
from riskctl.files.storage import FileStore, Health

MAX_TITLE = 200
MAX_TAGS = 10
MAX_TAG = 20
MAX_ARTICLE = 100_000
MAX_MINUTES = 600
MATERIAL_KINDS = (content.PDF, *content.VIDEO)


# ---------------------------------------------------------------- materials

CATEGORY_LABELS: Mapping[str, Any] = {
    "party_rules": _l("Party rules and laws"),
    "warning_case": _l("Warning-education cases"),
    "integrity_culture": _l("Integrity culture"),
}
KIND_LABELS: Mapping[str, Any] = {
    "pdf": _l("PDF document"), "video": _l("Video"), "article": _l("Article"),
}  # fmt: skip


def _tags(problems: Problems, value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [t for t in value.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(value, list):
        problems.add("tags", _l("must be a list of tags"))
        return []
    tags: list[str] = []
    for n, tag in enumerate(value):
        if not isinstance(tag, str) or text_problem(tag, single_line=True):
            problems.add(f"tags[{n}]", _l("must be one line of text"))
        elif tag.strip() and tag.strip() not in tags:
            if len(tag.strip()) > MAX_TAG:
                problems.add(f"tags[{n}]", _l("at most %(n)d characters", n=MAX_TAG))
            tags.append(tag.strip())
    if len(tags) > MAX_TAGS:
        problems.add("tags", _l("at most %(n)d tags", n=MAX_TAGS))
    return tags


def create_material(
    session: DbSession, principal: Principal, store: FileStore, raw: Mapping[str, Any],
    stream: IO[bytes] | None, filename: str | None, *, limit: int,
) -> Material:  # fmt: skip
    """A material: an uploaded PDF or video (``stream``), or an article (``raw["body"]``,
    Markdown).  Every field is checked before the file is kept."""
    require(principal, Action.MANAGE_STUDY)
    problems = Problems()
    title = line(problems, raw, "title", MAX_TITLE)
    source = line(problems, raw, "source", MAX_TITLE)
    category = raw.get("category")
    if category not in {c.value for c in MaterialCategory}:
        problems.add("category", _l("must be party_rules, warning_case or integrity_culture"))
    minutes = number(problems, raw, "expected_minutes", 1, MAX_MINUTES)
    tags = _tags(problems, raw.get("tags"))
    body = raw.get("body") or None
    if body is not None:
        if not isinstance(body, str) or not body.strip():
            problems.add("body", _l("write the article"))
        elif len(body) > MAX_ARTICLE:
            problems.add("body", _l("at most %(n)d characters", n=MAX_ARTICLE))
        elif (why := text_problem(body)) is not None:
            problems.add("body", why)
    has_file = stream is not None and bool(filename)
    if has_file and body is not None:
        problems.add("body", _l("give a file or write an article, not both"))
    if not has_file and body is None:
        problems.add("file", _l("upload a PDF or a video, or write an article"))
    problems.raise_any()
    row = Material(
        title=title, category=MaterialCategory(str(category)), tags=tags, source=source,
        expected_minutes=minutes, created_by_id=principal.person_id or None,
        created_at=utcnow(),
    )  # fmt: skip
    if has_file:
        assert stream is not None
        upload = files.receive(store, stream, filename, limit=limit, kinds=MATERIAL_KINDS)
        row.kind = MaterialKind.PDF if upload.kind == "pdf" else MaterialKind.VIDEO
        row.filename, row.content_type = upload.filename, upload.content_type
        row.size, row.sha256 = upload.size, upload.sha256
    else:
        row.kind, row.body = MaterialKind.ARTICLE, str(body)
    session.add(row)
    session.flush()
    return row


def list_materials(
    session: DbSession, principal: Principal, *, category: str | None = None,
    limit: int = 50, offset: int = 0,
) -> Page:  # fmt: skip
    """The library, newest first (everyone signed in may read it)."""
    require(principal, Action.STUDY)
    stmt = sa.select(Material)
    if category is not None:
        if category not in {c.value for c in MaterialCategory}:
            raise ValidationFailed.at("category", _l("not one of the categories"))
        stmt = stmt.where(Material.category == MaterialCategory(category))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Material.id.desc()).limit(limit).offset(offset)).all()
    return Page([material_view(m) for m in rows], total, limit, offset)


def material_view(row: Material) -> dict[str, Any]:
    return {
        "id": row.id, "title": row.title, "kind": row.kind.value,
        "kind_label": str(KIND_LABELS[row.kind.value]), "category": row.category.value,
        "category_label": str(CATEGORY_LABELS[row.category.value]), "tags": list(row.tags),
        "source": row.source, "expected_minutes": row.expected_minutes,
        "filename": row.filename, "content_type": row.content_type, "size": row.size,
        "sha256": row.sha256, "has_file": row.sha256 is not None, "created_at": row.created_at,
    }  # fmt: skip


def get_material(session: DbSession, principal: Principal, material_id: int) -> Material:
    require(principal, Action.STUDY)
    row = session.get(Material, material_id)
    if row is None:
        raise NotFound(_l("no material %(id)s", id=material_id), code="unknown_material")
    return row


def material_file(
    session: DbSession, principal: Principal, store: FileStore, material_id: int,
    *, trusted: bool = False,
) -> tuple[Material, Health, IO[bytes] | None]:  # fmt: skip
    """The material's file, open at its start once its bytes were checked against the
    SHA-256 recorded at upload (``trusted``: the caller verified them a moment ago), or
    the problem (``missing``/``altered``) and None — which the caller records
    (``record_file_problem``) before raising ``files.problem_error``."""
    row = get_material(session, principal, material_id)
    if row.sha256 is None or row.size is None:
        raise NotFound(_l("this material is an article: it has no file"), code="no_file")
    if trusted:
        try:
            return row, "ok", store.open(row.sha256)
        except FileNotFoundError:
            return row, "missing", None
    health, file = files.open_checked(store, row.sha256, row.size)
    return row, health, file


def record_file_problem(session: DbSession, row: Material, health: Health) -> None:
    """A material's file found missing or altered, on the audit chain."""
    audit.record(
        session, f"study_material.file_{health}", target_type="study_material",
        target_id=row.id, after={"sha256": row.sha256, "size": row.size},
    )  # fmt: skip


# ---------------------------------------------------------------- question banks


def create_bank(
    session: DbSession, principal: Principal, name: str, description: str = ""
) -> QuestionBank:
    require(principal, Action.MANAGE_STUDY)
    problems = Problems()
    name = line(problems, {"name": name}, "name", 100)
    if len(description or "") > 2000 or text_problem(description or ""):
        problems.add("description", _l("at most %(n)d characters", n=2000))
    problems.raise_any()
    if session.scalar(sa.select(QuestionBank.id).where(QuestionBank.name == name)) is not None:
        raise ValidationFailed.at("name", _l("a question bank of this name exists"))
    bank = QuestionBank(name=name, description=(description or "").strip(),
                        created_by_id=principal.person_id or None, created_at=utcnow())  # fmt: skip
    session.add(bank)
    session.flush()
    return bank


def get_bank(session: DbSession, principal: Principal, bank_id: int) -> QuestionBank:
    require(principal, Action.MANAGE_STUDY)
    bank = session.get(QuestionBank, bank_id)
    if bank is None:
        raise NotFound(_l("no question bank %(id)s", id=bank_id), code="unknown_bank")
    return bank


def list_banks(session: DbSession, principal: Principal) -> list[dict[str, Any]]:
    require(principal, Action.MANAGE_STUDY)
    counts = dict(
        session.execute(
            sa.select(Question.bank_id, sa.func.count()).group_by(Question.bank_id)
        ).all()  # type: ignore[arg-type]
    )
    return [
        {"id": b.id, "name": b.name, "description": b.description,
         "questions": int(counts.get(b.id, 0)), "created_at": b.created_at}
        for b in session.scalars(sa.select(QuestionBank).order_by(QuestionBank.id.desc()))
    ]  # fmt: skip


def bank_view(bank: QuestionBank) -> dict[str, Any]:
    """A bank with its questions and their keys (managers only)."""
    return {
        "id": bank.id, "name": bank.name, "description": bank.description,
        "created_at": bank.created_at, "questions": [question_view(q) for q in bank.questions],
    }  # fmt: skip


def question_view(q: Question, *, with_key: bool = True) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": q.id, "kind": q.kind.value, "text": q.text,
        "options": [{"letter": spec.LETTERS[n], "text": o} for n, o in enumerate(q.options)],
    }  # fmt: skip
    if with_key:
        found |= {"answer": "".join(q.answer), "explanation": q.explanation}
    return found


def checked_questions(
    rows: Iterable[Mapping[str, Any]], at: str = "questions"
) -> list[dict[str, Any]]:
    """Questions as written (``kind, text, options, answer, explanation``), checked;
    every problem of every one raised together."""
    problems = Problems()
    found = []
    for n, raw in enumerate(rows):
        where = f"{at}[{n}]"
        if not isinstance(raw, Mapping):
            problems.add(where, _l("must be {kind, text, options, answer}"))
            continue
        kind, options = raw.get("kind"), raw.get("options") or []
        problems.extend(spec.check_question(kind, raw.get("text"), options, raw.get("answer"),
                                            at=where))  # fmt: skip
        explanation = raw.get("explanation") or ""
        if not isinstance(explanation, str) or len(explanation) > spec.MAX_QUESTION:
            problems.add(
                f"{where}.explanation", _l("at most %(n)d characters", n=spec.MAX_QUESTION)
            )
        found.append({
            "kind": kind, "text": str(raw.get("text") or "").strip(),
            "options": spec.options_for(str(kind), [str(o).strip() for o in options]
                                        if isinstance(options, list) else []),
            "answer": spec.answer_letters(raw.get("answer")) or [],
            "explanation": explanation.strip() if isinstance(explanation, str) else "",
        })  # fmt: skip
    if not found and not problems.details:
        problems.add(at, _l("give at least one question"))
    problems.raise_any()
    return found


def add_questions(
    session: DbSession, principal: Principal, bank_id: int, rows: Iterable[Mapping[str, Any]],
    at: str = "questions",
) -> list[Question]:  # fmt: skip
    """Add questions to a bank: all of them, or none when one is wrong."""
    bank = get_bank(session, principal, bank_id)
    checked = checked_questions(rows, at)
    added = [
        Question(bank_id=bank.id, kind=QuestionKind(q["kind"]), text=q["text"],
                 options=q["options"], answer=q["answer"], explanation=q["explanation"],
                 created_at=utcnow())
        for q in checked
    ]  # fmt: skip
    session.add_all(added)
    session.flush()
    return added


def material_choices(session: DbSession) -> list[Material]:
    return list(session.scalars(sa.select(Material).order_by(Material.id.desc()).limit(500)))


def bank_choices(session: DbSession) -> list[tuple[int, str, int]]:
    counts = dict(
        session.execute(
            sa.select(Question.bank_id, sa.func.count()).group_by(Question.bank_id)
        ).all()  # type: ignore[arg-type]
    )
    banks = session.scalars(sa.select(QuestionBank).order_by(QuestionBank.name))
    return [(b.id, b.name, int(counts.get(b.id, 0))) for b in banks]
