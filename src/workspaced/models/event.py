from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base

# SQLite has 64-bit INTEGER PRIMARY KEY rowids only under the name INTEGER.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One change, as webhooks and the event feed report it (SPEC §7): written by the
    transaction that makes the change, beside its audit event (an outbox).

    `xid` is the writing transaction's id on PostgreSQL (0 on SQLite, whose one writer at
    a time makes `id` order commit order): readers list events by (`xid`, `id`) and only
    those of transactions older than every one still running, so an event never appears
    behind a cursor that has moved past it.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # the webhook-id
    type: Mapped[str] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    xid: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_events_org_order", "org_id", "xid", "id"),
        Index("ix_events_time", "time"),  # the purge deletes events by age
    )
