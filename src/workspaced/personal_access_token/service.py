"""Personal access tokens: a user's own (create, list, revoke) and, for organization
owners/admins, those whose home is their organization (list, revoke).

The secret leaves the service once, from `create`; lists and audit events never carry it.
Authentication (`auth.service.authenticate`) refuses revoked and expired tokens on the
very next request, so revoking needs no cache invalidation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.auth.service import issue_token
from workspaced.authz.access import Principal
from workspaced.authz.catalog import OWNER_ROLE_ID
from workspaced.kit import clock, filtering
from workspaced.kit.errors import InvalidArgument, NotFound, PermissionDenied
from workspaced.kit.ids import parse_uuid
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import timestamp_sort, uuid_sort
from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.kit.validation import check_expire_time
from workspaced.models import PersonalAccessToken
from workspaced.organization import repository as organizations_repository
from workspaced.organization import service as organizations
from workspaced.personal_access_token import repository

PAT = PersonalAccessToken
MAX_LIFETIME = timedelta(days=365)
DISPLAY_NAME_MAX = 200
# Newest first; the id breaks ties in the same direction so one index scan serves a page.
_ORDER = [
    SortKey("create_time", timestamp_sort(PAT.create_time), True),
    SortKey("id", uuid_sort(PAT.id), True),
]


@dataclass(frozen=True)
class TokenView:
    token_id: uuid.UUID
    user_id: uuid.UUID
    org_slug: str
    display_name: str
    create_time: datetime
    expire_time: datetime | None
    last_used_time: datetime | None

    @property
    def name(self) -> str:
        return resource_name(self.user_id, self.token_id)


def resource_name(user_id: uuid.UUID, token_id: uuid.UUID) -> str:
    return f"users/{user_id}/tokens/{token_id}"


def _view(row: Any) -> TokenView:
    return TokenView(
        token_id=row.id,
        user_id=row.user_id,
        org_slug=row.org_slug,
        display_name=row.display_name,
        create_time=row.create_time,
        expire_time=row.expire_time,
        last_used_time=row.last_used_time,
    )


def _validate_display_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument("display_name", "must not be empty")
    if len(value) > DISPLAY_NAME_MAX:
        raise InvalidArgument("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidArgument("display_name", "must not contain control characters")
    return value


def create(
    session: Session,
    principal: Principal,
    *,
    display_name: str,
    expire_time: datetime | None = None,
    org_ref: str | None = None,
) -> tuple[TokenView, str]:
    """A new token for the caller, at home in `org_ref` (default: the calling token's home
    organization; the caller must be a member). Returns the view and the secret."""
    principal.require_person("users/me/tokens")
    display_name = _validate_display_name(display_name)
    check_expire_time(expire_time, MAX_LIFETIME)
    if org_ref is None:
        if principal.org_scope is None:  # a JWT acts in all its user's organizations
            raise InvalidArgument("organization", "is required: name the token's home")
        org_ref = str(principal.home_org_id)
    org = organizations.resolve(session, principal, org_ref).organization
    # Rule 6, concurrently: hold the membership row a removal locks first, and read it
    # afresh, so no token is issued to a user whose removal commits meanwhile.
    if organizations_repository.membership(session, org.id, principal.user_id, lock=True) is None:
        raise NotFound("organization", org_ref or str(org.id))
    row, secret = issue_token(
        session,
        user_id=principal.user_id,
        org_id=org.id,
        display_name=display_name,
        expire_time=expire_time,
    )
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="token.created",
        resource=resource_name(principal.user_id, row.id),
        after={
            "display_name": display_name,
            "organization": f"organizations/{org.slug}",
            "expire_time": expire_time,
        },
    )
    view = TokenView(
        row.id, row.user_id, org.slug, display_name, row.create_time, row.expire_time, None
    )
    return view, secret


def _mine(principal: Principal) -> AnySelect:
    """The caller's live tokens; a token homed in one organization sees and revokes only
    tokens of that organization (rule 6: it acts nowhere else)."""
    principal.require_person("users/me/tokens")
    query = repository.live_query().where(PAT.user_id == principal.user_id)
    if principal.org_scope is not None:
        query = in_org(query, PAT, principal.org_scope)
    return query


def list_mine(
    session: Session, principal: Principal, *, page: PageRequest, codec: PageTokenCodec
) -> tuple[list[TokenView], str]:
    """The caller's unrevoked tokens where the calling credential acts, newest first."""
    query = _mine(principal)
    query_id = fingerprint("my-tokens", str(principal.user_id), str(principal.org_scope))
    rows, token = keyset_page(session, query, _ORDER, page, codec, query_id)
    return [_view(row) for row in rows], token


