"""`/api/v1/me/organizations/{org}/workspaces` lists the workspaces the caller is a member
of, also for organization owners, who reach every workspace (the organization's list)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World

ORG_WS = "/api/v1/organizations/acme/workspaces"
MINE = "/api/v1/me/organizations/acme/workspaces"


def test_an_owner_sees_only_their_memberships_under_me(client: TestClient, world: World) -> None:
    owner = world.person("acme", org_role="owner")
    member = world.person("acme", org_role="member")
    for slug, creator in [("mine", owner), ("theirs", member), ("other", member)]:
        made = client.post(
            ORG_WS, params={"workspace_id": slug}, json={"title": slug}, headers=creator.headers
        )
        assert made.status_code == 200, made.text

    def slugs(path: str) -> set[str]:
        response = client.get(path, headers=owner.headers)
        assert response.status_code == 200, response.text
        return {w["name"].rsplit("/", 1)[-1] for w in response.json()["workspaces"]}

    assert slugs(MINE) == {"mine"}
    assert slugs(ORG_WS) == {"mine", "theirs", "other"}
