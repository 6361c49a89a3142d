"""Demo data: the six pilot units of the seed with their posts and invented people.

The data lives in CSV files beside this module and goes through the same import as
``POST /api/v1/org/import``: onboarding a unit is configuration, and the demo proves it.
Idempotent: a second run updates nothing it need not and never resets a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from riskctl.auth.services import hash_password
from riskctl.core.access import Principal
from riskctl.core.db import DbSession
from riskctl.org.importer import ImportResult, import_org
from riskctl.org.models import Person, Unit

DATA = Path(__file__).with_name("demo")
DEMO_PASSWORD = "demo-pass-2026"
# The logins printed after loading: one per kind of user.
SHOWCASE = (
    ("admin", "管理员 admin"),
    ("jw.hexiaoping", "区纪委 监察员 inspector (all five units)"),
    ("jw.liuhong", "区纪委 监察员 inspector (区财政局, 区卫计局)"),
    ("czj.zhoujie", "区财政局 纪检组长 discipline leader"),
    ("czj.wangfang", "区财政局 经办人/采购经办 staff"),
    ("czj.liujing", "区财政局 出纳 staff"),
    ("qjz.jiangtao", "前进镇 经办人 staff"),
)


@dataclass(frozen=True)
class DemoResult:
    imported: ImportResult
    passwords_set: int
    processes_published: int = 0


def load_demo(session: DbSession, principal: Principal) -> DemoResult:
    files = {part: (DATA / f"{part}.csv").read_bytes() for part in ("units", "posts", "people")}
    imported = import_org(session, principal, files)
    usernames = _usernames(files["people"])
    without_password = session.scalars(
        sa.select(Person).where(Person.username.in_(usernames), Person.password_hash.is_(None))
    ).all()
    digest = hash_password(DEMO_PASSWORD) if without_password else None
    for person in without_password:
        person.password_hash = digest
    session.flush()
    published = adopt_templates(session, principal)
    return DemoResult(imported, len(without_password), published)


def adopt_templates(session: DbSession, principal: Principal) -> int:
    """Every unit adopts every template it has the posts for, unchanged; a template
    changed since its last adoption is published again as a new version."""
    from riskctl.process import services as processes

    published = 0
    for unit in session.scalars(sa.select(Unit).order_by(Unit.id)):
        posts = processes.unit_posts(session, unit.id)
        for template in processes.templates():
            raw = template.raw
            if not {n["post"] for n in raw["nodes"] if n.get("post")} <= posts:
                continue
            current = processes.latest_published(session, unit.id, template.key)
            if current is not None and processes.body_of(session, current.id) == raw:
                continue
            processes.adopt(session, principal, template.key, unit=unit.code)
            published += 1
    return published


def _usernames(raw: bytes) -> list[str]:
    lines = raw.decode("utf-8").splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line.strip()]
