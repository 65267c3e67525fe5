from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class PersonalAccessToken(Base):
    """A bearer token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "personal_access_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("organizations.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoke_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_personal_access_tokens_org_user", "org_id", "user_id"),
        # Keyset listing, newest first: a user's tokens, an organization's tokens (0003).
        Index("ix_personal_access_tokens_user_create", "user_id", "create_time", "id"),
        Index("ix_personal_access_tokens_org_create", "org_id", "create_time", "id"),
    )
