"""How the pages and exports name the supervision module's codes (English msgids, the
Chinese in the catalogue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

TALK_KINDS: Mapping[str, Any] = {
    "collective": _l("Collective integrity talk"),
    "pre_appointment": _l("Pre-appointment integrity talk"),
    "reminder_talk": _l("Reminder talk"),
    "letter_inquiry": _l("Talk or letter of inquiry"),
    "admonishment": _l("Admonishment talk"),
}
TALK_STATUSES: Mapping[str, Any] = {
    "planned": _l("Planned"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}
SOURCES: Mapping[str, Any] = {
    "patrol": _l("Patrol (巡察)"),
    "inspection": _l("Supervision check (督查)"),
    "audit": _l("Audit"),
    "special_check": _l("Special inspection"),
    "risk_warning": _l("Risk warning"),
}
FINDING_STATUSES: Mapping[str, Any] = {
    "rectifying": _l("Being rectified"),
    "submitted": _l("Awaiting verification"),
    "verified": _l("Verified and closed (销号)"),
}
UPDATE_KINDS: Mapping[str, Any] = {
    "progress": _l("Progress"),
    "submitted": _l("Asked for verification"),
    "returned": _l("Returned for more work"),
    "verified": _l("Verified and closed (销号)"),
}
OUTCOMES: Mapping[str, Any] = {
    "held": _l("Done by the due day"),
    "late": _l("Late"),
    "open": _l("Under way"),
}
# A state as a badge colours it (the stylesheet's tones).
TONES = {
    "planned": "blue", "held": "green", "cancelled": "grey", "rectifying": "orange",
    "submitted": "blue", "verified": "green", "late": "red", "open": "blue",
}  # fmt: skip
KINDS: Mapping[str, Mapping[str, Any]] = {
    "talk_kind": TALK_KINDS, "talk_status": TALK_STATUSES, "source": SOURCES,
    "finding_status": FINDING_STATUSES, "update": UPDATE_KINDS, "outcome": OUTCOMES,
}  # fmt: skip


def label(value: Any, kind: str) -> str:
    """The reader's name of a code; an unknown one as it is."""
    if value is None:
        return "—"
    key = getattr(value, "value", value)
    return str(KINDS[kind].get(key, key))
