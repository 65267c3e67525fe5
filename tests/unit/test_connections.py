"""How `Database` uses connections: reads cannot write, writes stay transactions, and on
PostgreSQL reads send only their own statements while dead pooled connections are still
replaced before anyone uses them (kit/postgres.py)."""

from __future__ import annotations

import contextlib
import time
import uuid
from select import select as wait_readable
from typing import Any

import pytest
from sqlalchemy import literal, select, text, union_all
from sqlalchemy.engine import make_url

from tests.support import bare_user, postgres_admin, postgres_base_url, terminate_sessions
from workspaced.kit import postgres
from workspaced.kit.db import Database, WriteInReadError
from workspaced.models import User

needs_postgres = pytest.mark.skipif(postgres_base_url() is None, reason="needs PostgreSQL")


def _users_named(database: Database, name: str) -> int:
    with database.read() as session:
        return len(session.execute(select(User.id).where(User.username == name)).all())


def test_no_write_inside_a_read_lands(database: Database) -> None:
    """PostgreSQL reads run in autocommit, so they refuse writes; a SQLite read is a
    transaction rolled back at its end."""

    def attempt() -> Any:
        if database.is_sqlite:
            return contextlib.nullcontext()
        return pytest.raises(WriteInReadError)

    with database.write() as session:
        session.add(bare_user(uuid.uuid4(), "kept"))
    with attempt(), database.read() as session:
        session.add(bare_user(uuid.uuid4(), "stray-orm"))
        session.flush()
    with attempt(), database.read_connection() as connection:
        connection.execute(text("UPDATE users SET username = 'stray-core'"))
    with attempt(), database.read() as session:
        session.execute(
            text("  (DELETE FROM users)") if not database.is_sqlite else text("DELETE FROM users")
        )
    assert _users_named(database, "stray-orm") == 0
    assert _users_named(database, "stray-core") == 0
    assert _users_named(database, "kept") == 1


def test_reads_answer_selects_and_ctes(database: Database) -> None:
    with database.read() as session:
        assert session.execute(text("WITH t AS (SELECT 1 AS x) SELECT x FROM t")).scalar() == 1
        if not database.is_sqlite:  # where compound arms may come in parentheses
            arms = union_all(select(literal(2)).limit(1), select(literal(3)).limit(1))
            assert sorted(session.execute(arms).scalars()) == [2, 3]


def test_a_failed_write_after_many_reads_leaves_nothing(database: Database) -> None:
    """Reads and writes share the pool; a read's autocommit must never leak into a write."""
    for _ in range(25):
        with database.read() as session:
            session.execute(text("SELECT 1"))
    with pytest.raises(RuntimeError, match="abort"), database.write() as session:
        session.add(bare_user(uuid.uuid4(), "half-written"))
        session.flush()
        raise RuntimeError("abort")
    assert _users_named(database, "half-written") == 0
    with database.write() as session:
        session.add(bare_user(uuid.uuid4(), "written"))
    assert _users_named(database, "written") == 1


def _driver(session: Any) -> Any:
    return session.connection().connection.driver_connection


@needs_postgres
def test_postgres_reads_open_no_transaction_and_writes_do(database: Database) -> None:
    with database.read() as session:
        session.execute(text("SELECT 1"))
        # Idle, not in a transaction: no BEGIN was sent and no ROLLBACK will be.
        assert _driver(session).info.transaction_status.name == "IDLE"
    with database.write() as session:
        session.execute(text("SELECT 1"))
        assert _driver(session).info.transaction_status.name == "INTRANS"


def _backend_pid(database: Database) -> int:
    with database.read_connection() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate_backends(database_url: str) -> None:
    admin = postgres_admin(database_url)
    try:
        with admin.connect() as connection:
            terminate_sessions(connection, make_url(database_url).database or "")
    finally:
        admin.dispose()


def _count_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    dialect = database.engine.dialect
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    return pings


@needs_postgres
def test_a_connection_the_server_killed_is_replaced_without_a_ping(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _backend_pid(database)  # one idle connection now sits in the pool
    pings = _count_pings(database, monkeypatch)
    with database.engine.connect() as probe:
        fd = probe.connection.driver_connection.fileno()
    _terminate_backends(database_url)
    wait_readable([fd], [], [], 5)  # the server's goodbye has arrived
    after = _backend_pid(database)  # no error: the dead one was replaced at checkout
    assert after != before
    assert pings == []


@needs_postgres
def test_only_long_idle_connections_are_pinged(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend_pid(database)
    pings = _count_pings(database, monkeypatch)
    for _ in range(5):
        _backend_pid(database)
    assert pings == []  # reused within the idle window: checked locally only
    monkeypatch.setattr(postgres, "PING_AFTER_IDLE_S", 0.0)
    time.sleep(0.01)
    _backend_pid(database)
    assert pings == [1]
