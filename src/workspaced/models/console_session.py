from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class ConsoleSession(Base):
    """A signed-in browser of the admin console. The cookie holds a random id; only its
    SHA-256 is stored, so a copy of the database opens no session. A session opened with
    a personal access token acts with it, and ends with it; one opened through the
    identity provider (`token_id` null) acts in `org_id` alone, and ends when its identity
    is gone or the user's membership there ends."""

    __tablename__ = "console_sessions"

    id_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    # CASCADE: the purge deletes long-dead tokens, and their sessions end with them.
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("personal_access_tokens.id", ondelete="CASCADE"), nullable=True
    )
    # Identity-provider sessions (migration 0014): the organization the session acts in,
    # and the (iss, sub) it was opened by.
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        UUIDType, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    )
    identity_issuer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    identity_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Random, per session: every form carries it and every POST must send it back.
    csrf_token: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_console_sessions_token", "token_id"),
        Index("ix_console_sessions_user", "user_id"),
        CheckConstraint(
            "token_id IS NOT NULL OR (org_id IS NOT NULL AND identity_issuer IS NOT NULL "
            "AND identity_subject IS NOT NULL)",
            name="token_or_identity",
        ),
    )
