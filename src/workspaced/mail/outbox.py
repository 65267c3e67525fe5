"""The mail outbox: a message is a row written in the transaction that decided to send it,
so it exists exactly when that decision committed (SPEC §3.1).

Delivery claims a due row with a conditional UPDATE that sets a lease (`claimed_until`):
of several workers (threads, or replicas on one PostgreSQL) exactly one wins each claim,
and a worker that dies mid-send leaves a lease that runs out, so another retries it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from workspaced.kit import clock
from workspaced.models import MailMessage

# How long a claim is exclusive: longer than one SMTP exchange may take (30 s timeout).
LEASE = timedelta(minutes=2)
# After this long undelivered, a message is given up (an invitation lives 7 days by
# default; mail arriving after that is no use).
MAX_AGE = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=30)

# Set after a transaction that enqueued mail commits: the delivery worker of this process
# wakes at once instead of at its next poll.
enqueued = threading.Event()


@dataclass(frozen=True)
class DueMessage:
    id: uuid.UUID
    recipient: str
    subject: str
    body: str
    attempts: int
    create_time: datetime


def _wake_worker(_session: Session) -> None:
    enqueued.set()


def enqueue(
    session: Session, *, org_id: uuid.UUID | None, recipient: str, subject: str, body: str
) -> uuid.UUID:
    """Record a message in the caller's transaction; it is sent after the commit."""
    now = clock.now()
    message = MailMessage(
        id=uuid.uuid4(),
        org_id=org_id,
        recipient=recipient,
        subject=subject,
        body=body,
        create_time=now,
        attempts=0,
        next_attempt_time=now,
    )
    session.add(message)
    if not event.contains(session, "after_commit", _wake_worker):
        event.listen(session, "after_commit", _wake_worker, once=True)
    return message.id


def _pending() -> Any:
    return (MailMessage.sent_time.is_(None)) & (MailMessage.failed_time.is_(None))


def claim_due(session: Session, *, limit: int) -> list[DueMessage]:
    """Up to `limit` due messages, each now leased to the caller (commit to keep the lease)."""
    now = clock.now()
    unclaimed = or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until < now)
    candidates = session.scalars(
        select(MailMessage.id)
        .where(_pending(), MailMessage.next_attempt_time <= now, unclaimed)
        .order_by(MailMessage.next_attempt_time)
        .limit(limit)
    ).all()
    claimed: list[DueMessage] = []
    for message_id in candidates:
        # The condition is checked again by the UPDATE itself: of two workers that read the
        # same candidate, the database lets exactly one of them change the row.
        won = session.execute(
            update(MailMessage)
            .where(MailMessage.id == message_id, _pending(), unclaimed)
            .values(claimed_until=now + LEASE)
            .returning(
                MailMessage.recipient,
                MailMessage.subject,
                MailMessage.body,
                MailMessage.attempts,
                MailMessage.create_time,
            )
        ).one_or_none()
        if won is not None:
            claimed.append(DueMessage(message_id, *won))
    return claimed


def mark_sent(session: Session, message_id: uuid.UUID) -> None:
    # The body may hold an invitation secret: nothing needs it once it is sent.
    session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id)
        .values(sent_time=clock.now(), claimed_until=None, body="", last_error=None)
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s, ... capped at 30 minutes."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY)


def mark_failed(session: Session, message: DueMessage, error: str, *, permanent: bool) -> bool:
    """Record a failed attempt; True when the message is given up for good."""
    now = clock.now()
    attempts = message.attempts + 1
    give_up = permanent or now - message.create_time >= MAX_AGE
    values: dict[str, Any] = {
        "attempts": attempts,
        "claimed_until": None,
        "last_error": error[:1000],
        "next_attempt_time": now + retry_delay(attempts),
    }
    if give_up:
        values.update(failed_time=now, body="")
    session.execute(update(MailMessage).where(MailMessage.id == message.id).values(**values))
    return give_up


def next_due_time(session: Session) -> datetime | None:
    """When the earliest pending message becomes due (None: the outbox is empty)."""
    return session.scalar(
        select(MailMessage.next_attempt_time)
        .where(_pending())
        .order_by(MailMessage.next_attempt_time)
        .limit(1)
    )
