from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class Invite(Base):
    """An invitation into a workspace. The secret token is stored as SHA-256 only."""

    __tablename__ = "invites"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUIDType)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    role_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    inviter_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_time: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(["org_id", "workspace_id"], ["workspaces.org_id", "workspaces.id"]),
        Index("ix_invites_ws_create", "org_id", "workspace_id", "create_time", "id"),
        # The purge marks lapsed invitations EXPIRED, and deletes them 30 days later.
        Index("ix_invites_org_state_expire", "org_id", "state", "expire_time"),
    )
