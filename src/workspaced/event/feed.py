"""The event feed (SPEC §7): an organization's events in commit order, after a cursor,
for consumers that poll instead of receiving webhooks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, literal_column, or_, select
from sqlalchemy.orm import Session

from workspaced.authz.access import Principal
from workspaced.event.outbox import payload
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.models import Event
from workspaced.organization import service as organizations

PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000
_CURSOR = re.compile(r"(\d{1,20})\.(\d{1,20})")


@dataclass(frozen=True)
class FeedEvent:
    cursor: str
    event_id: str
    body: dict[str, Any]  # {type, timestamp, data}, as webhooks send it


def cursor_of(row: Event) -> str:
    return f"{row.xid}.{row.id}"


def parse_cursor(value: str) -> tuple[int, int]:
    if not value:
        return (-1, -1)
    match = _CURSOR.fullmatch(value)
    if match is None:
        raise InvalidArgument("after", "must be a cursor from an earlier page ('' to start)")
    return int(match.group(1)), int(match.group(2))


def past_position(xid: Any, event_pk: Any) -> ColumnElement[bool]:
    """Events past a position (`xid`, `id`) of the log, in its order: a feed cursor's
    values, or an endpoint's cursor columns (correlated)."""
    return or_(Event.xid > xid, (Event.xid == xid) & (Event.id > event_pk))


def committed_in_order(session: Session, query: AnySelect) -> AnySelect:
    """Only events of transactions older than every transaction still running: one that
    commits later can then never sort before what a reader has already seen. (SQLite
    writes one transaction at a time, so everything committed is in order.)"""
    if session.get_bind().dialect.name != "postgresql":
        return query
    horizon = literal_column(
        "pg_snapshot_xmin(pg_current_snapshot())::text::bigint", type_=BigInteger()
    )
    return query.where(Event.xid < horizon)


def list_events(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    after: str = "",
    page_size: int = PAGE_SIZE_DEFAULT,
) -> tuple[list[FeedEvent], str]:
    """Events after `after`, oldest first; and the cursor to ask after next (the given one
    when nothing new has committed)."""
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="events:list"
    ).organization
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise InvalidArgument("page_size", f"must be between 1 and {PAGE_SIZE_MAX}")
    xid, event_pk = parse_cursor(after)
    query = in_org(select(Event), Event, org.id).where(past_position(xid, event_pk))
    rows = session.scalars(
        committed_in_order(session, query).order_by(Event.xid, Event.id).limit(page_size)
    ).all()
    events = [FeedEvent(cursor_of(row), row.event_id, payload(row)) for row in rows]
    return events, events[-1].cursor if events else after
