"""PostgreSQL connections: liveness checked without a round trip, reads without BEGIN.

On PostgreSQL a request's time is mostly round trips: a `SELECT 1` costs ~130 us on this
machine's loopback, more across a network, while the statements themselves take tens of
microseconds. A read used to pay nine of them for three statements: a pool pre-ping on
each of its two checkouts (the token lookup's and the handler's), and a `BEGIN` and a
`ROLLBACK` around each. Two changes remove six, with the same guarantees:

- Liveness. A connection the server closed (restart, `pg_terminate_backend`, an idle
  timeout of a proxy) has a FIN, and usually a FATAL message, waiting in its socket; a
  healthy idle connection has nothing to read. So at checkout a zero-timeout `select()`
  on the socket stands in for the ping, and only a connection idle for more than
  `PING_AFTER_IDLE_S` (a peer may have vanished without a word) is pinged as before;
  pgx's pool does the same. A connection found dead is replaced before anyone uses it
  (`DisconnectionError` at checkout makes SQLAlchemy's pool reconnect).
- Reads in autocommit. At READ COMMITTED, PostgreSQL's default and ours, every statement
  of a transaction takes its own snapshot anyway, so a read-only transaction's `BEGIN` and
  `ROLLBACK` buy nothing but two round trips. `Database.read()` on PostgreSQL runs its
  statements in autocommit; writes keep their transactions (and their row locks).
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

# A connection idle longer than this is pinged at checkout, not only checked locally.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "workspaced_idle_since"


def check_liveness_at_checkout(engine: Engine) -> None:
    """Replace dead pooled connections at checkout, pinging only long-idle ones."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _closed_by_server(dbapi_connection):
            raise DisconnectionError("the server closed this connection")
        idle_since = record.info.get(_IDLE_SINCE)
        # No check-in yet: the connection was opened for this checkout.
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the connection did not answer a ping")


def _closed_by_server(dbapi_connection: Any) -> bool:
    """An idle connection with something to read (or nothing to read from) is dead."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
