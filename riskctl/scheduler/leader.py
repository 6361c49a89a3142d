"""Leadership of the production scheduler: a PostgreSQL advisory lock on a connection of
its own, and the fencing check every job and the watchdog make before they trust it.

An advisory lock alone can split-brain: if the leader's database session is killed, the
lock is gone while the process goes on scheduling.  So the lock is checked, on the very
connection that holds it, before each job and by a watchdog that ends the process when it
is lost; a supervisor (systemd, the container runtime) starts it again as a standby.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

log = logging.getLogger(__name__)

LEADER_LOCK = 0x52534348  # "RSCH"


class Leadership:
    def __init__(self, engine: sa.Engine, key: int = LEADER_LOCK) -> None:
        self.engine = engine
        self.key = key
        self._connection: sa.Connection | None = None
        self._guard = threading.Lock()  # one connection, used by jobs and the watchdog

    def try_acquire(self) -> bool:
        with self._guard:
            if self._connection is None:
                self._connection = self.engine.connect()
            taken = self._connection.scalar(sa.select(sa.func.pg_try_advisory_lock(self.key)))
            self._connection.commit()
            return bool(taken)

    def holds(self) -> bool:
        """Whether this process still holds the lock, asked of the server."""
        with self._guard:
            if self._connection is None:
                return False
            try:
                held = self._connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND granted AND pid = pg_backend_pid() "
                        "AND ((classid::bigint << 32) | objid::bigint) = :key"
                    ),
                    {"key": self.key},
                )
                self._connection.commit()
                return bool(held)
            except sa.exc.SQLAlchemyError:
                log.exception("leadership check failed; assuming the lock is lost")
                return False

    def release(self) -> None:
        with self._guard:
            if self._connection is None:
                return
            try:
                self._connection.scalar(sa.select(sa.func.pg_advisory_unlock(self.key)))
                self._connection.commit()
            except sa.exc.SQLAlchemyError:
                pass
            finally:
                self._connection.close()
                self._connection = None

    def backend_pid(self) -> int | None:
        with self._guard:
            if self._connection is None:
                return None
            pid = self._connection.scalar(sa.select(sa.func.pg_backend_pid()))
            self._connection.commit()
            return int(pid) if pid is not None else None
