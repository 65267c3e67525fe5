from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class Workspace(Base):
    """A workspace, keyed by (org_id, id) so the schema can be sharded by organization."""

    __tablename__ = "workspaces"

    org_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType, ForeignKey("organizations.id"), primary_key=True
    )
    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(34))
    title: Mapped[str] = mapped_column(String(200))
    icon: Mapped[str | None] = mapped_column(String(200), nullable=True)
    icon_color: Mapped[str | None] = mapped_column(String(50), nullable=True)
    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("users.id"), nullable=True
    )
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)
    delete_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purge_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Changes on every update; a conditional UPDATE on it is the optimistic lock.
    etag: Mapped[str] = mapped_column(String(32))
    # Explicit members, maintained in the same transaction as every membership change,
    # so counting never scans the membership table.
    member_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # A slug is unique among the live workspaces of an organization only.
        Index(
            "uq_workspaces_org_slug_live",
            "org_id",
            "slug",
            unique=True,
            sqlite_where=text("delete_time IS NULL"),
            postgresql_where=text("delete_time IS NULL"),
        ),
        Index("ix_workspaces_org_slug", "org_id", "slug", "delete_time"),
        Index("ix_workspaces_org_create_time", "org_id", "create_time", "id"),
        Index("ix_workspaces_org_update_time", "org_id", "update_time", "id"),
        Index("ix_workspaces_org_title", "org_id", "title", "id"),
        # The purge finds an organization's soft-deleted workspaces past their purge time.
        Index(
            "ix_workspaces_org_purge_time",
            "org_id",
            "purge_time",
            sqlite_where=text("purge_time IS NOT NULL"),
            postgresql_where=text("purge_time IS NOT NULL"),
        ),
    )
