"""Turning a bearer token into a Principal, and issuing tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, literal_column, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from workspaced.auth import token_format
from workspaced.authz.access import Principal
from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES
from workspaced.kit import clock
from workspaced.kit.errors import Unauthenticated
from workspaced.kit.prepared import PreparedSelect
from workspaced.kit.tenancy import AnySelect
from workspaced.models import ApiKey, OrganizationMembership, PersonalAccessToken, User

# last_used_time is a hint for humans; writing it on every request would turn every
# read into a write. Once a minute per token is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
S = TypeVar("S", bound=AnySelect)


def parse_authorization_header(value: str | None) -> str:
    """The token from an `Authorization: Bearer <token>` header, or Unauthenticated."""
    if not value:
        raise Unauthenticated("missing bearer token")
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    token = credentials.strip()
    if not (token_format.is_well_formed(token) or looks_like_jwt(token)):
        raise Unauthenticated("malformed token")
    return token


# Past this a bearer is refused before anything parses it: real JWTs are a few KiB.
JWT_MAX_LENGTH = 8192


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated base64url parts (a JWS compact serialization), within bounds."""
    return (
        len(token) <= JWT_MAX_LENGTH
        and token.count(".") == 2
        and _BASE64URL.issuperset(token.replace(".", ""))
    )


_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def token_in_force(query: S, now: Any) -> S:
    """`query`, which reads personal_access_tokens, joined to each token's user and to the
    user's membership of the token's home organization, and kept to tokens that work at
    `now`: neither revoked nor expired, and issued within that membership (a token issued
    before the user's current membership began belongs to an earlier one that ended: it
    never works again after a re-add). Every way of acting with a token checks this: the
    bearer lookup, and console sessions opened with a token."""
    return (
        query.join(User, User.id == PersonalAccessToken.user_id)
        .join(
            OrganizationMembership,
            (OrganizationMembership.org_id == PersonalAccessToken.org_id)
            & (OrganizationMembership.user_id == PersonalAccessToken.user_id),
        )
        .where(
            PersonalAccessToken.revoke_time.is_(None),
            PersonalAccessToken.create_time >= OrganizationMembership.create_time,
            or_(PersonalAccessToken.expire_time.is_(None), PersonalAccessToken.expire_time > now),
        )
    )


@lru_cache(maxsize=1)
def _token_lookup() -> PreparedSelect:
    # Built and compiled once (values are bound parameters): it runs on every request.
    now = bindparam("now", type_=PersonalAccessToken.expire_time.type)
    query = select(
        PersonalAccessToken.id,
        PersonalAccessToken.user_id,
        PersonalAccessToken.org_id,
        PersonalAccessToken.last_used_time,
        User.email,
    ).where(PersonalAccessToken.secret_sha256 == bindparam("digest"))
    return PreparedSelect(token_in_force(query, now))


@lru_cache(maxsize=1)
def _api_key_lookup() -> PreparedSelect:
    now = bindparam("now", type_=ApiKey.expire_time.type)
    query = (
        select(
            ApiKey.id,
            ApiKey.creator_id,
            ApiKey.org_id,
            ApiKey.last_used_time,
            ApiKey.permissions,
            User.email,
        )
        .join(User, User.id == ApiKey.creator_id)
        .join(
            OrganizationMembership,
            (OrganizationMembership.org_id == ApiKey.org_id)
            & (OrganizationMembership.user_id == ApiKey.creator_id),
        )
        .where(
            ApiKey.secret_sha256 == bindparam("digest"),
            ApiKey.revoke_time.is_(None),
            or_(ApiKey.expire_time.is_(None), ApiKey.expire_time > now),
            # Rule 5: a key works only while its creator is an owner or admin of the
            # organization, in the membership the key was created under.
            # Literal role names (no expanding IN): it keeps the PreparedSelect fast path.
            OrganizationMembership.org_role.in_(
                [literal_column(f"'{role}'") for role in sorted(ORGANIZATION_ADMIN_ROLES)]
            ),
            ApiKey.create_time >= OrganizationMembership.create_time,
        )
    )
    return PreparedSelect(query)


def authenticate(session: Session | Connection, token: str) -> tuple[Principal, datetime | None]:
    """The principal a well-formed `wsd_` or `wsk_` credential stands for, and its
    last_used_time.

    A personal access token works only while it is neither revoked nor expired and its
    user is still a member of the token's home organization; an API key while it is
    neither revoked nor expired and its creator is still an owner or admin there.
    """
    parameters = {"digest": token_format.digest(token), "now": clock.now()}
    connection = session.connection() if isinstance(session, Session) else session
    if token.startswith(token_format.API_KEY_PREFIX):
        found = _api_key_lookup().first(connection, parameters)
        if found is None:
            raise Unauthenticated("unknown, expired or revoked API key")
        key_id, creator_id, org_id, key_last_used, permissions, creator_email = found
        key_principal = Principal(
            user_id=creator_id,
            token_id=None,
            home_org_id=org_id,
            email=creator_email,
            api_key_id=key_id,
            key_permissions=frozenset(permissions),
        )
        return key_principal, key_last_used
    row = _token_lookup().first(connection, parameters)
    if row is None:
        raise Unauthenticated("unknown, expired or revoked token")
    token_id, user_id, org_id, last_used_time, email = row
    principal = Principal(user_id=user_id, token_id=token_id, home_org_id=org_id, email=email)
    return principal, last_used_time


def needs_last_used_update(last_used: datetime | None) -> bool:
    return last_used is None or clock.now() - last_used >= LAST_USED_RESOLUTION


def touch_last_used(session: Session, authenticated: Principal) -> None:
    """Record the use of the authenticated caller's token or API key (bookkeeping, not an
    operation); the condition makes concurrent requests write at most once a minute."""
    table: type[PersonalAccessToken] | type[ApiKey]
    if authenticated.api_key_id is not None:
        table, credential_id = ApiKey, authenticated.api_key_id
    elif authenticated.token_id is not None:
        table, credential_id = PersonalAccessToken, authenticated.token_id
    else:
        return
    now = clock.now()
    session.execute(
        update(table)
        .where(
            table.id == credential_id,
            or_(
                table.last_used_time.is_(None),
                table.last_used_time <= now - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_time=now)
    )


def issue_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    display_name: str,
    expire_time: datetime | None = None,
) -> tuple[PersonalAccessToken, str]:
    """Create a token; the secret is returned once and only its digest is stored."""
    secret = token_format.generate()
    row = PersonalAccessToken(
        id=uuid.uuid4(),
        org_id=org_id,
        user_id=user_id,
        display_name=display_name,
        secret_sha256=token_format.digest(secret),
        create_time=clock.now(),
        expire_time=expire_time,
    )
    session.add(row)
    session.flush()
    return row, secret
