"""Console sessions: opened with a personal access token or through the identity
provider, kept server-side.

The browser holds a random session id in a cookie; the table holds its SHA-256. A session
opened with a token acts exactly as that token, so every request re-checks what
`auth.service.authenticate` checks for it (not revoked, not expired, its user still a
member of its home organization, in the membership the token was issued under): revoking
the token or removing the user ends the session on its next request.

A session opened through the identity provider acts in one organization, chosen at
sign-in or by switching (SPEC §3 rule 6: a credential stays where it was issued, and the
console's session is one). Every request re-checks that the identity that opened it is
still its user's and that the user is still a member of that organization, in the
membership the session was opened under: removing the user ends it, and a re-add does not
revive it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from workspaced.auth import service as auth
from workspaced.auth import token_format
from workspaced.authz.access import Principal
from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES
from workspaced.kit import clock
from workspaced.kit.errors import FailedPrecondition, InvalidArgument, NotFound, Unauthenticated
from workspaced.models import (
    ConsoleSession,
    Organization,
    OrganizationMembership,
    PersonalAccessToken,
    User,
    UserIdentity,
)

OM = OrganizationMembership

IDLE_TIMEOUT = timedelta(hours=12)
ABSOLUTE_TIMEOUT = timedelta(days=7)
# last_seen_time only needs to be precise enough for the idle timeout.
SEEN_RESOLUTION = timedelta(minutes=1)
_SESSION_ID_LENGTH = 43  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    csrf_token: str
    session_digest: bytes
    last_seen_time: datetime
    # (iss, sub) of a session opened through the identity provider; None for a token's.
    identity: tuple[str, str] | None = None
    # The organization role the session acts with, read with the session on each request
    # (empty where not read): it only decides which links the pages offer; every action
    # is still authorized by the domain.
    org_role: str = ""

    @property
    def is_org_admin(self) -> bool:
        return self.org_role in ORGANIZATION_ADMIN_ROLES

    @property
    def can_switch(self) -> bool:
        """An identity-provider session may move to another of its user's organizations;
        a token's session stays in the token's."""
        return self.identity is not None


@dataclass(frozen=True)
class OpenedSession:
    session_id: str  # for the cookie, never stored
    signed_in: SignedIn


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("ascii")).digest()


def open_session(session: Session, token: str) -> OpenedSession:
    """A new session for a personal access token; API keys are machines' credentials and
    open none."""
    token = token.strip()
    if token.startswith(token_format.API_KEY_PREFIX):
        raise InvalidArgument(
            "token",
            "this is an organization API key (wsk_…): API keys are for services, "
            "sign in with a personal access token (wsd_…)",
        )
    if not token_format.is_well_formed(token) or not token.startswith("wsd_"):
        raise InvalidArgument(
            "token", "is not a personal access token (wsd_ followed by 40 characters)"
        )
    try:
        principal, _ = auth.authenticate(session, token)
    except Unauthenticated:
        raise InvalidArgument("token", "is unknown, expired or revoked") from None
    assert principal.token_id is not None
    now = clock.now()
    # The token's ended sessions go now (by the token's index), so rows do not pile up.
    session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.token_id == principal.token_id,
            or_(
                ConsoleSession.expire_time <= now,
                ConsoleSession.last_seen_time <= now - IDLE_TIMEOUT,
            ),
        )
    )
    return _insert(session, principal, now)


def _ended(now: datetime) -> ColumnElement[bool]:
    return or_(
        ConsoleSession.expire_time <= now,
        ConsoleSession.last_seen_time <= now - IDLE_TIMEOUT,
    )


def open_identity_session(
    session: Session, principal: Principal, identity: tuple[str, str], org_ref: str | None
) -> OpenedSession:
    """A new session for a user the identity provider signed in (`principal`, from
    `auth.identities.sign_in`), acting in the organization `org_ref` names when the user
    is a member there, else in the one they joined first. A user of no organization gets
    no session: there is nothing the console could show them."""
    memberships = session.execute(
        select(Organization.id, Organization.slug)
        .join(OM, OM.org_id == Organization.id)
        .where(OM.user_id == principal.user_id)
        .order_by(OM.create_time, OM.org_id)
    ).all()
    if not memberships:
        raise FailedPrecondition(
            "you are not a member of any organization yet: ask an owner or admin to add or "
            "invite you"
        )
    chosen = next(
        (org_id for org_id, slug in memberships if org_ref in (slug, str(org_id))),
        memberships[0][0],
    )
    now = clock.now()
    # The user's ended sessions go now (by the user's index), so rows do not pile up.
    session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == principal.user_id,
            _ended(now),
        )
    )
    return _insert(session, _acting_in(principal, chosen), now, identity)


def switch(session: Session, signed_in: SignedIn, org_ref: str) -> OpenedSession:
    """Move an identity-provider session to another organization of its user: a new
    session (a new id) acting there, and the old one ends. Another organization, one the
    user is not in, or a token's session: NotFound, as for an organization that does not
    exist."""
    principal = signed_in.principal
    not_found = NotFound("organization", org_ref)
    if signed_in.identity is None:
        raise not_found
    as_id = _uuid_or_none(org_ref)
    named = Organization.slug == org_ref if as_id is None else Organization.id == as_id
    org_id = session.scalar(
        select(Organization.id)
        .join(OM, OM.org_id == Organization.id)
        .where(OM.user_id == principal.user_id, named)
    )
    if org_id is None:
        raise not_found
    session.execute(
        delete(ConsoleSession).where(ConsoleSession.id_sha256 == signed_in.session_digest)
    )
    return _insert(session, _acting_in(principal, org_id), clock.now(), signed_in.identity)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _acting_in(principal: Principal, org_id: uuid.UUID) -> Principal:
    """An identity-provider user's principal in the one organization its session acts in."""
    return Principal(
        user_id=principal.user_id, token_id=None, home_org_id=org_id, email=principal.email
    )


