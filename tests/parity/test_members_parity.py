"""What the members dialect writes, the native aip API reads, and the other way round."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.dialects.members.helpers import Team, add, add_custom_role, listed, make_team
from tests.support import World


def aip_users_url(team: Team) -> str:
    return f"/api/v1/organizations/{team.org}/workspaces/{team.ws}/users"


def aip_explicit(client: TestClient, team: Team) -> dict[str, dict[str, Any]]:
    response = client.get(
        aip_users_url(team),
        params={"filter": "role_scope=workspace", "page_size": 1000},
        headers=team.owner.headers,
    )
    assert response.status_code == 200, response.text
    return {u["user_id"]: u for u in response.json()["users"]}


def members_view(client: TestClient, team: Team) -> dict[str, dict[str, Any]]:
    return {m["user_id"]: m for m in listed(client, team, limit=1000)["members"]}


def test_added_via_members_is_listed_by_aip_with_the_same_role(
    client: TestClient, world: World
) -> None:
    team = make_team(client, world)
    add_custom_role(world, team.org_id, "auditor", ["workspaces:get", "members:list"])
    people = {
        role: world.person("acme", org_role="member")
        for role in ("viewer", "editor", "owner", "auditor")
    }
    for role, person in people.items():
        assert add(client, team, team.owner, person.user_id, role).status_code == 201
    seen = aip_explicit(client, team)
    mine = members_view(client, team)
    assert set(seen) == set(mine)
    for user_id, member in mine.items():
        user = seen[user_id]
        assert user["role_id"] == member["role"]
        assert user["role_scope"] == "workspace"
        assert user["email"] == member["email"]
        assert user["display_name"] == member["full_name"]
        assert user["create_time"] == member["created_at"]
        assert user["update_time"] == member["updated_at"]
    assert seen[people["editor"].user_id]["role"] == "Workspace Editor"
    assert seen[people["auditor"].user_id]["role"] == "Auditor"


def test_added_and_changed_via_aip_is_seen_by_members(client: TestClient, world: World) -> None:
    team = make_team(client, world)
    admin = world.person("acme", org_role="admin")
    person = world.person("acme", org_role="member")
    added = client.post(
        aip_users_url(team),
        json={"user": person.email, "role": "Workspace Viewer"},
        headers=admin.headers,
    )
    assert added.status_code == 200, added.text
    member = members_view(client, team)[person.user_id]
    assert member["role"] == "viewer"
    assert member["added_by"] == admin.user_id
    # The org admin's implicit access shows in aip (role_scope organization), not here.
    assert admin.user_id not in members_view(client, team)

    changed = client.patch(
        f"{aip_users_url(team)}/{person.user_id}",
        json={"role": "Workspace Editor"},
        headers=team.owner.headers,
    )
    assert changed.status_code == 200
    assert members_view(client, team)[person.user_id]["role"] == "editor"

    updated = client.patch(
        team.member_url(person.user_id), json={"role": "owner"}, headers=team.owner.headers
    )
    assert updated.status_code == 200
    assert aip_explicit(client, team)[person.user_id]["role_id"] == "owner"


def test_removed_in_either_is_gone_in_the_other(client: TestClient, world: World) -> None:
    team = make_team(client, world)
    first, second = (world.person("acme", org_role="member") for _ in range(2))
    for person in (first, second):
        add(client, team, team.owner, person.user_id, "editor")
    assert listed(client, team)["total"] == 3

    via_aip = client.delete(f"{aip_users_url(team)}/{first.user_id}", headers=team.owner.headers)
    assert via_aip.status_code == 200
    assert first.user_id not in members_view(client, team)
    assert listed(client, team)["total"] == 2

    via_members = client.delete(team.member_url(second.user_id), headers=team.owner.headers)
    assert via_members.status_code == 204
    assert second.user_id not in aip_explicit(client, team)
    assert set(aip_explicit(client, team)) == {team.owner.user_id}
    assert listed(client, team)["total"] == 1


def test_last_owner_rule_is_shared(client: TestClient, world: World) -> None:
    team = make_team(client, world)
    # The aip dialect refuses with 400 FAILED_PRECONDITION, the members dialect with 409.
    aip = client.delete(f"{aip_users_url(team)}/{team.owner.user_id}", headers=team.owner.headers)
    assert aip.status_code == 400
    assert aip.json()["error"]["status"] == "FAILED_PRECONDITION"
    members = client.delete(team.member_url(team.owner.user_id), headers=team.owner.headers)
    assert members.status_code == 409
    assert members.json()["error"] == "CONFLICT"
    assert (
        set(aip_explicit(client, team)) == set(members_view(client, team)) == {team.owner.user_id}
    )
