"""Invariants under real concurrency, end to end: threads racing HTTP requests, through
every dialect, against a running `workspaced serve` with two worker processes.

Rounds per race: WORKSPACED_RACE_ROUNDS (default 4). Each race is recorded (run / lost)
in the terminal summary.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from tests.concurrency.races import record
from tests.mail_support import Mailbox
from tests.support import Person, World, live_server
from workspaced.kit.db import Database
from workspaced.models import OrganizationMembership, WorkspaceMembership

ROUNDS = int(os.environ.get("WORKSPACED_RACE_ROUNDS", "4"))
RACERS = 6
ORG = "acme"


@pytest.fixture
def server(database_url: str, mailbox: Mailbox) -> Iterator[httpx.Client]:
    with (
        live_server(database_url, workers=2, smtp_url=mailbox.url) as base,
        httpx.Client(
            base_url=base, timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_connections=50)
        ) as client,
    ):
        yield client


def race(actions: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Start every request at the same instant."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        responses = list(pool.map(run, actions))
    for response in responses:
        assert response.status_code < 500, response.text
    return responses


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def create(client: httpx.Client, owner: Person, slug: str) -> None:
    response = client.post(
        f"/api/v1/organizations/{ORG}/workspaces",
        params={"workspace_id": slug},
        json={"title": slug},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text


def add(client: httpx.Client, actor: Person, slug: str, user: Person, role: str) -> None:
    response = client.post(
        f"/api/v1/organizations/{ORG}/workspaces/{slug}/users",
        json={"user": user.user_id, "role": role},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.text


def explicit(database: Database, slug: str, role: str | None = None) -> int:
    from workspaced.models import Workspace

    with database.read() as session:
        query = (
            select(func.count())
            .select_from(WorkspaceMembership)
            .join(
                Workspace,
                (Workspace.org_id == WorkspaceMembership.org_id)
                & (Workspace.id == WorkspaceMembership.workspace_id),
            )
            .where(Workspace.slug == slug, Workspace.delete_time.is_(None))
        )
        if role is not None:
            query = query.where(WorkspaceMembership.role_id == role)
        return int(session.scalar(query) or 0)


def remove_path(dialect: str, org_id: str, slug: str, user_id: str) -> str:
    return {
        "aip": f"/api/v1/organizations/{ORG}/workspaces/{slug}/users/{user_id}",
        "activeloop": f"/workspaces/{slug}/user/{user_id}",
        "members": f"/v1/orgs/{org_id}/workspaces/{slug}/members/{user_id}",
    }[dialect]


DIALECTS = ["aip", "activeloop", "members"]


def test_concurrent_owner_removals_leave_one_owner(
    server: httpx.Client, world: World, database: Database
) -> None:
    owners = [world.person(ORG) for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"rm-{round_}"
        create(server, owners[0], slug)
        for person in owners[1:]:
            add(server, owners[0], slug, person, "owner")
        responses = race(
            [
                lambda p=p, i=i, slug=slug: server.delete(
                    remove_path(DIALECTS[i % 3], p.org_id, slug, p.user_id), headers=p.headers
                )
                for i, p in enumerate(owners)
            ]
        )
        left = explicit(database, slug, "owner")
        refused = sum(1 for r in responses if r.status_code in (400, 409))
        record("http workspace owner removal", left != 1)
        assert left == 1 and refused == 1, statuses(responses)


def test_concurrent_owner_demotions_leave_an_owner(
    server: httpx.Client, world: World, database: Database
) -> None:
    owners = [world.person(ORG) for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"demote-{round_}"
        create(server, owners[0], slug)
        for person in owners[1:]:
            add(server, owners[0], slug, person, "owner")

        def demote(i: int, actor: Person, slug: str = slug) -> httpx.Response:
            target = owners[(i + 1) % RACERS]  # everyone demotes the next owner
            dialect = DIALECTS[i % 3]
            if dialect == "activeloop":
                return server.put(
                    f"/workspaces/{slug}/user",
                    json={"user": target.user_id, "access": "writer"},
                    headers=actor.headers,
                )
            path = remove_path(dialect, actor.org_id, slug, target.user_id)
            return server.patch(path, json={"role": "editor"}, headers=actor.headers)

        responses = race([lambda i=i, p=p: demote(i, p) for i, p in enumerate(owners)])
        left = explicit(database, slug, "owner")
        record("http workspace owner demotion", left < 1)
        assert left >= 1, statuses(responses)


def test_concurrent_org_owner_demotions_leave_an_owner(
    server: httpx.Client, world: World, database: Database
) -> None:
    for round_ in range(ROUNDS):
        org = f"org-{round_}"
        owners = [world.person(org, org_role="owner") for _ in range(RACERS)]
        responses = race(
            [
                lambda p=p, org=org: server.patch(
                    f"/api/v1/organizations/{org}/users/{p.user_id}",
                    json={"org_role": "member"},
                    headers=p.headers,
                )
                for p in owners
            ]
        )
        with database.read() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OrganizationMembership)
                .where(
                    OrganizationMembership.org_id == uuid.UUID(owners[0].org_id),
                    OrganizationMembership.org_role == "owner",
                )
            )
        record("http organization owner demotion", left != 1)
        assert left == 1, statuses(responses)


def test_concurrent_adds_of_one_user_give_one_membership(
    server: httpx.Client, world: World, database: Database
) -> None:
    owner = world.person(ORG)
    target = world.person(ORG, org_role="member")
    for round_ in range(ROUNDS):
        slug = f"add-{round_}"
        create(server, owner, slug)

        def add_once(i: int, slug: str = slug) -> httpx.Response:
            dialect = DIALECTS[i % 3]
            if dialect == "aip":
                return server.post(
                    f"/api/v1/organizations/{ORG}/workspaces/{slug}/users",
                    json={"user": target.user_id, "role": "viewer"},
                    headers=owner.headers,
                )
            if dialect == "activeloop":
                return server.post(
                    f"/workspaces/{slug}/user",
                    json={"user": target.user_id, "access": "viewer"},
                    headers=owner.headers,
                )
            return server.post(
                f"/v1/orgs/{owner.org_id}/workspaces/{slug}/members",
                json={"user_id": target.user_id},
                headers=owner.headers,
            )

        responses = race([lambda i=i: add_once(i) for i in range(RACERS)])
        ok = sum(1 for r in responses if r.status_code in (200, 201))
        members = explicit(database, slug)
        record("http one membership per user", members != 2 or ok != 1)
        assert members == 2 and ok == 1, statuses(responses)  # the owner and the target
        assert statuses(responses)[409] == RACERS - 1


def test_concurrent_patches_with_one_etag_give_one_success(
    server: httpx.Client, world: World
) -> None:
    owner = world.person(ORG)
    for round_ in range(ROUNDS):
        slug = f"etag-{round_}"
        create(server, owner, slug)
        path = f"/api/v1/organizations/{ORG}/workspaces/{slug}"
        etag = server.get(path, headers=owner.headers).headers["etag"]
        responses = race(
            [
                lambda i=i, path=path, etag=etag: server.patch(
                    path,
                    json={"title": f"title {i}"},
                    headers={**owner.headers, "If-Match": etag},
                )
                for i in range(RACERS)
            ]
        )
        counted = statuses(responses)
        record("http etag compare-and-set", counted != Counter({200: 1, 409: RACERS - 1}))
        assert counted == Counter({200: 1, 409: RACERS - 1})


def test_concurrent_creates_of_one_slug_give_one_workspace(
    server: httpx.Client, world: World, database: Database
) -> None:
    people = [world.person(ORG, org_role="member") for _ in range(RACERS)]
    for round_ in range(ROUNDS):
        slug = f"same-{round_}"

        def create_once(i: int, p: Person, slug: str = slug) -> httpx.Response:
            if i % 2:
                return server.post(
                    "/workspaces", json={"id": slug, "name": slug}, headers=p.headers
                )
            return server.post(
                f"/api/v1/organizations/{ORG}/workspaces",
                params={"workspace_id": slug},
                json={"title": slug},
                headers=p.headers,
            )

        responses = race([lambda i=i, p=p: create_once(i, p) for i, p in enumerate(people)])
        counted = statuses(responses)
        record("http unique live slug", counted != Counter({200: 1, 409: RACERS - 1}))
        assert counted == Counter({200: 1, 409: RACERS - 1})
        assert explicit(database, slug) == 1


def test_concurrent_accepts_of_one_invite_give_one_membership(
    server: httpx.Client, world: World, database: Database, mailbox: Mailbox
) -> None:
    owner = world.person(ORG)
    invitee = world.person(ORG, org_role="member")
    for round_ in range(ROUNDS):
        slug = f"invite-{round_}"
        create(server, owner, slug)
        invite = server.post(
            f"/api/v1/organizations/{ORG}/workspaces/{slug}/invites",
            json={"email": invitee.email, "role": "editor"},
            headers=owner.headers,
        )
        assert invite.status_code == 200, invite.text
        token = mailbox.invite_token(invitee.email, nth=round_ + 1)
        responses = race(
            [
                lambda token=token: server.post(
                    "/api/v1/invites:accept",
                    json={"invite_token": token},
                    headers=invitee.headers,
                )
                for _ in range(RACERS)
            ]
        )
        members = explicit(database, slug)
        ok = sum(1 for r in responses if r.status_code == 200)
        record("http invite accept", members != 2 or ok != 1)
        # The owner plus exactly one membership for the invitee; every other accept is refused.
        assert members == 2 and ok == 1, statuses(responses)
