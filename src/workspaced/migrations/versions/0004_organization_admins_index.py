"""partial index of organization owners and admins

Every workspace member list has an arm for the organization's owners and admins. With
only `(org_id, org_role)` to go on, planner statistics (SQLite after `ANALYZE` or
`PRAGMA optimize`) make a large organization look like half owners, half admins, and
SQLite then scanned every membership of a 1,000,000-member organization per page
(120 ms instead of 1 ms). This index holds owners and admins only and is in the arm's
order, so it stays small and is chosen whatever the statistics say.

The predicate is frozen here as text: the query spells it the same way
(`models.organization_membership.ADMIN_ROLE_PREDICATE`).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREDICATE = "org_role IN ('admin', 'owner')"


def upgrade() -> None:
    op.create_index(
        "ix_organization_memberships_admins",
        "organization_memberships",
        ["org_id", "create_time", "user_id"],
        unique=False,
        sqlite_where=sa.text(PREDICATE),
        postgresql_where=sa.text(PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_organization_memberships_admins", table_name="organization_memberships")
