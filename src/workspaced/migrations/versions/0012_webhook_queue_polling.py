"""the delivery workers' poll: an index of pending deliveries by endpoint and due time,
and a failing endpoint's retry time (until then no worker claims it)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workspaced.kit.db import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'PENDING'")


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["endpoint_id", "next_attempt_time"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.add_column("webhook_endpoints", sa.Column("retry_time", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("retry_time")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
