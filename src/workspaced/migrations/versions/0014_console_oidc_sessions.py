"""console_sessions opened through the identity provider: no token; the organization the
session acts in and the (iss, sub) that opened it

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workspaced.kit.db import UUIDType

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_KIND = (
    "token_id IS NOT NULL OR (org_id IS NOT NULL AND identity_issuer IS NOT NULL "
    "AND identity_subject IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.alter_column("token_id", existing_type=UUIDType(), nullable=True)
        batch.add_column(sa.Column("org_id", UUIDType(), nullable=True))
        batch.add_column(sa.Column("identity_issuer", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("identity_subject", sa.String(length=255), nullable=True))
        batch.create_foreign_key(
            op.f("fk_console_sessions_org_id_organizations"),
            "organizations",
            ["org_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_check_constraint(
            op.f("ck_console_sessions_token_or_identity"), sa.text(SESSION_KIND)
        )
    op.create_index("ix_console_sessions_user", "console_sessions", ["user_id"])


def downgrade() -> None:
    # Identity-provider sessions have no token to fall back to: they end.
    op.execute(sa.text("DELETE FROM console_sessions WHERE token_id IS NULL"))
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    with op.batch_alter_table("console_sessions") as batch:
        batch.drop_constraint(op.f("ck_console_sessions_token_or_identity"), type_="check")
        batch.drop_constraint(op.f("fk_console_sessions_org_id_organizations"), type_="foreignkey")
        batch.drop_column("identity_subject")
        batch.drop_column("identity_issuer")
        batch.drop_column("org_id")
        batch.alter_column("token_id", existing_type=UUIDType(), nullable=False)
