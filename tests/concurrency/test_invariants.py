"""Invariants under real concurrency: threads racing through the domain services against a
real database (SQLite file or PostgreSQL), each in its own transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tests.concurrency.races import race, record
from tests.support import Person, World
from workspaced.authz.access import Principal
from workspaced.kit.db import Database
from workspaced.membership import service as memberships
from workspaced.models import OrganizationMembership, WorkspaceMembership
from workspaced.organization.bootstrap import bootstrap
from workspaced.workspace import service as workspaces

ROUNDS = 10
RACERS = 6


def principal(person: Person) -> Principal:
    return Principal(uuid.UUID(person.user_id), None, uuid.UUID(person.org_id), person.email)


def new_workspace(database: Database, owner: Person, slug: str) -> None:
    with database.write() as session:
        workspaces.create(session, principal(owner), owner.org, title=slug, slug=slug)


def add(database: Database, actor: Person, slug: str, user: Person, role: str) -> None:
    with database.write() as session:
        memberships.add(
            session, principal(actor), actor.org, slug, user_ref=user.user_id, role=role
        )


def owners_of(database: Database, slug: str, actor: Person) -> int:
    with database.read() as session:
        ctx = workspaces.resolve(session, principal(actor), actor.org, slug)
        return (
            session.scalar(
                select(func.count())
                .select_from(WorkspaceMembership)
                .where(
                    WorkspaceMembership.workspace_id == ctx.workspace.id,
                    WorkspaceMembership.role_id == "owner",
                )
            )
            or 0
        )


def test_concurrent_owner_removals_never_leave_zero_owners(
    database: Database, world: World
) -> None:
    admin = world.person("acme")  # organization owner, sees every workspace
    owners = [world.person("acme") for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"rm-{round_}"
        new_workspace(database, owners[0], slug)
        for person in owners[1:]:
            add(database, owners[0], slug, person, "owner")

        def remove_self(person: Person, slug: str = slug):  # type: ignore[no-untyped-def]
            def action() -> None:
                with database.write() as session:
                    memberships.remove(
                        session, principal(person), "acme", slug, user_ref=person.user_id
                    )

            return action

        outcome = race([remove_self(p) for p in owners])
        left = owners_of(database, slug, admin)
        record("workspace owner removal", left != 1)
        assert left == 1, outcome
        assert outcome == {"ok": RACERS - 1, "FailedPrecondition": 1}


def test_concurrent_owner_demotions_never_leave_zero_owners(
    database: Database, world: World
) -> None:
    admin = world.person("acme")
    owners = [world.person("acme") for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"demote-{round_}"
        new_workspace(database, owners[0], slug)
        for person in owners[1:]:
            add(database, owners[0], slug, person, "owner")

        def demote(actor: Person, target: Person, slug: str = slug):  # type: ignore[no-untyped-def]
            def action() -> None:
                with database.write() as session:
                    memberships.change_role(
                        session,
                        principal(actor),
                        "acme",
                        slug,
                        user_ref=target.user_id,
                        role="viewer",
                    )

            return action

        # Each owner demotes the next one: any order of commits must keep one owner.
        outcome = race([demote(owners[i], owners[(i + 1) % RACERS]) for i in range(RACERS)])
        left = owners_of(database, slug, admin)
        record("workspace owner demotion", left < 1)
        assert left >= 1, outcome


def test_concurrent_adds_of_one_user_give_one_membership(database: Database, world: World) -> None:
    owner = world.person("acme")
    target = world.person("acme")
    for round_ in range(ROUNDS):
        slug = f"add-{round_}"
        new_workspace(database, owner, slug)
        outcome = race(
            [lambda slug=slug: add(database, owner, slug, target, "viewer") for _ in range(RACERS)]
        )
        with database.read() as session:
            ctx = workspaces.resolve(session, principal(owner), "acme", slug)
            rows = (
                session.scalar(
                    select(func.count())
                    .select_from(WorkspaceMembership)
                    .where(
                        WorkspaceMembership.workspace_id == ctx.workspace.id,
                        WorkspaceMembership.user_id == uuid.UUID(target.user_id),
                    )
                )
                or 0
            )
            counter = ctx.workspace.member_count
        record("one membership per user", rows != 1)
        assert rows == 1
        assert counter == 2  # owner + target: the maintained count never drifts
        assert outcome == {"ok": 1, "AlreadyExists": RACERS - 1}


def test_concurrent_creates_of_one_slug_give_one_workspace(
    database: Database, world: World
) -> None:
    people = [world.person("acme") for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"same-{round_}"
        outcome = race([lambda p=p, slug=slug: new_workspace(database, p, slug) for p in people])
        record("unique live slug", outcome["ok"] != 1)
        assert outcome == {"ok": 1, "AlreadyExists": RACERS - 1}


def test_concurrent_patches_with_one_etag_give_one_success(
    database: Database, world: World
) -> None:
    owner = world.person("acme")
    for round_ in range(ROUNDS):
        slug = f"etag-{round_}"
        new_workspace(database, owner, slug)
        with database.read() as session:
            etag = workspaces.get(session, principal(owner), "acme", slug).etag

        def patch(i: int, slug: str = slug, etag: str = etag):  # type: ignore[no-untyped-def]
            def action() -> None:
                with database.write() as session:
                    workspaces.update(
                        session, principal(owner), "acme", slug, {"title": f"t{i}"}, etag=etag
                    )

            return action

        outcome = race([patch(i) for i in range(RACERS)])
        record("etag compare-and-swap", outcome["ok"] != 1)
        assert outcome == {"ok": 1, "Aborted": RACERS - 1}


def test_concurrent_org_owner_demotions_keep_one_owner(database: Database, world: World) -> None:
    for round_ in range(ROUNDS):
        org = f"org-{round_}"
        owners = [world.person(org, org_role="owner") for _ in range(RACERS)]

        def demote(person: Person, org: str = org):  # type: ignore[no-untyped-def]
            def action() -> None:
                with database.write() as session:
                    bootstrap(
                        session, org_slug=org, email=person.email, name=None, org_role="member"
                    )

            return action

        outcome = race([demote(p) for p in owners])
        with database.read() as session:
            left = (
                session.scalar(
                    select(func.count())
                    .select_from(OrganizationMembership)
                    .where(
                        OrganizationMembership.org_id == uuid.UUID(owners[0].org_id),
                        OrganizationMembership.org_role == "owner",
                    )
                )
                or 0
            )
        record("organization owner", left != 1)
        assert left == 1, outcome


def test_concurrent_removals_of_organization_owners_keep_one(
    database: Database, world: World
) -> None:
    from workspaced.organization import users as org_users

    for round_ in range(ROUNDS):
        org = f"rmorg-{round_}"
        owners = [world.person(org, org_role="owner") for _ in range(RACERS)]

        def remove(actor: Person, target: Person, org: str = org):  # type: ignore[no-untyped-def]
            def action() -> None:
                with database.write() as session:
                    org_users.remove_user(session, principal(actor), org, target.user_id)

            return action

        # Each owner removes the next: whatever commits first, one owner must remain.
        outcome = race([remove(owners[i], owners[(i + 1) % RACERS]) for i in range(RACERS)])
        with database.read() as session:
            left = (
                session.scalar(
                    select(func.count())
                    .select_from(OrganizationMembership)
                    .where(
                        OrganizationMembership.org_id == uuid.UUID(owners[0].org_id),
                        OrganizationMembership.org_role == "owner",
                    )
                )
                or 0
            )
        record("organization owner removal", left < 1)
        assert left >= 1, outcome
