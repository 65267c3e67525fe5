"""Organization API keys (`wsk_`): created, listed and revoked by the organization's owners
and admins, each with an explicit set of permissions.

A key is a service credential, not a person: it is never a member of anything, and what
it does is audited with the key as actor. It borrows its creator's authority (SPEC §3):
its permissions must be a subset of what the creator holds (rule 3), it never holds an
owner-only power (none is in `API_KEY_PERMISSIONS`), and it stops working when the
creator leaves the organization or stops being an owner or admin (rule 5): those changes
revoke it in their own transaction (`revoke_lapsed`), and authentication also refuses a
key whose creator is no longer an owner or admin of the membership it was created under.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from workspaced.api_key import repository
from workspaced.audit import service as audit
from workspaced.auth import token_format
from workspaced.authz.access import Principal, effective_permissions
from workspaced.authz.catalog import (
    API_KEY_PERMISSIONS,
    ORGANIZATION_ADMIN_ROLES,
    ORGANIZATION_PERMISSIONS,
)
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument, NotFound, PermissionDenied
from workspaced.kit.ids import parse_uuid
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import timestamp_sort, uuid_sort
from workspaced.kit.validation import check_expire_time, check_text
from workspaced.models import ApiKey, Organization
from workspaced.organization import repository as organizations_repository
from workspaced.organization import service as organizations

MAX_LIFETIME = timedelta(days=365 * 2)
DISPLAY_NAME_MAX = 200
CREATOR_LOST_AUTHORITY = "creator is no longer an owner or admin of the organization"
_ORDER = [
    SortKey("create_time", timestamp_sort(ApiKey.create_time), True),
    SortKey("id", uuid_sort(ApiKey.id), True),
]


@dataclass(frozen=True)
class ApiKeyView:
    org_slug: str
    key_id: uuid.UUID
    creator_id: uuid.UUID
    display_name: str
    permissions: tuple[str, ...]
    create_time: datetime
    expire_time: datetime | None
    last_used_time: datetime | None

    @property
    def name(self) -> str:
        return resource_name(self.org_slug, self.key_id)


def resource_name(org_slug: str, key_id: uuid.UUID) -> str:
    return f"organizations/{org_slug}/apiKeys/{key_id}"


def _view(org: Organization, row: Any) -> ApiKeyView:
    return ApiKeyView(
        org_slug=org.slug,
        key_id=row.id,
        creator_id=row.creator_id,
        display_name=row.display_name,
        permissions=tuple(row.permissions),
        create_time=row.create_time,
        expire_time=row.expire_time,
        last_used_time=row.last_used_time,
    )


def _validate_permissions(permissions: list[str]) -> list[str]:
    if not permissions:
        raise InvalidArgument("permissions", "must name at least one permission")
    unknown = sorted(set(permissions) - API_KEY_PERMISSIONS)
    if unknown:
        raise InvalidArgument(
            "permissions",
            f"{unknown[0]!r} is not a permission an API key can hold "
            "(docs/identity.md lists them; owner-only powers are never among them)",
        )
    return sorted(set(permissions))


def _manager(session: Session, principal: Principal, org_ref: str) -> Organization:
    """Keys are managed by the organization's owners and admins in person: a key cannot
    create, list or revoke keys (no chains of delegation to follow back)."""
    principal.require_person(f"organizations/{org_ref}/apiKeys")
    access = organizations.resolve_admin(
        session, principal, org_ref, permission=organizations.ADMINISTER
    )
    return access.organization


def create(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    display_name: str,
    permissions: list[str],
    expire_time: datetime | None = None,
) -> tuple[ApiKeyView, str]:
    """A new key of the organization; returns its view and the secret (shown once)."""
    org = _manager(session, principal, org_ref)
    display_name = display_name.strip()
    check_text("display_name", display_name, DISPLAY_NAME_MAX, required=True)
    granted = _validate_permissions(permissions)
    check_expire_time(expire_time, MAX_LIFETIME)
    # Rule 5, concurrently: hold the membership row a removal or demotion locks first and
    # read the role afresh, so no key outlives a change that commits meanwhile.
    creator = organizations_repository.membership(session, org.id, principal.user_id, lock=True)
    if creator is None or creator.org_role not in ORGANIZATION_ADMIN_ROLES:
        raise NotFound("organization", org_ref)
    # Rule 3: a subset of what the creator holds (an owner or admin holds every workspace
    # permission everywhere and every organization-level one a key may carry).
    held = effective_permissions(creator.org_role, frozenset()) | frozenset(
        ORGANIZATION_PERMISSIONS
    )
    missing = sorted(set(granted) - held)
    if missing:
        raise PermissionDenied(missing[0], f"organizations/{org.slug}")
    secret = token_format.generate(token_format.API_KEY_PREFIX)
    row = ApiKey(
        id=uuid.uuid4(),
        org_id=org.id,
        creator_id=principal.user_id,
        display_name=display_name,
        secret_sha256=token_format.digest(secret),
        permissions=granted,
        create_time=clock.now(),
        expire_time=expire_time,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="api_key.created",
        resource=resource_name(org.slug, row.id),
        after={"display_name": display_name, "permissions": granted, "expire_time": expire_time},
    )
    return _view(org, row), secret


def list_keys(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
) -> tuple[list[ApiKeyView], str]:
    """The organization's unrevoked keys, newest first (never their secrets)."""
    org = _manager(session, principal, org_ref)
    query_id = fingerprint("api-keys", str(org.id))
    rows, token = keyset_page(session, repository.live_query(org.id), _ORDER, page, codec, query_id)
    return [_view(org, row) for row in rows], token


