from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class OrganizationMembership(Base):
    __tablename__ = "organization_memberships"

    org_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType, ForeignKey("organizations.id"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id"), primary_key=True)
    org_role: Mapped[str] = mapped_column(String(20))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_organization_memberships_org_role", "org_id", "org_role"),
        Index("ix_organization_memberships_user", "user_id"),
    )
