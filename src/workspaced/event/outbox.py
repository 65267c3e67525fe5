"""Writing events: `record` is called by `audit.record`, so every change that is audited
writes its event in the same transaction (none for a rolled-back change, no change without
its event). That row is the whole outbox: each webhook endpoint reads the organization's
events after its own cursor (`delivery.py`), so a change costs the same with or without
endpoints subscribed to it (one delivery row per endpoint per event, written here, cost
the write path ~40 % more WAL pages on SQLite; BENCHMARKS.md).

Event types are the audit actions renamed to SPEC §7's vocabulary; audited actions that
are not events (tokens, organization creation, which no endpoint can yet listen to) map to
nothing.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session

from workspaced.kit import clock
from workspaced.kit.ids import sortable_uuid
from workspaced.kit.tenancy import in_org
from workspaced.models import Event, WebhookEndpoint

# audit action -> event type
EVENT_TYPES: dict[str, str] = {
    "organization.updated": "organization.updated",
    "organization.ownership_transferred": "organization.updated",
    "organization.user.added": "organization.member.added",
    "organization.user.role_changed": "organization.member.updated",
    "organization.user.removed": "organization.member.removed",
    "workspace.created": "workspace.created",
    "workspace.updated": "workspace.updated",
    "workspace.deleted": "workspace.deleted",
    "workspace.undeleted": "workspace.undeleted",
    "workspace.purged": "workspace.purged",
    "workspace.member.added": "workspace.member.added",
    "workspace.member.role_changed": "workspace.member.updated",
    "workspace.member.removed": "workspace.member.removed",
    "invite.created": "invite.created",
    "invite.accepted": "invite.accepted",
    "invite.revoked": "invite.revoked",
    "invite.expired": "invite.expired",
    "role.created": "role.created",
    "role.updated": "role.updated",
    "role.deleted": "role.deleted",
    "api_key.created": "api_key.created",
    "api_key.revoked": "api_key.revoked",
    "workspace.preferences.updated": "preferences.updated",
}
# Every type an endpoint may subscribe to (SPEC §7).
ALL_TYPES = frozenset(EVENT_TYPES.values())
PENDING = "PENDING"
DELIVERED = "DELIVERED"

# Set after a transaction that wrote an event some endpoint is ready to take commits: this
# process's delivery worker wakes at once instead of at its next poll.
written = threading.Event()


def _wake_worker(_session: Session) -> None:
    written.set()


def _transaction_id(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return literal_column("pg_current_xact_id()::text::bigint")
    return 0  # one writer at a time: id order is commit order


def record(
    session: Session,
    *,
    org_id: uuid.UUID,
    action: str,
    time: datetime,
    data: dict[str, Any],
) -> Event | None:
    """The event of an audited change, and its deliveries, in the caller's transaction."""
    event_type = EVENT_TYPES.get(action)
    if event_type is None:
        return None
    row = Event(
        org_id=org_id,
        # Time-ordered ids (UUIDv7), here and for deliveries: each insert then lands at
        # the end of its index instead of on a random page, which on SQLite is WAL pages
        # written and synced by every change that records an event.
        event_id=f"evt_{sortable_uuid().hex}",
        type=event_type,
        time=time,
        xid=_transaction_id(session),
        data=data,
    )
    session.add(row)
    # Only to wake this process's delivery worker at commit, rather than at its next poll:
    # the endpoints themselves get nothing written (the event is their queue).
    now = clock.now()
    ready = session.execute(
        in_org(select(WebhookEndpoint.event_types), WebhookEndpoint, org_id).where(
            WebhookEndpoint.disabled.is_(False),
            or_(WebhookEndpoint.retry_time.is_(None), WebhookEndpoint.retry_time <= now),
        )
    ).scalars()
    if any(not types or event_type in types for types in ready) and not orm_event.contains(
        session, "after_commit", _wake_worker
    ):
        orm_event.listen(session, "after_commit", _wake_worker, once=True)
    return row


def log_position(session: Session) -> tuple[Any, Any]:
    """SQL for where the event log ends for the calling transaction: a new endpoint's
    cursor, so it gets the events of changes committed after it and none before. On
    PostgreSQL, events of transactions that started after this one and commit around it
    are past it too (xid order): at least every event committed after the endpoint."""
    return _transaction_id(session), select(func.coalesce(func.max(Event.id), 0)).scalar_subquery()


def payload(row: Event) -> dict[str, Any]:
    """The body of a delivery and an item of the feed: `{type, timestamp, data}`."""
    return {"type": row.type, "timestamp": clock.rfc3339(row.time), "data": row.data}
