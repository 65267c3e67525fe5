"""Console sessions: opened with a personal access token, kept server-side.

The browser holds a random session id in a cookie; the table holds its SHA-256. A session
acts exactly as the token it was opened with, so every request re-checks what
`auth.service.authenticate` checks for that token (not revoked, not expired, its user
still a member of its home organization, in the membership the token was issued under):
revoking the token or removing the user ends the session on its next request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from workspaced.auth import service as auth
from workspaced.auth import token_format
from workspaced.authz.access import Principal
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument, Unauthenticated
from workspaced.models import ConsoleSession, PersonalAccessToken, User

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
    session_id = secrets.token_urlsafe(32)
    row = ConsoleSession(
        id_sha256=_digest(session_id),
        user_id=principal.user_id,
        token_id=principal.token_id,
        csrf_token=secrets.token_urlsafe(32),
        create_time=now,
        last_seen_time=now,
        expire_time=now + ABSOLUTE_TIMEOUT,
    )
    session.add(row)
    session.flush()
    return OpenedSession(session_id, SignedIn(principal, row.csrf_token, row.id_sha256, now))


def resolve(session: Session, session_id: str | None) -> SignedIn | None:
    """The signed-in caller of a session cookie, or None (no such session, expired, or its
    token no longer authenticates)."""
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
        return None
    digest, csrf_token, last_seen, token_id, user_id, org_id, email = row
    principal = Principal(user_id=user_id, token_id=token_id, home_org_id=org_id, email=email)
    return SignedIn(principal, csrf_token, digest, last_seen)


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
