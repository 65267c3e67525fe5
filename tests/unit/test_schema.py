"""The migrations build exactly the schema the models declare, and the member list keeps
its index whatever the planner's statistics say."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import workspaced.models  # noqa: F401  (registers every table on the metadata)
from tests.support import World
from workspaced.kit.db import Database
from workspaced.membership import listing
from workspaced.models.base import Base


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


# sqlite_stat1 as `ANALYZE` wrote it for the benchmark organization: 1,000,000 members,
# one owner. Written by hand here so the test needs no million rows.
_LARGE_ORGANIZATION_STATS = [
    ("organization_memberships", "ix_organization_memberships_org_role", "1000001 1000001 500001"),
    ("organization_memberships", "ix_organization_memberships_user", "1000001 1"),
    (
        "organization_memberships",
        "sqlite_autoindex_organization_memberships_1",
        "1000001 1000001 1",
    ),
    ("organization_memberships", "ix_organization_memberships_admins", "1 1 1 1"),
]


def test_member_list_uses_the_admins_index_after_analyze(database: Database, world: World) -> None:
    if not database.is_sqlite:
        # PostgreSQL keeps most-common-value statistics and picks the index unaided.
        return
    world.person("org-a")  # some rows, so ANALYZE creates its table
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        for table, index, stat in _LARGE_ORGANIZATION_STATS:
            connection.execute(
                text("INSERT INTO sqlite_stat1 VALUES (:table, :index, :stat)"),
                {"table": table, "index": index, "stat": stat},
            )
    database.engine.dispose()  # SQLite reads the statistics when a connection opens
    compiled = listing._users_statement("", "", (), False).statement.compile(
        dialect=database.engine.dialect
    )
    unknown = tuple(None for _ in compiled.positiontup or ())  # the plan does not use them
    with database.engine.connect() as connection:
        plan = [
            row[3]
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), unknown)
        ]
    assert "SCAN organization_memberships" not in plan, plan
    assert any("USING INDEX ix_organization_memberships_admins" in step for step in plan), plan
