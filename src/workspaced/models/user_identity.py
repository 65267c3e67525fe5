from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class UserIdentity(Base):
    """A user as an identity provider knows them: (`iss`, `sub`) of its JWTs. A user is
    bound to at most one identity (SPEC §3 rule 1: never linked to a second one)."""

    __tablename__ = "user_identities"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id"), unique=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
