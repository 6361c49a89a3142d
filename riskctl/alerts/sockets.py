"""Socket.IO namespace ``/screen``: the big screen's live events and in-app pushes.

A kiosk connects with its token (``auth: {token}`` or ``?token=``) and joins the room of
every unit's events; a signed-in person (session cookie) joins their own room for in-app
notifications, the monitor rooms of the units whose warnings they see (a signal to
reload the monitor's list) and, if they may watch the screen, the screen rooms of the
units in reach.
Nothing is sent on connect: the client loads ``/api/v1/screen/snapshot`` and applies
the events with a later ``seq``.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from riskctl.alerts import services
from riskctl.alerts.push import (
    HEARTBEAT_ROOM,
    MONITOR_ROOM,
    NAMESPACE,
    SCREEN_ROOM,
    monitor_room,
    person_room,
    unit_room,
)
from riskctl.auth import kiosk
from riskctl.core.access import Action, AllUnits, can, visible_units
from riskctl.extensions import db


def register(socketio: SocketIO) -> None:
    @socketio.on("connect", namespace=NAMESPACE)  # type: ignore[misc,untyped-decorator]
    def connect(auth: dict[str, Any] | None = None) -> bool:
        token = (auth or {}).get("token") or request.args.get("token") or kiosk.cookie_token()
        if token:
            if services.kiosk_for(db.session, str(token)) is None:
                return False
            join_room(SCREEN_ROOM)
            join_room(HEARTBEAT_ROOM)
            return True
        if not current_user.is_authenticated:
            return False
        principal = current_user.principal()
        join_room(person_room(principal.person_id))
        monitored = visible_units(principal, Action.VIEW_RISK)
        if isinstance(monitored, AllUnits):
            join_room(MONITOR_ROOM)
        else:
            for unit_id in monitored:
                join_room(monitor_room(unit_id))
        if can(principal, Action.VIEW_SCREEN):
            join_room(HEARTBEAT_ROOM)
            reach = visible_units(principal, Action.VIEW_SCREEN)
            if isinstance(reach, AllUnits):
                join_room(SCREEN_ROOM)
            else:
                for unit_id in reach:
                    join_room(unit_room(unit_id))
        return True
