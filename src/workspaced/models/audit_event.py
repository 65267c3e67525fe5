from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class AuditEvent(Base):
    """Who changed what, written in the same transaction as the change itself."""

    __tablename__ = "audit_events"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    # Set when an organization API key acted (actor_user_id is then None: no person did).
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        Index("ix_audit_events_org_time", "org_id", "time", "id"),
        Index("ix_audit_events_org_action", "org_id", "action", "time"),
    )
