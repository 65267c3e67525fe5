"""The event feed (SPEC §7): every change writes its event in its own transaction, in
commit order; a refused change writes none; the feed pages by cursor and is only for
organization owners/admins and keys holding `events:list`."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Person, World, issue_api_key, principal_of
from workspaced.kit.db import Database
from workspaced.workspace import service as workspaces

ORG = "/api/v1/organizations/acme"
FEED = f"{ORG}/events"
WS = f"{ORG}/workspaces"


def feed(client: TestClient, who: Person, after: str = "", page_size: int = 100) -> dict[str, Any]:
    response = client.get(
        FEED, params={"after": after, "page_size": page_size}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def types_after(client: TestClient, who: Person, after: str) -> tuple[list[str], str]:
    body = feed(client, who, after)
    return [e["type"] for e in body["events"]], body["next_cursor"]


def test_each_change_yields_exactly_its_event_in_order(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")
    _, start = types_after(client, owner, "")
    steps: list[tuple[str, Any]] = [
        (
            "workspace.created",
            lambda: client.post(
                WS, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers
            ),
        ),
        (
            "workspace.member.added",
            lambda: client.post(
                f"{WS}/ws/users",
                json={"user": colleague.user_id, "role": "viewer"},
                headers=owner.headers,
            ),
        ),
        (
            "workspace.member.updated",
            lambda: client.patch(
                f"{WS}/ws/users/{colleague.user_id}", json={"role": "editor"}, headers=owner.headers
            ),
        ),
        (
            "workspace.updated",
            lambda: client.patch(f"{WS}/ws", json={"title": "W2"}, headers=owner.headers),
        ),
        (
            "preferences.updated",
            lambda: client.patch(
                f"{WS}/ws/preferences", json={"support_team_access": True}, headers=owner.headers
            ),
        ),
        (
            "invite.created",
            lambda: client.post(
                f"{WS}/ws/invites",
                json={"email": "new@example.com", "role": "viewer"},
                headers=owner.headers,
            ),
        ),
        (
            "workspace.member.removed",
            lambda: client.delete(f"{WS}/ws/users/{colleague.user_id}", headers=owner.headers),
        ),
        (
            "organization.member.updated",
            lambda: client.patch(
                f"{ORG}/users/{colleague.user_id}",
                json={"org_role": "admin"},
                headers=owner.headers,
            ),
        ),
        (
            "organization.updated",
            lambda: client.patch(ORG, json={"display_name": "Acme Corp"}, headers=owner.headers),
        ),
        ("workspace.deleted", lambda: client.delete(f"{WS}/ws", headers=owner.headers)),
    ]
    cursor = start
    for expected, step in steps:
        response = step()
        assert response.status_code == 200, (expected, response.text)
        got, cursor = types_after(client, owner, cursor)
        assert got == [expected], (expected, got)
    everything = feed(client, owner, start)["events"]
    assert [e["type"] for e in everything] == [t for t, _ in steps]
    first = everything[0]
    assert first["id"].startswith("evt_") and first["timestamp"].endswith("Z")
    assert first["data"]["resource"] == "organizations/acme/workspaces/ws"
    assert first["data"]["actor"] == {"type": "user", "id": owner.user_id}
    assert "wsi_" not in str(everything)  # rule 2: no invitation secret in any event


def test_a_refused_change_yields_no_event(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme", org_role="member")
    client.post(WS, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers)
    client.post(
        f"{WS}/ws/users", json={"user": viewer.user_id, "role": "viewer"}, headers=owner.headers
    )
    _, cursor = types_after(client, owner, "")
    refusals = [
        client.patch(f"{WS}/ws", json={"title": "Mine"}, headers=viewer.headers),  # 403
        client.post(
            f"{WS}/ws/users", json={"user": owner.user_id, "role": "viewer"}, headers=owner.headers
        ),  # 409
        client.delete(f"{WS}/ws/users/{owner.user_id}", headers=owner.headers),  # last owner
        client.patch(
            f"{WS}/ws/preferences", json={"support_team_access": "yes"}, headers=owner.headers
        ),
    ]
    assert [r.status_code for r in refusals] == [403, 409, 400, 400]
    assert types_after(client, owner, cursor) == ([], cursor)


def test_the_feed_pages_by_cursor(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    for i in range(7):
        client.post(WS, json={"title": f"W{i}"}, headers=owner.headers)
    seen: list[str] = []
    cursor = ""
    while True:
        body = feed(client, owner, cursor, page_size=3)
        if not body["events"]:
            break
        seen += [e["id"] for e in body["events"]]
        cursor = body["next_cursor"]
    whole = [e["id"] for e in feed(client, owner)["events"]]
    assert seen == whole and len(whole) == len(set(whole))
    bad = client.get(FEED, params={"after": "not-a-cursor"}, headers=owner.headers)
    assert bad.status_code == 400 and "after" in bad.text


def test_who_may_read_the_feed(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    stranger = world.person("globex")
    assert client.get(FEED, headers=member.headers).status_code == 403
    assert client.get(FEED, headers=stranger.headers).status_code == 404
    _, reader = issue_api_key(database, owner, ["events:list"])
    _, other = issue_api_key(database, owner, ["workspaces:get"])
    assert client.get(FEED, headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    assert client.get(FEED, headers={"Authorization": f"Bearer {other}"}).status_code == 403


def test_an_event_committed_later_never_lands_behind_the_cursor(
    client: TestClient, world: World, database: Database
) -> None:
    """PostgreSQL: transaction A writes its event first and commits last. Until A commits,
    the feed holds back B's event too, so a poller that saw B could not skip A."""
    if database.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: nothing to hold back")
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")  # B's author: none of A's locks
    _, cursor = types_after(client, owner, "")
    principal = principal_of(database, owner)
    with database.write() as slow:  # A: open across B
        workspaces.create(slow, principal, "acme", title="A", slug="a")
        slow.flush()
        made = client.post(
            WS, params={"workspace_id": "b"}, json={"title": "B"}, headers=colleague.headers
        )
        assert made.status_code == 200, made.text  # B committed
        assert types_after(client, owner, cursor) == ([], cursor)
    body = feed(client, owner, cursor)
    assert [e["data"]["resource"] for e in body["events"]] == [
        "organizations/acme/workspaces/a",
        "organizations/acme/workspaces/b",
    ]
