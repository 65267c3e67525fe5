from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class ApiKey(Base):
    """An organization's service credential. Only the SHA-256 of the secret is stored; it
    works while its creator is an owner or admin of the organization (SPEC §3 rule 5)."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("organizations.id"))
    creator_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    # Sorted permission names (catalog.API_KEY_PERMISSIONS).
    permissions: Mapped[list[str]] = mapped_column(JSON)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoke_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # Keyset listing, newest first.
        Index("ix_api_keys_org_create", "org_id", "create_time", "id"),
    )
