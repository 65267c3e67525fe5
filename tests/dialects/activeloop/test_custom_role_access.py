"""activeloop knows only its own access words: a member holding a custom role is listed
as the nearest built-in role it covers, never as the custom role's id (a client generated
from the seed's enum would fail on the whole list)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World
from workspaced.authz.catalog import EDITOR_PERMISSIONS, OWNER_PERMISSIONS, VIEWER_PERMISSIONS

ORG = "/api/v1/organizations/acme"
SHAPES = {
    "everything": (OWNER_PERMISSIONS, "owner"),
    "editor-plus": (EDITOR_PERMISSIONS | {"members:add"}, "writer"),
    "viewer-plus": (VIEWER_PERMISSIONS | {"invites:create"}, "viewer"),
    "lister": (frozenset({"workspaces:get", "members:list"}), "viewer"),
}


def test_custom_roles_read_as_the_nearest_built_in_access(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    made = client.post(
        ORG + "/workspaces",
        params={"workspace_id": "w"},
        json={"title": "W"},
        headers=owner.headers,
    )
    assert made.status_code == 200, made.text
    expected = {owner.user_id: "owner"}
    for role_id, (permissions, access) in SHAPES.items():
        role = client.post(
            ORG + "/roles",
            json={
                "role_id": role_id,
                "display_name": role_id.title(),
                "permissions": sorted(permissions),
            },
            headers=owner.headers,
        )
        assert role.status_code == 200, role.text
        member = world.person("acme", org_role="member")
        added = client.post(
            ORG + "/workspaces/w/users",
            json={"user": member.user_id, "role": role_id},
            headers=owner.headers,
        )
        assert added.status_code == 200, added.text
        expected[member.user_id] = access
    listed = client.get("/workspaces/w/users", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    assert {m["user_id"]: m["access"] for m in listed.json()["data"]} == expected
    # The removal answers with the membership as it was, in the same words.
    lister = next(uid for uid, access in expected.items() if access == "viewer")
    removed = client.delete(f"/workspaces/w/user/{lister}", headers=owner.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["access"] in {"owner", "writer", "viewer"}