def _find(session: Session, org: Organization, key_ref: str) -> Any:
    key_id = parse_uuid(key_ref)
    row = (
        session.execute(repository.live_query(org.id).where(ApiKey.id == key_id)).one_or_none()
        if key_id is not None
        else None
    )
    if row is None:
        raise NotFound("apiKey", key_ref)
    return row


def get(session: Session, principal: Principal, org_ref: str, key_ref: str) -> ApiKeyView:
    org = _manager(session, principal, org_ref)
    return _view(org, _find(session, org, key_ref))


def revoke(session: Session, principal: Principal, org_ref: str, key_ref: str) -> None:
    """Revoke a key: it gets 401 from the next request on. Any owner or admin may revoke
    any key of the organization (a key carries no owner's power, whoever created it)."""
    org = _manager(session, principal, org_ref)
    row = _find(session, org, key_ref)
    _revoke(session, principal, org, row.id, row.display_name, reason=None)


def _revoke(
    session: Session,
    actor: Principal,
    org: Organization,
    key_id: uuid.UUID,
    display_name: str,
    *,
    reason: str | None,
) -> bool:
    now = clock.now()
    if not repository.revoke(session, org.id, key_id, now):
        if reason is None:
            raise NotFound("apiKey", str(key_id))  # revoked concurrently
        return False
    after: dict[str, Any] = {"revoke_time": now}
    if reason is not None:
        after["reason"] = reason
    audit.record(
        session,
        org_id=org.id,
        actor=actor,
        action="api_key.revoked",
        resource=resource_name(org.slug, key_id),
        before={"display_name": display_name},
        after=after,
    )
    return True


def revoke_lapsed(
    session: Session, actor: Principal, org: Organization, creator_id: uuid.UUID
) -> int:
    """Rule 5: revoke, with an audit event each, the keys of a creator who is no longer an
    owner or admin of the organization. Called by the change that removed or demoted them
    (which authorized `actor`), after it is flushed; how many."""
    creator = organizations_repository.membership(session, org.id, creator_id)
    if creator is not None and creator.org_role in ORGANIZATION_ADMIN_ROLES:
        return 0
    revoked = 0
    for key_id in repository.live_ids_of_creator(session, org.id, creator_id):
        row = session.get(ApiKey, key_id)
        assert row is not None
        if _revoke(session, actor, org, key_id, row.display_name, reason=CREATOR_LOST_AUTHORITY):
            revoked += 1
    return revoked
