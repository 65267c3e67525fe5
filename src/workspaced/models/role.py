from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class Role(Base):
    """A named set of permissions. Built-in roles have no organization; custom ones have one."""

    __tablename__ = "roles"

    pk: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("organizations.id"), nullable=True
    )
    role_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    scope: Mapped[str] = mapped_column(String(20))
    permissions: Mapped[list[str]] = mapped_column(JSON)
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_roles_org_role_id", "org_id", "role_id", unique=True),
        Index(
            "uq_roles_builtin_role_id",
            "role_id",
            "scope",
            unique=True,
            sqlite_where=text("org_id IS NULL"),
            postgresql_where=text("org_id IS NULL"),
        ),
    )
