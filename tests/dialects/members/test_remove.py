from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.dialects.members.helpers import (
    Team,
    add,
    assert_422,
    assert_envelope,
    listed,
    roles_by_user,
)
from tests.support import World


def test_remove_is_204_with_an_empty_body(client: TestClient, world: World, team: Team) -> None:
    person = world.person("acme", org_role="member")
    add(client, team, team.owner, person.user_id)
    response = client.delete(team.member_url(person.user_id), headers=team.owner.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert roles_by_user(client, team) == {team.owner.user_id: "owner"}
    assert listed(client, team)["total"] == 1
    again = client.delete(team.member_url(person.user_id), headers=team.owner.headers)
    assert_envelope(again, 404, "RESOURCE_NOT_FOUND")


def test_removed_member_loses_access_at_once(client: TestClient, world: World, team: Team) -> None:
    person = world.person("acme", org_role="member")
    add(client, team, team.owner, person.user_id)
    assert client.get(team.url, headers=person.headers).status_code == 200
    client.delete(team.member_url(person.user_id), headers=team.owner.headers)
    assert_envelope(client.get(team.url, headers=person.headers), 404, "RESOURCE_NOT_FOUND")


def test_removing_the_last_owner_is_conflict(client: TestClient, world: World, team: Team) -> None:
    response = client.delete(team.member_url(team.owner.user_id), headers=team.owner.headers)
    body = assert_envelope(response, 409, "CONFLICT")
    assert body["details"]["reason"] == "LAST_OWNER"
    # With a second owner the first may leave.
    other = world.person("acme", org_role="member")
    add(client, team, team.owner, other.user_id, "owner")
    assert (
        client.delete(team.member_url(team.owner.user_id), headers=team.owner.headers).status_code
        == 204
    )
    assert roles_by_user(client, team) == {other.user_id: "owner"}


def test_viewer_may_not_remove(client: TestClient, world: World, team: Team) -> None:
    viewer = world.person("acme", org_role="member")
    add(client, team, team.owner, viewer.user_id)
    for target in (team.owner.user_id, viewer.user_id):
        body = assert_envelope(
            client.delete(team.member_url(target), headers=viewer.headers), 403, "FORBIDDEN"
        )
        assert body["details"] == {"required_permission": "members:remove"}
    assert listed(client, team)["total"] == 2


def test_bad_or_unknown_member_user_id(client: TestClient, team: Team) -> None:
    assert_422(
        client.delete(team.member_url("not-a-uuid"), headers=team.owner.headers),
        ["path", "member_user_id"],
    )
    unknown = str(uuid.uuid4())
    body = assert_envelope(
        client.delete(team.member_url(unknown), headers=team.owner.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert body["details"] == {"resource_type": "user", "resource_id": unknown}
