"""`PreparedSelect` answers exactly what SQLAlchemy would: same rows, same Python types, the
same refusals and errors, inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, bindparam, cast, event, func, select
from sqlalchemy.exc import DBAPIError

from tests.support import World, bare_user, workspace_with_members
from workspaced.kit.db import Database, context_free
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.prepared import PreparedSelect
from workspaced.membership import listing, repository
from workspaced.models import User


def _via_sqlalchemy(connection: Any, statement: Any, parameters: dict[str, Any]) -> list[tuple]:
    return [tuple(row) for row in connection.execute(statement, parameters)]


@pytest.fixture
def team(world: World, database: Database) -> dict[str, Any]:
    """A workspace with explicit members of several roles, in an organization that also
    has an admin (so the organization-scoped arm of the list has rows)."""
    owner = world.person("acme")
    people = [world.person("acme") for _ in range(6)]
    world.person("acme", org_role="admin")
    view = workspace_with_members(database, owner, people, roles=("viewer", "editor", "owner"))
    return {"org_id": uuid.UUID(owner.org_id), "workspace_id": view.uid}


ORDERS = ["", "display_name", "email desc", "created_time", "updated_time desc"]
FILTERS = ["", 'search:"example"', "role_scope=organization", 'role="Workspace Viewer"']


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order_by=st.sampled_from(ORDERS),
    filter_text=st.sampled_from(FILTERS),
    limit=st.integers(min_value=1, max_value=12),
)
def test_member_pages_match_sqlalchemy(
    database: Database, team: dict[str, Any], order_by: str, filter_text: str, limit: int
) -> None:
    names = (("viewer", "Workspace Viewer"),) if "role" in filter_text else ()
    page = listing._users_statement(filter_text, order_by, names, False)
    parameters = repository.arm_parameters(team["org_id"], team["workspace_id"])
    parameters["limit"] = limit
    with database.read() as session:
        connection = session.connection()
        expected = _via_sqlalchemy(connection, page.statement, parameters)
        got = page.prepared.all(connection, parameters)
    assert [tuple(row) for row in got] == expected
    # Same Python types, column by column (ids as UUIDs, times as aware datetimes).
    for ours, theirs in zip(got, expected, strict=True):
        assert [type(v) for v in ours] == [type(v) for v in theirs]


def test_reads_the_transactions_own_writes(database: Database) -> None:
    prepared = PreparedSelect(select(User.email).where(User.id == bindparam("id")))
    user_id = uuid.uuid4()
    with database.write() as session:
        session.add(bare_user(user_id, "own"))
        session.flush()
        assert prepared.first(session.connection(), {"id": user_id}) == ("own@example.com",)
        session.rollback()
    with database.read() as session:
        assert prepared.first(session.connection(), {"id": user_id}) is None


def test_refuses_nul_like_every_statement(database: Database) -> None:
    prepared = PreparedSelect(select(User.id).where(User.email == bindparam("email")))
    with database.read() as session, pytest.raises(InvalidArgument):
        prepared.all(session.connection(), {"email": "a\x00b@example.com"})


def test_driver_errors_surface_as_sqlalchemy_errors(database: Database) -> None:
    # abs() of the smallest 64-bit integer overflows on both databases, at run time.
    value = bindparam("value", type_=BigInteger)
    prepared = PreparedSelect(select(func.abs(cast(value, BigInteger))))
    with database.read() as session:
        assert prepared.first(session.connection(), {"value": -5}) == (5,)
    with database.read() as session, pytest.raises(DBAPIError) as raised:
        prepared.all(session.connection(), {"value": -(2**63)})
    # The driver's own error stays visible (PostgreSQL's retry meets an aborted transaction).
    assert isinstance(raised.value.__cause__, database.engine.dialect.loaded_dbapi.Error)
    assert "range" in str(raised.value.__cause__) or "overflow" in str(raised.value.__cause__)


def test_expanding_in_runs_through_sqlalchemy(database: Database, world: World) -> None:
    people = [world.person("acme") for _ in range(3)]
    ids = [uuid.UUID(p.user_id) for p in people[:2]]
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    prepared = PreparedSelect(statement.order_by(User.id))
    with database.read() as session:
        rows = prepared.all(session.connection(), {"ids": ids})
    assert [row[0] for row in rows] == sorted(ids)


def test_missing_parameter_is_an_error_not_a_null(database: Database) -> None:
    prepared = PreparedSelect(select(User.id).where(User.email == bindparam("email")))
    with database.read() as session, pytest.raises(Exception, match="email"):
        prepared.all(session.connection(), {})


def test_context_free_listeners_see_prepared_statements(database: Database) -> None:
    seen: list[tuple[str, Any]] = []

    @context_free
    def watch(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool
    ) -> tuple[str, Any]:
        seen.append((statement, context))
        return statement, parameters

    prepared = PreparedSelect(select(User.id).where(User.email == bindparam("email")))
    event.listen(database.engine, "before_cursor_execute", watch, retval=True)
    try:
        with database.read() as session:
            prepared.all(session.connection(), {"email": "nobody@example.com"})
    finally:
        event.remove(database.engine, "before_cursor_execute", watch)
    assert [context for _, context in seen] == [None]  # the fast path ran, and was seen
    assert "users.email" in seen[0][0]


def test_other_listeners_get_sqlalchemy_with_its_context(database: Database) -> None:
    """A listener that may need the execution context (tracing, say) turns the fast path
    off: it sees every statement as SQLAlchemy runs it, and the answer is the same."""
    contexts: list[Any] = []

    def trace(
        _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _m: bool
    ) -> None:
        contexts.append(context)

    prepared = PreparedSelect(select(User.email).where(User.email == bindparam("email")))
    event.listen(database.engine, "before_cursor_execute", trace)
    try:
        with database.read() as session:
            assert prepared.all(session.connection(), {"email": "nobody@example.com"}) == []
    finally:
        event.remove(database.engine, "before_cursor_execute", trace)
    assert len(contexts) == 1 and contexts[0] is not None