def _find(session: Session, token_ref: str, query: AnySelect) -> Any:
    token_id = parse_uuid(token_ref)
    row = (
        session.execute(query.where(PAT.id == token_id)).one_or_none()
        if token_id is not None
        else None
    )
    if row is None:
        raise NotFound("token", token_ref)
    return row


def _revoke(session: Session, principal: Principal, row: Any, token_ref: str) -> None:
    now = clock.now()
    if not repository.revoke(session, row.id, now):
        raise NotFound("token", token_ref)  # revoked concurrently
    audit.record(
        session,
        org_id=row.org_id,
        actor=principal,
        action="token.revoked",
        resource=resource_name(row.user_id, row.id),
        before={"display_name": row.display_name},
        after={"revoke_time": now},
    )


def revoke_mine(session: Session, principal: Principal, token_ref: str) -> None:
    """Revoke one of the caller's tokens; anyone else's answers NotFound, like a missing one."""
    row = _find(session, token_ref, _mine(principal))
    _revoke(session, principal, row, token_ref)


def _user_field(operator: str, value: str, position: int) -> ColumnElement[bool]:
    user_id = parse_uuid(value)
    if operator not in ("=", "!=") or user_id is None:
        raise InvalidArgument(
            "filter", f"user_id supports = and != with a UUID (position {position})"
        )
    return (PAT.user_id == user_id) if operator == "=" else (PAT.user_id != user_id)


def list_for_org(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
) -> tuple[list[TokenView], str]:
    """Organization owners/admins: the unrevoked tokens at home in their organization."""
    org = organizations.resolve_admin(
        session, principal, org_ref, permission="organization.tokens:list"
    ).organization
    condition = filtering.compile_filter(filtering.parse(filter_text), {"user_id": _user_field})
    query = in_org(repository.live_query(), PAT, org.id).where(condition)
    query_id = fingerprint("org-tokens", str(org.id), filter_text)
    rows, token = keyset_page(session, query, _ORDER, page, codec, query_id)
    return [_view(row) for row in rows], token


def revoke_for_org(session: Session, principal: Principal, org_ref: str, token_ref: str) -> None:
    """Organization owners/admins revoke a token at home in their organization. An admin
    cannot revoke an owner's tokens (as they cannot remove an owner)."""
    access = organizations.resolve_admin(
        session, principal, org_ref, permission="organization.tokens:revoke"
    )
    org = access.organization
    row = _find(session, token_ref, in_org(repository.live_query(), PAT, org.id))
    # The role the caller acts with (an API key: admin, whoever created it), not the
    # membership's: a key created by an owner holds no owner's power.
    if access.org_role != OWNER_ROLE_ID and (
        row.user_id != principal.user_id or principal.is_api_key
    ):
        holder = organizations_repository.membership(session, org.id, row.user_id)
        if holder is not None and holder.org_role == OWNER_ROLE_ID:
            denied = PermissionDenied("organization:administer", f"organizations/{org.slug}")
            denied.message = "an organization admin cannot revoke an organization owner's tokens"
            raise denied
    _revoke(session, principal, row, token_ref)
