from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class WorkspaceMembership(Base):
    """An explicit member of a workspace. The primary key makes a user a member at most once."""

    __tablename__ = "workspace_memberships"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    role_id: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        ForeignKeyConstraint(["org_id", "workspace_id"], ["workspaces.org_id", "workspaces.id"]),
        # Workspace members are always organization members (no cascade: the service
        # removes workspace memberships itself so it can keep counts and audit).
        ForeignKeyConstraint(
            ["org_id", "user_id"],
            ["organization_memberships.org_id", "organization_memberships.user_id"],
        ),
        Index(
            "ix_workspace_memberships_ws_create", "org_id", "workspace_id", "create_time", "user_id"
        ),
        Index("ix_workspace_memberships_ws_role", "org_id", "workspace_id", "role_id"),
        Index("ix_workspace_memberships_user", "org_id", "user_id"),
    )