def _insert(
    session: Session,
    principal: Principal,
    now: datetime,
    identity: tuple[str, str] | None = None,
) -> OpenedSession:
    """A new session row: a token's (the principal's `token_id`), or the identity's
    `(iss, sub)` acting in the principal's home organization."""
    session_id = secrets.token_urlsafe(32)
    row = ConsoleSession(
        id_sha256=_digest(session_id),
        user_id=principal.user_id,
        token_id=principal.token_id,
        org_id=principal.home_org_id if identity else None,
        identity_issuer=identity[0] if identity else None,
        identity_subject=identity[1] if identity else None,
        csrf_token=secrets.token_urlsafe(32),
        create_time=now,
        last_seen_time=now,
        expire_time=now + ABSOLUTE_TIMEOUT,
    )
    session.add(row)
    session.flush()
    return OpenedSession(
        session_id, SignedIn(principal, row.csrf_token, row.id_sha256, now, identity)
    )


def resolve(
    session: Session, session_id: str | None, issuers: frozenset[str] = frozenset()
) -> SignedIn | None:
    """The signed-in caller of a session cookie, or None (no such session, expired, its
    token no longer authenticates, or, for an identity-provider session, its identity or
    its user's membership is gone or its issuer, not among `issuers`, is no longer
    trusted)."""
    if not session_id or len(session_id) != _SESSION_ID_LENGTH or not session_id.isascii():
        return None
    now = clock.now()
    query = (
        select(
            ConsoleSession.id_sha256,
            ConsoleSession.csrf_token,
            ConsoleSession.last_seen_time,
            PersonalAccessToken.id,
            PersonalAccessToken.user_id,
            PersonalAccessToken.org_id,
            User.email,
            OrganizationMembership.org_role,
        )
        .join(PersonalAccessToken, PersonalAccessToken.id == ConsoleSession.token_id)
        .where(
            ConsoleSession.id_sha256 == _digest(session_id),
            ConsoleSession.expire_time > now,
            ConsoleSession.last_seen_time > now - IDLE_TIMEOUT,
        )
    )
    # A session acts as its token: it works exactly while the token would.
    row = session.execute(auth.token_in_force(query, now)).first()
    if row is None:
        return _resolve_identity(session.connection(), _digest(session_id), issuers, now)
    digest, csrf_token, last_seen, token_id, user_id, org_id, email, org_role = row
    principal = Principal(user_id=user_id, token_id=token_id, home_org_id=org_id, email=email)
    return SignedIn(principal, csrf_token, digest, last_seen, org_role=org_role)


def _resolve_identity(
    connection: Connection, digest: bytes, issuers: frozenset[str], now: datetime
) -> SignedIn | None:
    query = (
        select(
            ConsoleSession.csrf_token,
            ConsoleSession.last_seen_time,
            ConsoleSession.user_id,
            ConsoleSession.org_id,
            ConsoleSession.identity_issuer,
            ConsoleSession.identity_subject,
            User.email,
            User.email_verified,
            OM.org_role,
        )
        # The identity that opened the session is still this user's...
        .join(
            UserIdentity,
            (UserIdentity.issuer == ConsoleSession.identity_issuer)
            & (UserIdentity.subject == ConsoleSession.identity_subject)
            & (UserIdentity.user_id == ConsoleSession.user_id),
        )
        .join(User, User.id == ConsoleSession.user_id)
        # ...and the user is still a member of the session's organization, in the
        # membership the session was opened under (a removal ends it; a re-add does not
        # bring it back).
        .join(OM, (OM.org_id == ConsoleSession.org_id) & (OM.user_id == ConsoleSession.user_id))
        .where(
            ConsoleSession.id_sha256 == digest,
            ConsoleSession.token_id.is_(None),
            ConsoleSession.expire_time > now,
            ConsoleSession.last_seen_time > now - IDLE_TIMEOUT,
            ConsoleSession.create_time >= OM.create_time,
        )
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    csrf_token, last_seen, user_id, org_id, issuer, subject, email, verified, org_role = row
    if issuer not in issuers or subject is None:
        return None  # the operator no longer trusts that provider
    # As for the provider's JWTs: only an address the provider verified is acted on.
    principal = Principal(
        user_id=user_id, token_id=None, home_org_id=org_id, email=email if verified else ""
    )
    return SignedIn(principal, csrf_token, digest, last_seen, (issuer, subject), org_role)


def needs_touch(signed_in: SignedIn) -> bool:
    return clock.now() - signed_in.last_seen_time >= SEEN_RESOLUTION


def touch(session: Session, signed_in: SignedIn) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id_sha256 == signed_in.session_digest)
        .values(last_seen_time=clock.now())
    )


def close(session: Session, session_id: str | None) -> None:
    """Sign out: the row goes, so the cookie opens nothing even if a copy survives."""
    if session_id and session_id.isascii():
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.id_sha256 == _digest(session_id))
        )


def user_of(session: Session, user_id: uuid.UUID) -> User:
    return session.scalars(select(User).where(User.id == user_id)).one()
