"""Webhook endpoints of an organization (SPEC §7): managed by its owners and admins, or
an API key holding `webhooks:manage`. The signing secret (`whsec_` + base64 of 32 random
bytes, the Standard Webhooks format) leaves the service once, from `create` and
`rotate_secret`; after a rotation the old secret keeps signing beside the new one for
`ROLLOVER`, so receivers can switch without losing a delivery."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete as delete_rows
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal
from workspaced.event import outbox
from workspaced.event.outbox import ALL_TYPES, PENDING
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument, NotFound
from workspaced.kit.ids import parse_uuid
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import timestamp_sort, uuid_sort
from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.kit.validation import check_text
from workspaced.models import Event, Organization, WebhookDelivery, WebhookEndpoint
from workspaced.organization import service as organizations

MANAGE = "webhooks:manage"
ROLLOVER = timedelta(hours=24)
URL_MAX = 2048
DESCRIPTION_MAX = 500
_ENDPOINT_ORDER = [
    SortKey("create_time", timestamp_sort(WebhookEndpoint.create_time), False),
    SortKey("id", uuid_sort(WebhookEndpoint.id), False),
]
_DELIVERY_ORDER = [
    SortKey("create_time", timestamp_sort(WebhookDelivery.create_time), True),
    SortKey("id", uuid_sort(WebhookDelivery.id), True),
]


@dataclass(frozen=True)
class EndpointView:
    org_slug: str
    endpoint: WebhookEndpoint

    @property
    def name(self) -> str:
        return f"organizations/{self.org_slug}/webhooks/{self.endpoint.id}"


@dataclass(frozen=True)
class DeliveryView:
    org_slug: str
    delivery: WebhookDelivery
    event_id: str
    event_type: str

    @property
    def name(self) -> str:
        d = self.delivery
        return f"organizations/{self.org_slug}/webhooks/{d.endpoint_id}/deliveries/{d.id}"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def private_address(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved or unspecified."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refuse_private(host: str) -> None:
    """SPEC §7: an endpoint may not point into the server's own network (SSRF) unless the
    operator allows it. Checked when an endpoint is saved and again before each attempt
    (a name may resolve elsewhere later)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError):
        raise InvalidArgument("url", f"the host {host!r} does not resolve") from None
    if any(private_address(str(a)) for a in addresses):
        raise InvalidArgument(
            "url",
            "points to a private, loopback or link-local address "
            "(WORKSPACED_WEBHOOK_ALLOW_PRIVATE=true allows it)",
        )


def validate_url(url: str, *, allow_private: bool) -> str:
    url = url.strip()
    check_text("url", url, URL_MAX, required=True)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidArgument("url", "must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidArgument("url", "must not carry credentials (sign with the secret)")
    if not allow_private:
        refuse_private(parts.hostname)
    return url


def _validate_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - ALL_TYPES)
    if unknown:
        raise InvalidArgument("event_types", f"{unknown[0]!r} is not an event type")
    return sorted(set(event_types))


def _managed(session: Session, principal: Principal, org_ref: str) -> Organization:
    return organizations.resolve_admin(session, principal, org_ref, permission=MANAGE).organization


def _resource(org: Organization, endpoint_id: uuid.UUID) -> str:
    return f"organizations/{org.slug}/webhooks/{endpoint_id}"


def create(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    url: str,
    event_types: list[str],
    description: str = "",
    allow_private: bool = False,
) -> tuple[EndpointView, str]:
    """A new endpoint; its view and signing secret (shown this once)."""
    org = _managed(session, principal, org_ref)
    url = validate_url(url, allow_private=allow_private)
    types = _validate_types(event_types)
    check_text("description", description, DESCRIPTION_MAX, required=False)
    now = clock.now()
    cursor_xid, cursor_event = outbox.log_position(session)
    endpoint = WebhookEndpoint(
        org_id=org.id,
        cursor_xid=cursor_xid,
        cursor_event=cursor_event,
        id=uuid.uuid4(),
        url=url,
        description=description,
        event_types=types,
        disabled=False,
        secret=new_secret(),
        create_time=now,
        update_time=now,
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="webhook.created",
        resource=_resource(org, endpoint.id),
        after={"url": url, "event_types": types},
    )
    return EndpointView(org.slug, endpoint), endpoint.secret


def _find(session: Session, org: Organization, endpoint_ref: str) -> WebhookEndpoint:
    endpoint_id = parse_uuid(endpoint_ref)
    endpoint = (
        session.scalars(
            in_org(select(WebhookEndpoint), WebhookEndpoint, org.id).where(
                WebhookEndpoint.id == endpoint_id
            )
        ).one_or_none()
        if endpoint_id is not None
        else None
    )
    if endpoint is None:
        raise NotFound("webhook", endpoint_ref)
    return endpoint


def get(session: Session, principal: Principal, org_ref: str, endpoint_ref: str) -> EndpointView:
    org = _managed(session, principal, org_ref)
    return EndpointView(org.slug, _find(session, org, endpoint_ref))


def list_endpoints(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
) -> tuple[list[EndpointView], str]:
    org = _managed(session, principal, org_ref)
    # The sort keys as labelled columns beside the row: the page token is read from them.
    query = in_org(
        select(
            WebhookEndpoint,
            WebhookEndpoint.create_time.label("create_time"),
            WebhookEndpoint.id.label("id"),
        ),
        WebhookEndpoint,
        org.id,
    )
    rows, token = keyset_page(
        session, query, _ENDPOINT_ORDER, page, codec, fingerprint("webhooks", str(org.id))
    )
    return [EndpointView(org.slug, row[0]) for row in rows], token


