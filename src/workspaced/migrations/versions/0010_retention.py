"""retention: the indexes the purge finds expired rows by, and job_leases (one process
runs the hourly purge at a time)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workspaced.kit.db import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURGEABLE = sa.text("purge_time IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_workspaces_org_purge_time",
        "workspaces",
        ["org_id", "purge_time"],
        sqlite_where=PURGEABLE,
        postgresql_where=PURGEABLE,
    )
    op.create_index("ix_invites_org_state_expire", "invites", ["org_id", "state", "expire_time"])
    op.create_index("ix_mail_outbox_create", "mail_outbox", ["create_time"])
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_pk"])
    op.create_index("ix_events_time", "events", ["time"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("last_run_time", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_index("ix_events_time", table_name="events")
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries")
    op.drop_index("ix_mail_outbox_create", table_name="mail_outbox")
    op.drop_index("ix_invites_org_state_expire", table_name="invites")
    op.drop_index("ix_workspaces_org_purge_time", table_name="workspaces")
