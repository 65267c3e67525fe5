from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.dialects.members.helpers import (
    MEMBER_FIELDS,
    Team,
    add,
    add_custom_role,
    assert_422,
    assert_envelope,
    parse_rfc3339,
    roles_by_user,
)
from tests.support import World
from workspaced.kit import clock


def test_change_role_returns_the_updated_member(
    client: TestClient, world: World, team: Team
) -> None:
    person = world.person("acme", org_role="member")
    created = add(client, team, team.owner, person.user_id).json()
    clock.advance(timedelta(seconds=5))
    response = client.patch(
        team.member_url(person.user_id), json={"role": "editor"}, headers=team.owner.headers
    )
    assert response.status_code == 200, response.text
    member = response.json()
    assert set(member) == MEMBER_FIELDS
    assert member["role"] == "editor"
    assert member["created_at"] == created["created_at"]
    assert parse_rfc3339(member["updated_at"]) > parse_rfc3339(created["updated_at"])
    assert roles_by_user(client, team)[person.user_id] == "editor"


def test_change_to_custom_role_and_to_owner(client: TestClient, world: World, team: Team) -> None:
    add_custom_role(world, team.org_id, "auditor", ["workspaces:get"])
    person = world.person("acme", org_role="member")
    add(client, team, team.owner, person.user_id)
    url = team.member_url(person.user_id)
    for role in ("auditor", "owner"):
        response = client.patch(url, json={"role": role}, headers=team.owner.headers)
        assert response.status_code == 200
        assert response.json()["role"] == role
    # Two owners now: the creator may step down.
    response = client.patch(
        team.member_url(team.owner.user_id), json={"role": "viewer"}, headers=team.owner.headers
    )
    assert response.status_code == 200
    assert roles_by_user(client, team) == {team.owner.user_id: "viewer", person.user_id: "owner"}


def test_demoting_the_last_owner_is_conflict(client: TestClient, team: Team) -> None:
    response = client.patch(
        team.member_url(team.owner.user_id), json={"role": "editor"}, headers=team.owner.headers
    )
    body = assert_envelope(response, 409, "CONFLICT")
    assert body["details"]["reason"] == "LAST_OWNER"
    assert roles_by_user(client, team) == {team.owner.user_id: "owner"}
    same = client.patch(
        team.member_url(team.owner.user_id), json={"role": "owner"}, headers=team.owner.headers
    )
    assert same.status_code == 200


def test_unknown_or_missing_role_is_422(client: TestClient, world: World, team: Team) -> None:
    person = world.person("acme", org_role="member")
    add(client, team, team.owner, person.user_id)
    url = team.member_url(person.user_id)
    error = assert_422(
        client.patch(url, json={"role": "Workspace Editor"}, headers=team.owner.headers),
        ["body", "role"],
    )
    assert error["input"] == "Workspace Editor"
    assert_422(client.patch(url, json={}, headers=team.owner.headers), ["body", "role"])
    assert_422(
        client.patch(url, json={"role": ["editor"]}, headers=team.owner.headers), ["body", "role"]
    )
    assert_422(
        client.patch(
            url,
            content=b"{oops",
            headers={**team.owner.headers, "content-type": "application/json"},
        ),
        ["body", 1],
    )
    assert roles_by_user(client, team)[person.user_id] == "viewer"


def test_member_user_id_must_be_a_uuid(client: TestClient, team: Team) -> None:
    for bad in ("me", team.owner.email, "123", "x" * 300):
        response = client.patch(
            team.member_url(bad), json={"role": "editor"}, headers=team.owner.headers
        )
        error = assert_422(response, ["path", "member_user_id"])
        assert error["input"] == bad


def test_non_member_is_404(client: TestClient, world: World, team: Team) -> None:
    org_member = world.person("acme", org_role="member")
    for user_id in (org_member.user_id, str(uuid.uuid4())):
        response = client.patch(
            team.member_url(user_id), json={"role": "editor"}, headers=team.owner.headers
        )
        body = assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
        assert body["details"] == {"resource_type": "user", "resource_id": user_id}


def test_viewer_and_editor_may_not_change_roles(
    client: TestClient, world: World, team: Team
) -> None:
    viewer, editor = (world.person("acme", org_role="member") for _ in range(2))
    add(client, team, team.owner, viewer.user_id, "viewer")
    add(client, team, team.owner, editor.user_id, "editor")
    for actor in (viewer, editor):
        response = client.patch(
            team.member_url(viewer.user_id), json={"role": "owner"}, headers=actor.headers
        )
        body = assert_envelope(response, 403, "FORBIDDEN")
        assert body["details"] == {"required_permission": "members:update"}
    assert roles_by_user(client, team)[viewer.user_id] == "viewer"
