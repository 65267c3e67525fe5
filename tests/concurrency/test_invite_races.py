"""Accepting an invite under real concurrency: threads racing through the domain services
against a real database (SQLite file or PostgreSQL), each in its own transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tests.concurrency.races import race, record
from tests.mail_support import PUBLIC_URL, invite_token_in_outbox
from tests.support import Person, World
from workspaced.authz.access import Principal
from workspaced.invitation import acceptance
from workspaced.invitation import service as invitations
from workspaced.kit.db import Database
from workspaced.models import Invite, User, Workspace, WorkspaceMembership
from workspaced.workspace import service as workspaces

ROUNDS = 5
RACERS = 6


def principal(person: Person) -> Principal:
    return Principal(uuid.UUID(person.user_id), None, uuid.UUID(person.org_id), person.email)


def new_invite(database: Database, owner: Person, slug: str, email: str) -> tuple[str, str]:
    """A new workspace `slug` with one pending invite: (invite token, invite id)."""
    with database.write() as session:
        workspaces.create(session, principal(owner), owner.org, title=slug, slug=slug)
        view = invitations.create(
            session,
            principal(owner),
            owner.org,
            slug,
            email=email,
            role="viewer",
            public_url=PUBLIC_URL,
        )
        return invite_token_in_outbox(session, email), str(view.invite_id)


def memberships(database: Database, slug: str) -> tuple[int, int]:
    """Explicit member rows of the workspace and its maintained member_count."""
    with database.read() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).one()
        rows = session.scalar(
            select(func.count())
            .select_from(WorkspaceMembership)
            .where(WorkspaceMembership.workspace_id == workspace.id)
        )
        return int(rows or 0), workspace.member_count


def test_concurrent_accepts_of_one_invite_give_one_membership(
    database: Database, world: World
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    for round_ in range(ROUNDS):
        slug = f"accept-{round_}"
        token, _ = new_invite(database, owner, slug, invitee.email)

        def accept(token: str = token) -> None:
            with database.write() as session:
                acceptance.accept(session, principal(invitee), token)

        outcome = race([accept] * RACERS)
        rows, count = memberships(database, slug)
        record("one membership per invite", rows != 2)
        assert (rows, count) == (2, 2), outcome  # the owner and the invitee, once
        assert outcome == {"ok": 1, "AlreadyExists": RACERS - 1}


def test_concurrent_anonymous_accepts_create_one_user(database: Database, world: World) -> None:
    owner = world.person("acme")
    for round_ in range(ROUNDS):
        slug = f"anon-{round_}"
        email = f"new-{round_}-{uuid.uuid4().hex[:6]}@example.com"
        token, _ = new_invite(database, owner, slug, email)

        def accept(token: str = token) -> None:
            with database.write() as session:
                acceptance.accept(session, None, token, display_name="New")

        outcome = race([accept] * RACERS)
        with database.read() as session:
            users = session.scalar(
                select(func.count()).select_from(User).where(User.email_normalized == email)
            )
        rows, count = memberships(database, slug)
        record("one account per invite", users != 1 or rows != 2)
        assert (users, rows, count) == (1, 2, 2), outcome
        assert outcome["ok"] == 1 and sum(outcome.values()) == RACERS
        # The losers are told to sign in (the account exists) or that the invite is used.
        assert set(outcome) <= {"ok", "Unauthenticated", "FailedPrecondition"}


def test_accept_racing_revoke_ends_in_one_consistent_state(
    database: Database, world: World
) -> None:
    owner = world.person("acme")
    invitee = world.person("acme")
    for round_ in range(ROUNDS):
        slug = f"revoke-{round_}"
        token, invite_id = new_invite(database, owner, slug, invitee.email)

        def accept(token: str = token) -> None:
            with database.write() as session:
                acceptance.accept(session, principal(invitee), token)

        def revoke(slug: str = slug, invite_id: str = invite_id) -> None:
            with database.write() as session:
                invitations.revoke(session, principal(owner), owner.org, slug, invite_id)

        outcome = race([accept, revoke])
        rows, count = memberships(database, slug)
        with database.read() as session:
            state = session.scalar(select(Invite.state).where(Invite.id == uuid.UUID(invite_id)))
        consistent = (state, rows) in {("ACCEPTED", 2), ("REVOKED", 1)} and rows == count
        record("accept versus revoke", not consistent)
        assert consistent, (outcome, state, rows, count)
        assert outcome["ok"] == 1 and outcome["FailedPrecondition"] == 1
