"""The other domains' signals this module acts on, connected once by the app factory.

- ``riskctl.risk.signals.warning_closed``: a disposition that orders a talk or a
  rectification is followed through (``follow_ups``), in the close's transaction;
- ``riskctl.org.signals.post_taken``: a person who starts holding a leading post has a
  任前廉政谈话 planned (``talks.plan_pre_appointment``).

Receivers read the settings of the running app and hand plain values to the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from riskctl.core.access import Principal
from riskctl.core.db import DbSession
from riskctl.org import signals as org_signals
from riskctl.risk import signals as risk_signals
from riskctl.risk.models import RiskEvent
from riskctl.supervision import follow_ups, talks


def on_warning_closed(
    sender: Any, *, session: DbSession, principal: Principal, event: RiskEvent,
    follow_up: Mapping[str, Any] | None, **_: Any,
) -> None:  # fmt: skip
    if not isinstance(event, RiskEvent):  # another sender's (a test's) signal
        return
    follow_ups.follow_through(session, principal, event, follow_up, follow_ups.settings_defaults())


def on_post_taken(
    sender: Any, *, session: DbSession, person_id: int, post_id: int, unit_id: int,
    valid_from: date, is_leading: bool, **_: Any,
) -> None:  # fmt: skip
    if not is_leading:
        return
    from flask import current_app, has_app_context

    within = (
        current_app.config["RISKCTL"].SUPERVISION_PRE_APPOINTMENT_DAYS if has_app_context() else 30
    )
    talks.plan_pre_appointment(
        session, person_id=person_id, post_id=post_id, unit_id=unit_id, valid_from=valid_from,
        within_days=within,
    )  # fmt: skip


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver."""
    risk_signals.warning_closed.connect(on_warning_closed)
    org_signals.post_taken.connect(on_post_taken)
