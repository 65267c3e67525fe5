"""Writing events: `record` is called by `audit.record`, so every change that is audited
writes its event in the same transaction (none for a rolled-back change, no change without
its event), with a delivery row for each endpoint subscribed to its type.

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
from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from workspaced.kit import clock
from workspaced.kit.ids import sortable_uuid
from workspaced.kit.tenancy import in_org
from workspaced.models import Event, WebhookDelivery, WebhookEndpoint

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

# Set after a transaction that wrote deliveries commits: this process's delivery worker
# wakes at once instead of at its next poll.
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
    endpoints = session.execute(
        in_org(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types), WebhookEndpoint, org_id
        ).where(WebhookEndpoint.disabled.is_(False))
    ).all()
    subscribed = [e.id for e in endpoints if not e.event_types or event_type in e.event_types]
    if subscribed:
        session.flush()  # the event's id
        now = clock.now()
        session.add_all(
            WebhookDelivery(
                org_id=org_id,
                id=sortable_uuid(),
                endpoint_id=endpoint_id,
                event_pk=row.id,
                state=PENDING,
                attempts=0,
                next_attempt_time=now,
                create_time=now,
            )
            for endpoint_id in subscribed
        )
        if not orm_event.contains(session, "after_commit", _wake_worker):
            orm_event.listen(session, "after_commit", _wake_worker, once=True)
    return row


def payload(row: Event) -> dict[str, Any]:
    """The body of a delivery and an item of the feed: `{type, timestamp, data}`."""
    return {"type": row.type, "timestamp": clock.rfc3339(row.time), "data": row.data}
