"""Recording and reading audit events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.audit.context import current_request
from workspaced.authz.access import Principal
from workspaced.event import outbox as events
from workspaced.kit import clock, filtering
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ids import parse_uuid, sortable_uuid
from workspaced.kit.ordering import parse_order_by
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import timestamp_sort, uuid_sort
from workspaced.kit.tenancy import in_org
from workspaced.models import AuditEvent, Organization
from workspaced.organization import service as organizations


def record(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor: Principal | None,
    action: str,
    resource: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the current transaction (it commits or rolls back with it).

    Callers pass only the changed, non-secret fields in `before`/`after`.
    """
    if actor is not None and actor.operator:
        actor = None  # the operator acted, whichever member's authority it used
    request = current_request.get()
    now = clock.now()
    before_json, after_json = _jsonable(before), _jsonable(after)
    session.add(
        AuditEvent(
            org_id=org_id,
            id=sortable_uuid(),
            time=now,
            # A key acted, not its creator: the creator is reachable through the key.
            actor_user_id=actor.user_id if actor and not actor.is_api_key else None,
            actor_token_id=actor.token_id if actor else None,
            actor_api_key_id=actor.api_key_id if actor else None,
            action=action,
            resource=resource,
            before=before_json,
            after=after_json,
            request_id=request.request_id,
            client_ip=request.client_ip,
            user_agent=request.user_agent,
        )
    )
    # The change's event (SPEC §7), beside its audit event: same transaction, same data.
    events.record(
        session,
        org_id=org_id,
        action=action,
        time=now,
        data={
            "organization_id": str(org_id),
            "resource": resource,
            "actor": actor_of(actor),
            "before": before_json,
            "after": after_json,
        },
    )


def actor_of(actor: Principal | None) -> dict[str, str | None]:
    """Who acted, as events name them (None: the operator, through the CLI)."""
    if actor is None or actor.operator:
        return {"type": "operator", "id": None}
    if actor.api_key_id is not None:
        return {"type": "api_key", "id": str(actor.api_key_id)}
    return {"type": "user", "id": str(actor.user_id)}


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        k: (v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v)
        for k, v in values.items()
    }


@dataclass(frozen=True)
class AuditEventView:
    org_slug: str
    event: AuditEvent


FILTER_FIELDS: dict[str, filtering.FieldCompiler] = {
    "action": filtering.string_field("action", AuditEvent.action),
    "resource": filtering.string_field("resource", AuditEvent.resource),
    "time": filtering.timestamp_field("time", AuditEvent.time),
}
_SORT = {"time": timestamp_sort(AuditEvent.time)}


def _actor_field(operator: str, value: str, position: int) -> Any:
    if operator not in ("=", "!="):
        raise InvalidArgument("filter", f"actor supports = and != (position {position})")
    user_id = parse_uuid(value)
    if user_id is None:
        raise InvalidArgument("filter", f"actor must be a user id (position {position})")
    return (
        AuditEvent.actor_user_id == user_id
        if operator == "="
        else (AuditEvent.actor_user_id != user_id)
    )


def list_events(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
    order_by: str = "",
) -> tuple[list[AuditEventView], str]:
    """Organization owners/admins read their organization's audit log (oldest first by
    default; `order_by=time desc` for newest first)."""
    org: Organization = organizations.resolve_admin(
        session, principal, org_ref, permission="audit:list"
    ).organization
    condition = filtering.compile_filter(
        filtering.parse(filter_text), {**FILTER_FIELDS, "actor": _actor_field}
    )
    keys = parse_order_by(
        order_by, _SORT, default="time", tiebreaker=("id", uuid_sort(AuditEvent.id))
    )
    query = in_org(
        select(AuditEvent.id.label("id"), AuditEvent.time.label("time")), AuditEvent, org.id
    ).where(condition)
    rows, token = keyset_page(
        session, query, keys, page, codec, fingerprint("audit", str(org.id), filter_text, order_by)
    )
    ids = [row.id for row in rows]
    events = {
        e.id: e
        for e in session.scalars(
            in_org(select(AuditEvent), AuditEvent, org.id).where(AuditEvent.id.in_(ids))
        )
    }
    return [AuditEventView(org.slug, events[i]) for i in ids], token
