"""SPEC §6: every transaction's work has a time limit. A statement past it is stopped by
the database itself (PostgreSQL's statement_timeout and lock_timeout, SQLite's progress
handler) and the transaction raises Unavailable, which every dialect answers 503 with
Retry-After; the connection is fine for the next request."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from starlette.requests import Request

from workspaced.http.dialects.activeloop.errors import render_domain as activeloop_error
from workspaced.http.dialects.admin.errors import render_domain as admin_error
from workspaced.http.dialects.aip.errors import render_domain as aip_error
from workspaced.http.dialects.members.errors import render_domain as members_error
from workspaced.kit.db import Database
from workspaced.kit.errors import ResourceExhausted, Unavailable

LIMIT_S = 0.3


def slow_statement(database: Database) -> str:
    """A statement that runs for seconds on either database."""
    if database.is_sqlite:
        return (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000)"
            " SELECT count(*) FROM n"
        )
    return "SELECT pg_sleep(5)"


@pytest.fixture
def limited(database_url: str) -> Database:
    database = Database(database_url, time_limit_s=LIMIT_S)
    yield database  # type: ignore[misc]
    database.dispose()


def test_a_read_past_the_limit_is_stopped_and_the_connection_reused(limited: Database) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable) as stopped, limited.read() as session:
        session.execute(text(slow_statement(limited)))
    assert time.monotonic() - started < LIMIT_S + 1.0
    assert stopped.value.retry_after >= 1
    for _ in range(3):  # the pool's connections are healthy afterwards
        with limited.read() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_write_past_the_limit_is_stopped_and_rolled_back(limited: Database) -> None:
    with pytest.raises(Unavailable), limited.write() as session:
        session.execute(text(slow_statement(limited)))
    with limited.write() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_each_transaction_gets_the_whole_limit(limited: Database) -> None:
    """Quick transactions one after another on one connection never add up to the limit."""
    deadline = time.monotonic() + LIMIT_S * 3
    while time.monotonic() < deadline:
        with limited.read() as session:
            session.execute(text("SELECT 1"))


def test_a_writer_waiting_past_the_limit_is_told_to_retry(limited: Database) -> None:
    """A write that cannot get the database (another writer holds it) ends by the limit."""
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with limited.write() as session:
            session.execute(text("SELECT 1"))
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        if limited.is_sqlite:
            started = time.monotonic()
            with pytest.raises(Unavailable), limited.write() as session:
                session.execute(text("SELECT 1"))
            assert time.monotonic() - started < LIMIT_S + 1.0
    finally:
        release.set()
        holder.join()


def test_no_limit_by_default(database: Database) -> None:
    assert database.time_limit_s is None


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": []})


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unavailable("too slow", retry_after=1), 503),
        (ResourceExhausted("too many requests", retry_after=7), 429),
    ],
)
@pytest.mark.parametrize(
    "render", [aip_error, activeloop_error, admin_error, members_error], ids=lambda r: r.__module__
)
def test_every_dialect_answers_retryable_refusals_with_retry_after(
    render: object, error: Unavailable | ResourceExhausted, status: int
) -> None:
    response = render(_request(), error)  # type: ignore[operator]
    assert response.status_code == status
    assert response.headers["retry-after"] == str(error.retry_after)