def update_endpoint(
    session: Session,
    principal: Principal,
    org_ref: str,
    endpoint_ref: str,
    changes: dict[str, Any],
    *,
    allow_private: bool = False,
) -> EndpointView:
    """Change `url`, `event_types`, `description` or `disabled` (re-enabling resumes the
    endpoint's queue where it stopped)."""
    org = _managed(session, principal, org_ref)
    endpoint = _find(session, org, endpoint_ref)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if "url" in changes:
        changes["url"] = validate_url(changes["url"], allow_private=allow_private)
    if "event_types" in changes:
        changes["event_types"] = _validate_types(changes["event_types"])
    if "description" in changes:
        check_text("description", changes["description"], DESCRIPTION_MAX, required=False)
    for field in ("url", "event_types", "description", "disabled"):
        if field in changes and changes[field] != getattr(endpoint, field):
            before[field], after[field] = getattr(endpoint, field), changes[field]
            setattr(endpoint, field, changes[field])
    if after:
        endpoint.update_time = clock.now()
        if after.get("disabled") is False:
            endpoint.failing_since = None  # a fresh start: five more days before disabling
        session.flush()
        audit.record(
            session,
            org_id=org.id,
            actor=principal,
            action="webhook.updated",
            resource=_resource(org, endpoint.id),
            before=before,
            after=after,
        )
    return EndpointView(org.slug, endpoint)


def delete(session: Session, principal: Principal, org_ref: str, endpoint_ref: str) -> None:
    org = _managed(session, principal, org_ref)
    endpoint = _find(session, org, endpoint_ref)
    session.execute(
        in_org(delete_rows(WebhookDelivery), WebhookDelivery, org.id).where(
            WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    session.delete(endpoint)
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="webhook.deleted",
        resource=_resource(org, endpoint.id),
        before={"url": endpoint.url},
    )


def rotate_secret(
    session: Session, principal: Principal, org_ref: str, endpoint_ref: str
) -> tuple[EndpointView, str]:
    """A new secret, shown once; the old one signs beside it for ROLLOVER."""
    org = _managed(session, principal, org_ref)
    endpoint = _find(session, org, endpoint_ref)
    now = clock.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expire_time = now + ROLLOVER
    endpoint.secret = new_secret()
    endpoint.update_time = now
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="webhook.secret_rotated",
        resource=_resource(org, endpoint.id),
        after={"previous_secret_expire_time": endpoint.previous_secret_expire_time},
    )
    return EndpointView(org.slug, endpoint), endpoint.secret


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    during its rollover."""
    found = [endpoint.secret]
    expire = endpoint.previous_secret_expire_time
    if endpoint.previous_secret and expire is not None and now < expire:
        found.append(endpoint.previous_secret)
    return found


def _deliveries(org: Organization, endpoint: WebhookEndpoint) -> AnySelect:
    """An endpoint's deliveries with their event's id and type (and the sort keys,
    labelled, for keyset pages)."""
    return (
        in_org(
            select(
                WebhookDelivery,
                Event.event_id,
                Event.type,
                WebhookDelivery.create_time.label("create_time"),
                WebhookDelivery.id.label("id"),
            ),
            WebhookDelivery,
            org.id,
        )
        .join(Event, Event.id == WebhookDelivery.event_pk)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
    )


def list_deliveries(
    session: Session,
    principal: Principal,
    org_ref: str,
    endpoint_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
) -> tuple[list[DeliveryView], str]:
    """The endpoint's deliveries, newest first, with their last response."""
    org = _managed(session, principal, org_ref)
    endpoint = _find(session, org, endpoint_ref)
    query = _deliveries(org, endpoint)
    rows, token = keyset_page(
        session, query, _DELIVERY_ORDER, page, codec, fingerprint("deliveries", str(endpoint.id))
    )
    return [DeliveryView(org.slug, row[0], row[1], row[2]) for row in rows], token


def retry(
    session: Session, principal: Principal, org_ref: str, endpoint_ref: str, delivery_ref: str
) -> DeliveryView:
    """Attempt a delivery again now (a delivered one is sent once more, same webhook-id)."""
    org = _managed(session, principal, org_ref)
    endpoint = _find(session, org, endpoint_ref)
    delivery_id = parse_uuid(delivery_ref)
    found = (
        session.execute(
            _deliveries(org, endpoint).where(WebhookDelivery.id == delivery_id)
        ).one_or_none()
        if delivery_id is not None
        else None
    )
    if found is None:
        raise NotFound("delivery", delivery_ref)
    delivery, event_id, event_type = found[0], found[1], found[2]
    now = clock.now()
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(state=PENDING, next_attempt_time=now, delivered_time=None)
        .execution_options(synchronize_session="fetch")
    )
    # The queue keeps its order: whatever is older goes first, so it is due now too, and
    # the endpoint's backoff ends.
    session.execute(
        in_org(update(WebhookDelivery), WebhookDelivery, org.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == PENDING)
        .values(next_attempt_time=now)
        .execution_options(synchronize_session=False)
    )
    endpoint.retry_time = None
    session.refresh(delivery)
    return DeliveryView(org.slug, delivery, event_id, event_type)
