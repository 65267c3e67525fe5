"""indexes for listing personal access tokens

`GET /api/v1/me/tokens` lists a user's tokens across organizations and
`GET /api/v1/organizations/{org}/tokens` an organization's, both newest first with
keyset paging; without these each page would scan and sort the whole table.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("personal_access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_personal_access_tokens_user_create", ["user_id", "create_time", "id"], unique=False
        )
        batch_op.create_index(
            "ix_personal_access_tokens_org_create", ["org_id", "create_time", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("personal_access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_access_tokens_org_create")
        batch_op.drop_index("ix_personal_access_tokens_user_create")
