"""In-app reminders before a due day: to the talker of a talk not held yet, and to the
person responsible for a rectification (else the unit's discipline team leaders), from a
number of working days before (RISKCTL_SUPERVISION_REMIND_WORKING_DAYS) to the day
itself.  A scheduler job (``supervision.remind``); each reminder is written once per due
day and person (the outbox's dedupe keys), however often the job runs.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from riskctl.alerts.outbox import Reminder, remind
from riskctl.core.calendar_store import local_date, working_calendar
from riskctl.core.db import DbSession
from riskctl.org.models import Person
from riskctl.supervision import people
from riskctl.supervision.labels import label
from riskctl.supervision.models import Finding, FindingStatus, Talk, TalkStatus


def _day(day: date, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime("%-d %b %Y")


def _locales(session: DbSession, ids: set[int]) -> dict[int, str]:
    """Each recipient's language: their own choice, else the platform's default."""
    from flask import current_app, has_app_context

    default = current_app.config["RISKCTL"].DEFAULT_LOCALE if has_app_context() else "zh_CN"
    chosen = dict(
        session.execute(
            sa.select(Person.id, Person.locale).where(Person.id.in_(sorted(ids) or [-1]))
        ).all()  # type: ignore[arg-type]
    )
    return {i: chosen.get(i) or default for i in ids}


def send_reminders(session: DbSession, *, lead_working_days: int, today: date | None = None) -> int:
    """Write the reminders due today, each in its recipient's language; returns how many
    were new."""
    today = today or local_date()
    calendar = working_calendar(session)
    until = calendar.add_working_days(today, lead_working_days)
    due_talks = session.scalars(
        sa.select(Talk).where(Talk.status == TalkStatus.PLANNED, Talk.due_on >= today,
                              Talk.due_on <= until).order_by(Talk.id)
    ).all()  # fmt: skip
    due_findings = session.scalars(
        sa.select(Finding).where(Finding.status == FindingStatus.RECTIFYING,
                                 Finding.deadline >= today, Finding.deadline <= until)
        .order_by(Finding.id)
    ).all()  # fmt: skip
    told = {f.id: [f.responsible_id] if f.responsible_id else people.leaders(session, f.unit_id)
            for f in due_findings}  # fmt: skip
    recipients = {t.talker_id for t in due_talks} | {p for ps in told.values() for p in ps}
    languages = _locales(session, recipients)
    labels = people.person_labels(session, {s.person_id for t in due_talks for s in t.subjects})
    reminders: list[Reminder] = []
    for talk in due_talks:
        locale = languages[talk.talker_id]
        lang = "en" if locale == "en" else "zh"
        with force_locale(locale):
            kind, day = label(talk.kind, "talk_kind"), _day(talk.due_on, lang)
            subjects = ("、" if lang == "zh" else ", ").join(
                labels[s.person_id] for s in talk.subjects if s.person_id in labels
            )
            reminders.append(Reminder(
                f"talk{talk.id}:{talk.due_on.isoformat()}", talk.talker_id, talk.unit_id,
                gettext("Talk due: %(kind)s by %(day)s", kind=kind, day=day),
                gettext("“%(topic)s” is to be held by %(day)s (with %(subjects)s); record it "
                        "in the platform once held.", topic=talk.topic, day=day,
                        subjects=subjects or "—"),
                f"/supervision/talks/{talk.id}",
            ))  # fmt: skip
    for finding in due_findings:
        what = (
            finding.description
            if len(finding.description) <= 40
            else (finding.description[:39] + "…")
        )
        for person_id in told[finding.id]:
            locale = languages[person_id]
            day = _day(finding.deadline, "en" if locale == "en" else "zh")
            with force_locale(locale):
                reminders.append(Reminder(
                    f"finding{finding.id}:{finding.deadline.isoformat()}", person_id,
                    finding.unit_id, gettext("Rectification due by %(day)s", day=day),
                    gettext("The ledger's finding “%(what)s” is to be rectified by %(day)s: "
                            "finish it and ask for verification in time.", what=what, day=day),
                    f"/supervision/ledger/{finding.id}",
                ))  # fmt: skip
    return remind(session, reminders)
