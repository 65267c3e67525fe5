"""Users: found by email (case-insensitive), created with a unique username."""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument
from workspaced.models import User

EMAIL_MAX = 320
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email(email: str, field: str = "email") -> str:
    email = email.strip()
    if len(email) > EMAIL_MAX or not _EMAIL_RE.match(email):
        raise InvalidArgument(field, f"{email!r} is not an email address")
    return email


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email_normalized == email.lower())).one_or_none()


def free_username(session: Session, seed: str) -> str:
    """A username from `seed` (an email's local part, a name) no one has yet."""
    base = re.sub(r"[^a-z0-9._-]", "", seed.lower().replace(" ", "."))[:40] or "user"
    candidate = base
    while session.scalar(select(User.id).where(User.username == candidate)) is not None:
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


def create(
    session: Session, email: str, display_name: str | None = None, *, verified: bool = False
) -> User:
    """A new account. `verified` only where its owner proved control of `email` (rule 1);
    accounts admins create by email are unverified placeholders until claimed."""
    email = validate_email(email)
    user = User(
        id=uuid.uuid4(),
        email=email,
        email_normalized=email.lower(),
        username=free_username(session, email.split("@", 1)[0]),
        display_name=display_name or email.split("@", 1)[0],
        create_time=clock.now(),
        email_verified=verified,
    )
    session.add(user)
    session.flush()
    return user


def vouched_for_by_operator(session: Session, email: str, name: str | None = None) -> User:
    """The account of `email`, created if unknown, with its address verified: the operator
    vouches for it (rule 1), as `workspaced bootstrap` and `workspaced orgs create` do."""
    user = find_by_email(session, validate_email(email)) or create(session, email, name)
    user.email_verified = True
    return user
