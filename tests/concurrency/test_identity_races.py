"""The identity issue's invariants under real concurrency, on both databases.

- Rule 5 with keys: an API key created while its creator is being removed or demoted
  never works once that change has committed (it either commits first and is revoked by
  the change, or finds the creator's authority gone).
- First sign-ins: several requests of one new identity at once create one user, bound
  once; several identities claiming one verified address link at most one of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import func, select

from tests import jwt_support
from tests.concurrency.races import race, record
from tests.support import World, principal_of
from workspaced.api_key import service as api_keys
from workspaced.auth import identities
from workspaced.auth import service as auth
from workspaced.auth.oidc import Claims
from workspaced.kit.db import Database
from workspaced.kit.errors import Unauthenticated
from workspaced.models import ApiKey, User, UserIdentity
from workspaced.organization import users as org_users

ROUNDS = 8
KEY_RACERS = 4


def test_keys_created_during_their_creators_removal_or_demotion_never_work(
    database: Database, world: World
) -> None:
    for round_ in range(ROUNDS):
        _key_round(database, world, f"keys-{round_}", remove=bool(round_ % 2))


def _key_round(database: Database, world: World, org: str, *, remove: bool) -> None:
    owner = world.person(org)
    admin = world.person(org, org_role="admin")
    by_owner, by_admin = principal_of(database, owner), principal_of(database, admin)
    secrets: list[str] = []

    def create() -> None:
        with database.write() as session:
            _, secret = api_keys.create(
                session, by_admin, org, display_name="k", permissions=["workspaces:get"]
            )
        secrets.append(secret)

    def cut() -> None:
        with database.write() as session:
            if remove:
                org_users.remove_user(session, by_owner, org, admin.user_id)
            else:
                org_users.update_user(session, by_owner, org, admin.user_id, org_role="member")

    outcome = race([create] * KEY_RACERS + [cut])
    working = 0
    for secret in secrets:
        try:
            with database.read() as session:
                auth.authenticate(session, secret)
            working += 1
        except Unauthenticated:
            pass
    with database.read() as session:  # and none is left unrevoked, reading as live
        live = session.scalar(
            select(func.count())
            .select_from(ApiKey)
            .where(ApiKey.creator_id == uuid.UUID(admin.user_id), ApiKey.revoke_time.is_(None))
        )
    record("API key outlives its creator's authority", bool(working or live))
    assert (working, live) == (0, 0), (outcome, len(secrets))


def test_concurrent_first_sign_ins_of_one_identity_create_one_user(
    database: Database, world: World
) -> None:
    for round_ in range(ROUNDS):
        _first_sign_in_round(database, f"first-{round_}-{uuid.uuid4().hex[:6]}@example.com")


def _first_sign_in_round(database: Database, email: str) -> None:
    claims = jwt_support.verifier().verify(jwt_support.token_for(email))
    seen: list[uuid.UUID] = []

    def sign_in() -> None:
        with database.write() as session:
            seen.append(identities.sign_in(session, claims).user_id)

    outcome = race([sign_in] * 6)
    with database.read() as session:
        users = session.scalar(
            select(func.count()).select_from(User).where(User.email_normalized == email)
        )
        bound = session.scalar(
            select(func.count())
            .select_from(UserIdentity)
            .where(UserIdentity.subject == claims.subject)
        )
    record("one user per identity", users != 1 or bound != 1 or len(set(seen)) != 1)
    assert (users, bound, len(set(seen)), outcome["ok"]) == (1, 1, 1, 6), outcome


def test_identities_racing_for_one_verified_address_link_one(
    database: Database, world: World
) -> None:
    for round_ in range(ROUNDS):
        _link_round(database, world, round_)


def _link_round(database: Database, world: World, round_: int) -> None:
    person = world.person(f"link-{round_}")
    rivals = [
        jwt_support.verifier().verify(
            jwt_support.token_for(person.email, subject=f"rival-{round_}-{i}")
        )
        for i in range(4)
    ]

    def sign_in(claims: Claims) -> Callable[[], None]:
        def action() -> None:
            with database.write() as session:
                identities.sign_in(session, claims)

        return action

    outcome = race([sign_in(c) for c in rivals])
    with database.read() as session:
        bound = session.scalar(
            select(func.count())
            .select_from(UserIdentity)
            .where(UserIdentity.user_id == uuid.UUID(person.user_id))
        )
    record("one identity per account", bound != 1)
    assert bound == 1 and outcome["ok"] == 1, outcome
