"""SPEC §3's authority rules under real concurrency: threads racing HTTP requests against a
running `workspaced serve` with two worker processes, on the test database (SQLite, or
PostgreSQL with WORKSPACED_TEST_DATABASE_URL), as the review's races were run.

Rounds per race: WORKSPACED_RACE_ROUNDS (default 4).
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from tests.concurrency.races import record
from tests.mail_support import Mailbox
from tests.safety.test_http_races import ORG, RACERS, ROUNDS, add, create, race, server, statuses
from tests.support import Person, World
from workspaced.kit.db import Database
from workspaced.models import (
    AuditEvent,
    OrganizationMembership,
    Workspace,
    WorkspaceMembership,
)

__all__ = ["server"]  # the live-server fixture, shared with the other HTTP races

ORG_USERS = f"/api/v1/organizations/{ORG}/users"
WS = f"/api/v1/organizations/{ORG}/workspaces"


def remove_user(client: httpx.Client, actor: Person, user: Person) -> httpx.Response:
    return client.delete(f"{ORG_USERS}/{user.user_id}", headers=actor.headers)


def holds_anything(database: Database, user: Person) -> tuple[int, int]:
    """(organization memberships, workspace memberships) of `user` in the organization."""
    org_id, user_id = uuid.UUID(user.org_id), uuid.UUID(user.user_id)
    with database.read() as session:
        org = session.scalar(
            select(func.count())
            .select_from(OrganizationMembership)
            .where(OrganizationMembership.org_id == org_id)
            .where(OrganizationMembership.user_id == user_id)
        )
        workspaces = session.scalar(
            select(func.count())
            .select_from(WorkspaceMembership)
            .where(WorkspaceMembership.org_id == org_id)
            .where(WorkspaceMembership.user_id == user_id)
        )
    return int(org or 0), int(workspaces or 0)


def ownerless_live_workspaces(database: Database, org_id: str) -> list[str]:
    """Live workspaces of the organization without an owner who is still in it."""
    org = uuid.UUID(org_id)
    with database.read() as session:
        owned = (
            select(WorkspaceMembership.workspace_id)
            .join(
                OrganizationMembership,
                (OrganizationMembership.org_id == WorkspaceMembership.org_id)
                & (OrganizationMembership.user_id == WorkspaceMembership.user_id),
            )
            .where(WorkspaceMembership.org_id == org, WorkspaceMembership.role_id == "owner")
        )
        return list(
            session.scalars(
                select(Workspace.slug).where(
                    Workspace.org_id == org,
                    Workspace.delete_time.is_(None),
                    Workspace.id.not_in(owned),
                )
            )
        )


def test_tokens_issued_during_a_removal_never_survive_it(
    server: httpx.Client, world: World
) -> None:
    owner = world.person(ORG)
    survivors = issued = 0
    for _ in range(ROUNDS):
        member = world.person(ORG, org_role="member")
        responses = race(
            [
                lambda member=member: remove_user(server, owner, member),
                *[
                    lambda i=i, member=member: server.post(
                        "/api/v1/me/tokens",
                        json={"display_name": f"racer {i}"},
                        headers=member.headers,
                    )
                    for i in range(RACERS - 1)
                ],
            ]
        )
        assert responses[0].status_code == 200, responses[0].text
        tokens = [r.json()["token"] for r in responses[1:] if r.status_code == 200]
        issued += len(tokens)
        # Re-added afterwards: no credential from before the removal may work again.
        readd = server.post(ORG_USERS, json={"email": member.email}, headers=owner.headers)
        assert readd.status_code == 200, readd.text
        alive = [
            t
            for t in [member.token, *tokens]
            if server.get("/api/v1/me", headers={"Authorization": f"Bearer {t}"}).status_code != 401
        ]
        survivors += len(alive)
        record("removal revokes concurrent token issues", bool(alive))
    assert survivors == 0, f"{survivors} of {issued} tokens survived"


def test_removal_racing_creates_and_adds_leaves_all_or_nothing(
    server: httpx.Client, world: World, database: Database
) -> None:
    owner = world.person(ORG)
    for round_ in range(ROUNDS):
        member = world.person(ORG, org_role="member")
        targets = [f"target-{round_}-{i}" for i in range(2)]
        for slug in targets:
            create(server, owner, slug)
        creates = [
            lambda i=i, round_=round_, member=member: server.post(
                WS,
                params={"workspace_id": f"own-{round_}-{i}"},
                json={"title": "mine"},
                headers=member.headers,
            )
            for i in range(2)
        ]
        adds = [
            lambda slug=slug, member=member: server.post(
                f"{WS}/{slug}/users",
                json={"user": member.user_id, "role": "editor"},
                headers=owner.headers,
            )
            for slug in targets
        ]
        responses = race(
            [lambda member=member: remove_user(server, owner, member), *creates, *adds]
        )
        removal, others = responses[0], responses[1:]
        counted = statuses(responses)
        # No false conflict, no server error: each racer either happened before the removal
        # or is refused as a request of someone no longer there.
        assert set(counted) <= {200, 400, 401, 404}, counted
        assert all(r.status_code != 400 for r in others), [r.text for r in others]
        org, workspaces = holds_anything(database, member)
        if removal.status_code == 200:
            assert (org, workspaces) == (0, 0), counted
        else:  # refused: a workspace it created first has it as sole owner (rule 9)
            assert removal.status_code == 400, removal.text
            assert org == 1
        lost = bool(ownerless_live_workspaces(database, owner.org_id))
        record("removal vs creates and adds", lost)
        assert not lost


def test_an_acceptance_racing_its_senders_removal_is_decided_by_commit_order(
    server: httpx.Client, world: World, database: Database, mailbox: Mailbox
) -> None:
    org_owner = world.person(ORG)
    accepted_before = refused_after = 0
    for round_ in range(ROUNDS):
        sender = world.person(ORG, org_role="member")
        slug = f"deleg-{round_}"
        create(server, sender, slug)
        add(server, sender, slug, org_owner, "owner")  # so that the sender may be removed
        email = f"alias-{round_}@elsewhere.test"
        sent = server.post(
            f"{WS}/{slug}/invites", json={"email": email, "role": "owner"}, headers=sender.headers
        )
        assert sent.status_code == 200, sent.text
        token = mailbox.invite_token(email)
        accept, removal = race(
            [
                lambda token=token: server.post(
                    "/api/v1/invites:accept",
                    json={"invite_token": token, "display_name": "Alias"},
                ),
                lambda sender=sender: remove_user(server, org_owner, sender),
            ]
        )
        assert removal.status_code == 200, removal.text
        with database.read() as session:
            order = [
                action
                for action in session.scalars(
                    select(AuditEvent.action)
                    .where(AuditEvent.org_id == uuid.UUID(org_owner.org_id))
                    .where(AuditEvent.action.in_(["invite.accepted", "organization.user.removed"]))
                    .where(AuditEvent.time >= _created_time(database, sent.json()["invite_id"]))
                    .order_by(AuditEvent.time)
                )
            ]
        if accept.status_code == 200:
            accepted_before += 1
            lost = order != ["invite.accepted", "organization.user.removed"]
        else:
            refused_after += 1
            lost = accept.status_code != 400 or "invite.accepted" in order
        record("acceptance vs sender removal", lost)
        assert not lost, (accept.status_code, order)
    assert accepted_before + refused_after == ROUNDS


def _created_time(database: Database, invite_id: str) -> object:
    from workspaced.models import Invite

    with database.read() as session:
        return session.scalar(select(Invite.create_time).where(Invite.id == uuid.UUID(invite_id)))


def test_undelete_racing_the_removal_of_its_last_owner_keeps_an_owner(
    server: httpx.Client, world: World, database: Database
) -> None:
    org_owner = world.person(ORG)
    org_admin = world.person(ORG, org_role="admin")
    for round_ in range(ROUNDS):
        sole = world.person(ORG, org_role="member")
        slug = f"phoenix-{round_}"
        create(server, sole, slug)
        assert server.delete(f"{WS}/{slug}", headers=sole.headers).status_code == 200
        undelete, removal = race(
            [
                lambda slug=slug: server.post(f"{WS}/{slug}:undelete", headers=org_admin.headers),
                lambda sole=sole: remove_user(server, org_owner, sole),
            ]
        )
        assert undelete.status_code == 200, undelete.text
        # Removed first: the admin who undeletes becomes the owner. Undeleted first: the
        # sole owner is back and may not be removed.
        assert removal.status_code in (200, 400), removal.text
        lost = bool(ownerless_live_workspaces(database, org_owner.org_id))
        record("undelete vs last owner removal", lost)
        assert not lost, (undelete.text, removal.text)
