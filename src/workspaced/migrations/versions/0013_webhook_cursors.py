"""webhook endpoints read the event log through a cursor: no delivery row is written by
the change itself, only by the delivery worker when it makes an attempt

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'PENDING'")


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(
            sa.Column("cursor_xid", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("cursor_event", sa.BigInteger(), nullable=False, server_default="0")
        )
    # Every event written so far already has its delivery row (the old design wrote them
    # with the change), so each endpoint's cursor starts past all of them; its PENDING
    # rows are still sent, before anything after the cursor.
    op.execute(
        "UPDATE webhook_endpoints SET"
        " cursor_xid = (SELECT coalesce(max(xid), 0) FROM events),"
        " cursor_event = (SELECT coalesce(max(id), 0) FROM events)"
    )
    # Pending rows are now only failed or retried attempts: the queue index finds them.
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")


def downgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["endpoint_id", "next_attempt_time"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("cursor_event")
        batch.drop_column("cursor_xid")
