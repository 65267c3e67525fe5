"""users.email_verified: whether the account's owner proved control of its address

Rule 1 of SPEC §3: an account is created or claimed through an email address only by
someone who proved control of it. Accounts that organization admins create by email are
unverified placeholders: accepting an invitation delivered to the address claims them.

Existing rows: an account holding any personal access token was made by the operator
(`bootstrap`) or by accepting an invitation, so it counts as verified; one without any is
a placeholder an admin created.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE users SET email_verified = TRUE WHERE EXISTS "
        "(SELECT 1 FROM personal_access_tokens WHERE personal_access_tokens.user_id = users.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified")
