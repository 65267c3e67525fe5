"""Users of the identity provider, keyed by the JWT's (`iss`, `sub`) (SPEC §3).

The first accepted token of an identity creates its user just in time, from `email`,
`name` and `picture`, or links it to an existing account, but only under rule 1: the
token's `email_verified` is true and that account is bound to no other identity. A token
whose email is not verified never links and never claims an address: its user is
created with no email workspaced would act on (invitations, adding by email, linking),
so an identity provider that lets its users type any address cannot hand out accounts.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.auth.oidc import Claims
from workspaced.authz.access import Principal
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument, Unauthenticated
from workspaced.kit.prepared import PreparedSelect
from workspaced.models import OrganizationMembership, User, UserIdentity
from workspaced.user import service as users

OM = OrganizationMembership


@lru_cache(maxsize=1)
def _identity_lookup() -> PreparedSelect:
    # The organization the user joined first: where dialects whose paths name no
    # organization (activeloop) act for a JWT.
    first_org = (
        select(OM.org_id)
        .where(OM.user_id == User.id)
        .order_by(OM.create_time, OM.org_id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(User.id, User.email, User.email_verified, first_org)
        .join(UserIdentity, UserIdentity.user_id == User.id)
        .where(
            UserIdentity.issuer == bindparam("issuer"),
            UserIdentity.subject == bindparam("subject"),
        )
    )
    return PreparedSelect(query)


def find(connection: Connection, claims: Claims) -> Principal | None:
    """The principal of a known identity; None the first time it signs in."""
    row = _identity_lookup().first(connection, {"issuer": claims.issuer, "subject": claims.subject})
    if row is None:
        return None
    user_id, email, verified, home = row
    return _principal(user_id, email, verified, home)


def _principal(user_id: uuid.UUID, email: str, verified: bool, home: uuid.UUID | None) -> Principal:
    # Only an address someone proved is one workspaced matches invitations against.
    return Principal(
        user_id=user_id,
        token_id=None,
        home_org_id=home,
        email=email if verified else "",
        every_org=True,
    )


def sign_in(session: Session, claims: Claims) -> Principal:
    """The principal of the identity, creating or linking its user the first time. Two
    first sign-ins at once: the identity's primary key lets one insert win, and the
    other reads what it wrote."""
    for _ in range(2):
        try:
            with session.begin_nested():
                return _sign_in(session, claims)
        except IntegrityError:
            continue  # a concurrent first sign-in of this identity or address committed
    found = find(session.connection(), claims)
    if found is None:
        raise Unauthenticated("the identity could not be signed in; retry")
    return found


def _sign_in(session: Session, claims: Claims) -> Principal:
    found = find(session.connection(), claims)
    if found is not None:
        return found
    user = None
    if claims.email is not None and claims.email_verified:
        user = users.find_by_email(session, claims.email)
        if user is not None:
            bound = session.execute(
                select(UserIdentity.issuer, UserIdentity.subject).where(
                    UserIdentity.user_id == user.id
                )
            ).one_or_none()
            if bound is not None and tuple(bound) == (claims.issuer, claims.subject):
                # A concurrent first sign-in of this same identity committed between the
                # lookup above and this one: it is ours.
                found = find(session.connection(), claims)
                assert found is not None
                return found
            if bound is not None:
                # Rule 1: never to an account already bound to another identity.
                raise Unauthenticated(
                    "this email belongs to an account that signs in with another identity"
                )
            user.email_verified = True  # the provider asserted it
    if user is None:
        user = _new_user(session, claims)
    session.add(
        UserIdentity(
            issuer=claims.issuer, subject=claims.subject, user_id=user.id, create_time=clock.now()
        )
    )
    session.flush()
    found = find(session.connection(), claims)
    assert found is not None
    return found


def _new_user(session: Session, claims: Claims) -> User:
    name = claims.name
    email = _valid_email(claims.email)
    if email is not None and claims.email_verified:
        user = users.create(session, email, name, verified=True)
    else:
        # No address to act on: a key no real address can equal (no '@'), per identity.
        digest = hashlib.sha256(f"{claims.issuer}\n{claims.subject}".encode()).hexdigest()
        user = User(
            id=uuid.uuid4(),
            email="",
            email_normalized=f"oidc:{digest}",
            username=users.free_username(session, name or claims.subject),
            display_name=name or claims.subject[:200],
            create_time=clock.now(),
            email_verified=False,
        )
        session.add(user)
    if claims.picture is not None and claims.picture.startswith("https://"):
        user.avatar_url = claims.picture
    session.flush()
    return user


def _valid_email(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return users.validate_email(value)
    except InvalidArgument:  # an unusable claim counts as no email
        return None
