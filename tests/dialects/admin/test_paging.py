"""Keyset paging: following links.next visits every member once, in order."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from tests.dialects.admin.conftest import Scene, add_member
from tests.support import World
from workspaced.kit.db import Database


def five_members(scene: Scene, world: World, database: Database) -> list[str]:
    """The scene's 3 explicit members plus 2 more, oldest first."""
    for _ in range(2):
        extra = world.person("acme", org_role="member")
        add_member(database, scene.ws_owner, scene.workspace_id, extra, "viewer")
    return [p.user_id for p in scene.explicit_members] + [p.user_id for p in world.people[-2:]]


def test_limit_2_over_5_members_takes_three_pages(
    client: TestClient, scene: Scene, world: World, database: Database
) -> None:
    expected = five_members(scene, world, database)
    url: str | None = scene.url + "?limit=2"
    pages: list[list[str]] = []
    while url is not None:
        response = client.get(url, headers=scene.org_admin.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([user["user_id"] for user in body["results"]])
        url = body["links"].get("next")
        if url is not None:
            parts = urlsplit(url)
            assert parts.path == scene.url
            assert parse_qs(parts.query)["limit"] == ["2"]
        else:
            assert body["links"] == {}
    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [user_id for page in pages for user_id in page]
    assert seen == expected  # no duplicates, no gaps, oldest first


def test_next_link_keeps_the_user_filter(client: TestClient, scene: Scene) -> None:
    response = client.get(
        scene.url,
        params={"limit": 1, "user_id": scene.viewer.user_id},
        headers=scene.org_owner.headers,
    )
    assert response.json()["links"] == {}
    assert len(response.json()["results"]) == 1
    # One page of exactly `limit` results with more to come carries the filter along.
    response = client.get(scene.url, params={"limit": 1}, headers=scene.org_owner.headers)
    query = parse_qs(urlsplit(response.json()["links"]["next"]).query)
    assert set(query) == {"limit", "cursor"}


def test_default_limit_is_100(
    client: TestClient, scene: Scene, world: World, database: Database
) -> None:
    for _ in range(98):  # 3 + 98 = 101 members
        add_member(
            database,
            scene.ws_owner,
            scene.workspace_id,
            world.person("acme", org_role="member"),
            "viewer",
        )
    first = client.get(scene.url, headers=scene.org_owner.headers).json()
    assert len(first["results"]) == 100
    assert parse_qs(urlsplit(first["links"]["next"]).query)["limit"] == ["100"]
    second = client.get(first["links"]["next"], headers=scene.org_owner.headers).json()
    assert len(second["results"]) == 1 and second["links"] == {}


def test_page_boundary_exactly_at_the_end_has_no_next(client: TestClient, scene: Scene) -> None:
    body = client.get(scene.url, params={"limit": 3}, headers=scene.org_owner.headers).json()
    assert len(body["results"]) == 3
    assert body["links"] == {}


def test_member_added_between_pages_is_not_duplicated(
    client: TestClient, scene: Scene, world: World, database: Database
) -> None:
    first = client.get(scene.url, params={"limit": 2}, headers=scene.org_owner.headers).json()
    late = world.person("acme", org_role="member")
    add_member(database, scene.ws_owner, scene.workspace_id, late, "editor")
    second = client.get(first["links"]["next"], headers=scene.org_owner.headers).json()
    ids = [u["user_id"] for u in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 4
    assert ids[-1] == late.user_id
