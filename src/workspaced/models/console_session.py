from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class ConsoleSession(Base):
    """A signed-in browser of the admin console. The cookie holds a random id; only its
    SHA-256 is stored, so a copy of the database opens no session. The session acts
    with the personal access token it was opened with, and ends with it."""

    __tablename__ = "console_sessions"

    id_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    # CASCADE: the purge deletes long-dead tokens, and their sessions end with them.
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType, ForeignKey("personal_access_tokens.id", ondelete="CASCADE")
    )
    # Random, per session: every form carries it and every POST must send it back.
    csrf_token: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_console_sessions_token", "token_id"),)
