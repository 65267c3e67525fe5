from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base

# Messages still to deliver: the delivery worker's poll reads only these. Frozen as text in
# migration 0005 too.
PENDING_PREDICATE = "sent_time IS NULL AND failed_time IS NULL"


class MailMessage(Base):
    """One message of the outbox (`workspaced.mail.outbox`): written in the transaction
    that decided to send it, delivered afterwards by `workspaced.mail.delivery`.

    Not tenant data in the `in_org` sense: the delivery worker reads the queue across
    organizations, and `org_id` only says on whose behalf a message went out.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType, nullable=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    # Holds an invitation's secret until the message is sent; emptied then (see outbox).
    body: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_time: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker that claimed the message owns it until then (a lease, so a crashed worker's
    # claim runs out and another worker retries the message).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Delivery was given up (refused for good, or still failing after MAX_AGE).
    failed_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)

    __table_args__ = (
        Index(
            "ix_mail_outbox_pending",
            "next_attempt_time",
            sqlite_where=text(PENDING_PREDICATE),
            postgresql_where=text(PENDING_PREDICATE),
        ),
        # The purge deletes sent and given-up mail (it holds invitation links) by age.
        Index("ix_mail_outbox_create", "create_time"),
    )
