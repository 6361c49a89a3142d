"""Pushing screen and in-app notifications over Socket.IO once their transaction commits.

Best effort by design: an emit while Redis is down is dropped, and a client catches up
from the snapshot it loads on (re)connect, so a push never holds up a commit.  The web
processes emit through the app's ``socketio``; the dedicated scheduler process installs a
write-only emitter on the Redis queue (``use_message_queue``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from riskctl.alerts.models import Channel, Kind
from riskctl.alerts.outbox import PUSH_KEY, RESYNC_KEY, SIGNAL_KEY

if TYPE_CHECKING:
    from flask_socketio import SocketIO

log = logging.getLogger(__name__)

NAMESPACE = "/screen"
SCREEN_ROOM = "screen"
HEARTBEAT_ROOM = "heartbeat"  # every screen, kiosk or inspector
MONITOR_ROOM = "monitor"  # monitor pages of those who see every unit's warnings
_write_only: SocketIO | None = None
_no_clients = False  # the scheduler process without Redis: nobody to push to


def person_room(person_id: int) -> str:
    return f"person:{person_id}"


def unit_room(unit_id: int) -> str:
    """An inspector's screen joins the rooms of the units in their scope; a kiosk joins
    ``SCREEN_ROOM``, which receives every unit's events."""
    return f"screen:{unit_id}"


def monitor_room(unit_id: int) -> str:
    """The monitor pages of those who see this unit's warnings (leaders, inspectors)."""
    return f"monitor:{unit_id}"


def use_message_queue(url: str, channel: str) -> None:
    """In a process that serves no clients (the scheduler): emit through Redis only."""
    from flask_socketio import SocketIO

    global _write_only
    _write_only = SocketIO(message_queue=url, channel=channel, async_mode="threading")


def use_no_clients() -> None:
    """In a process that serves no clients and has no queue to reach those who do."""
    global _no_clients
    _no_clients = True


def _emitter() -> SocketIO | None:
    if _no_clients:
        return None
    if _write_only is not None:
        return _write_only
    from riskctl.extensions import socketio

    return socketio


def payload(row: dict[str, Any]) -> dict[str, Any]:
    """What a client receives; ``seq`` orders it against the snapshot it loaded."""
    return {
        "seq": row["id"], "kind": row["kind"].value, "level": row["level"],
        "unit_id": row["unit_id"], "event_id": row["event_id"], "title": row["title"],
        "body": row["body"], "at": row["created_at"].isoformat(),
    }  # fmt: skip


def emit(rows: list[dict[str, Any]], signals: Iterable[dict[str, Any]] = ()) -> None:
    server = _emitter()
    if server is None:
        return
    for row in rows:
        try:
            if row["channel"] is Channel.SCREEN:
                rooms = [SCREEN_ROOM]
                if row["unit_id"] is not None:
                    rooms.append(unit_room(row["unit_id"]))
                server.emit("warning", payload(row), namespace=NAMESPACE, to=rooms)
            elif row["recipient_id"] is not None:
                server.emit(
                    "notification", payload(row), namespace=NAMESPACE,
                    to=person_room(row["recipient_id"]),
                )  # fmt: skip
        except Exception:  # a push must never undo or hold up what was committed
            log.exception("push of notification %s failed", row["id"])
    _signal_monitors(server, rows, signals)


def _signal_monitors(
    server: SocketIO, rows: list[dict[str, Any]], more: Iterable[dict[str, Any]] = ()
) -> None:
    """Tell the monitor pages and the big screens that a warning of a unit was raised,
    escalated or closed, once per warning, whatever its level: they reload their list or
    snapshot (names and details come from there, in scope; a kiosk gets aggregates only).
    Only what the policy routes to the screen (red, by default) is pushed as a
    ``warning`` with its title; this signal carries ids and the level, nothing else."""
    signals = {
        (row["unit_id"], row["event_id"]): row
        for row in rows
        if row["unit_id"] is not None and row["event_id"] is not None
        and row["kind"] in (Kind.RAISED, Kind.RESOLVED, Kind.ESCALATED)
    }  # fmt: skip
    # Also those nobody was told of (no one in the route: a unit without a leader …).
    for signal in more:
        signals.setdefault((signal["unit_id"], signal["event_id"]), signal)
    for (unit_id, event_id), row in signals.items():
        try:
            server.emit(
                "risk_event",
                {"unit_id": unit_id, "event_id": event_id, "level": row["level"],
                 "kind": row["kind"].value},
                namespace=NAMESPACE,
                to=[MONITOR_ROOM, monitor_room(unit_id), SCREEN_ROOM, unit_room(unit_id)],
            )  # fmt: skip
        except Exception:
            log.exception("monitor signal of warning %s failed", event_id)


def heartbeat(seq: int, event: str = "heartbeat") -> None:
    """The latest screen ``seq``, every few seconds: a screen that missed an event (Redis
    was down) sees that it is behind and reloads the snapshot.  ``resync``: too many
    events at once to push one by one; every screen reloads."""
    server = _emitter()
    if server is None:
        return
    try:
        server.emit(event, {"seq": seq}, namespace=NAMESPACE, to=HEARTBEAT_ROOM)
    except Exception:
        log.exception("screen %s failed", event)


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    rows = session.info.pop(PUSH_KEY, None)
    signals = session.info.pop(SIGNAL_KEY, None)
    if rows or signals:
        emit(rows or [], (signals or {}).values())
    if session.info.pop(RESYNC_KEY, False):
        heartbeat(0, "resync")  # the screens reload whatever their seq


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(PUSH_KEY, None)
    session.info.pop(SIGNAL_KEY, None)
    session.info.pop(RESYNC_KEY, None)
