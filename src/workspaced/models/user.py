from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class User(Base):
    """A person. Users are global; organizations reach them through OrganizationMembership."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: uniqueness and lookups are case-insensitive on both databases.
    email_normalized: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    # The owner proved control of `email` (SPEC §3 "verified email"); False for the
    # placeholders organization admins create by email, until an invitation claims them.
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
