from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class WebhookEndpoint(Base):
    """Where an organization's events are POSTed (SPEC §7)."""

    __tablename__ = "webhook_endpoints"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("organizations.id"))
    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)  # [] = every type
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The signing secret (`whsec_` + base64), and the one it replaced, which keeps signing
    # beside it until `previous_secret_expire_time` (so receivers can roll over).
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expire_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)
    # Since when every attempt has failed (None: the last one succeeded).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a failing endpoint's queue is tried next (None: not failing). Changes made
    # meanwhile add deliveries that are due at once, but behind the failed one: until
    # then no worker claims the endpoint for them.
    retry_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A delivery worker that claimed the endpoint owns its queue until then (a lease: a
    # crashed worker's claim runs out). One worker per endpoint keeps its order.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The position (`Event.xid`, `Event.id`) in the organization's event log of the last
    # event this endpoint has been given: later events of its types are its queue. The
    # change that writes an event writes nothing for the endpoints (SPEC §7's outbox is
    # the event itself); the worker moves the cursor as it makes attempts.
    cursor_xid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cursor_event: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (Index("ix_webhook_endpoints_org_create", "org_id", "create_time", "id"),)


class WebhookDelivery(Base):
    """One event for one endpoint, as the delivery log shows it: written by the worker at
    the first attempt. A PENDING one (failed, or retried by hand) is sent again before
    anything past the endpoint's cursor, so the endpoint's order holds."""

    __tablename__ = "webhook_deliveries"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType)
    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType, ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_pk: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"))
    state: Mapped[str] = mapped_column(String(20))  # PENDING, DELIVERED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_time: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    delivered_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_deliveries_queue", "endpoint_id", "state", "event_pk"),
        Index("ix_webhook_deliveries_endpoint_create", "endpoint_id", "create_time", "id"),
        # An event's deliveries: the purge keeps an event while any is left (and
        # PostgreSQL checks the foreign key through it when an event is deleted).
        Index("ix_webhook_deliveries_event", "event_pk"),
    )
