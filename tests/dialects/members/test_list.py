from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.dialects.members.helpers import (
    MEMBER_FIELDS,
    Team,
    add,
    assert_422,
    assert_envelope,
    explicit_member_ids,
    listed,
    members_url,
    parse_rfc3339,
)
from tests.support import World


def test_list_shows_the_creator_with_every_field(client: TestClient, team: Team) -> None:
    body = listed(client, team)
    assert set(body) == {"members", "total"}
    assert body["total"] == 1
    [member] = body["members"]
    assert set(member) == MEMBER_FIELDS
    owner = team.owner
    assert member["workspace_id"] == team.ws_uid
    assert member["user_id"] == owner.user_id
    assert member["org_id"] == owner.org_id
    assert member["role"] == "owner"
    assert member["email"] == owner.email
    assert member["full_name"] == "Ann Owner"
    assert isinstance(member["username"], str) and member["username"]
    assert member["avatar_url"] is None
    assert member["added_by"] == owner.user_id
    assert parse_rfc3339(member["created_at"]) <= parse_rfc3339(member["updated_at"])


def test_org_and_workspace_accept_uuid_or_slug(client: TestClient, team: Team) -> None:
    expected = listed(client, team)
    for org in (team.org, team.org_id):
        for ws in (team.ws, team.ws_uid, uuid.UUID(team.ws_uid).hex):
            response = client.get(members_url(org, ws), headers=team.owner.headers)
            assert response.status_code == 200, (org, ws)
            assert response.json() == expected


def test_limit_and_offset_page_oldest_first(client: TestClient, world: World, team: Team) -> None:
    people = [world.person("acme", org_role="member") for _ in range(4)]
    for person in people:
        assert add(client, team, team.owner, person.user_id).status_code == 201
    order = [team.owner.user_id] + [p.user_id for p in people]
    assert [m["user_id"] for m in listed(client, team)["members"]] == order
    page = listed(client, team, limit=2, offset=1)
    assert [m["user_id"] for m in page["members"]] == order[1:3]
    assert page["total"] == 5
    assert [m["user_id"] for m in listed(client, team, offset=4)["members"]] == order[4:]
    beyond = listed(client, team, offset=50)
    assert beyond == {"members": [], "total": 5}
    assert listed(client, team, offset=2**63 - 1) == {"members": [], "total": 5}
    assert len(listed(client, team, limit=1)["members"]) == 1
    assert len(listed(client, team, limit=1000)["members"]) == 5


def test_bad_limit_or_offset_is_422(client: TestClient, team: Team) -> None:
    for params, loc in [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"limit": "9" * 400}, "limit"),
    ]:
        response = client.get(team.url, params=params, headers=team.owner.headers)
        error = assert_422(response, ["query", loc])
        assert error["input"] == str(params[loc])


def test_total_tracks_explicit_members_through_adds_and_removes(
    client: TestClient, world: World, team: Team
) -> None:
    people = [world.person("acme", org_role="member") for _ in range(5)]
    for person in people:
        assert add(client, team, team.owner, person.user_id, "editor").status_code == 201
    for person in people[1:4]:
        response = client.delete(team.member_url(person.user_id), headers=team.owner.headers)
        assert response.status_code == 204
    # Failed writes must not move the counter either.
    assert add(client, team, team.owner, people[0].user_id).status_code == 409
    assert add(client, team, team.owner, people[1].user_id, "nope").status_code == 422
    assert (
        client.delete(team.member_url(people[2].user_id), headers=team.owner.headers).status_code
        == 404
    )
    truth = explicit_member_ids(world, team)
    body = listed(client, team, limit=1000)
    assert body["total"] == len(truth) == 3
    assert {m["user_id"] for m in body["members"]} == truth
    assert listed(client, team, limit=1)["total"] == 3


def test_viewer_lists_and_org_admin_lists_without_membership(
    client: TestClient, world: World, team: Team
) -> None:
    viewer = world.person("acme", org_role="member")
    admin = world.person("acme", org_role="admin")
    add(client, team, team.owner, viewer.user_id)
    assert listed(client, team, viewer)["total"] == 2
    # An organization admin has owner-level access but is not an explicit member.
    body = listed(client, team, admin)
    assert admin.user_id not in {m["user_id"] for m in body["members"]}


def test_invisible_workspace_is_404_not_403(client: TestClient, world: World, team: Team) -> None:
    outsider = world.person("acme", org_role="member")
    stranger = world.person("globex", org_role="owner")
    for person, org in [
        (outsider, team.org),
        (stranger, team.org),
        (stranger, "globex"),
        (stranger, stranger.org_id),
    ]:
        response = client.get(members_url(org, team.ws_uid), headers=person.headers)
        body = assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
        assert body["details"]["resource_type"] in ("organization", "workspace")
    response = client.get(members_url(team.org, "nope"), headers=team.owner.headers)
    body = assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
    assert body["details"] == {"resource_type": "workspace", "resource_id": "nope"}


def test_soft_deleted_workspace_is_404(client: TestClient, team: Team) -> None:
    deleted = client.delete(
        f"/api/v1/organizations/{team.org}/workspaces/{team.ws}", headers=team.owner.headers
    )
    assert deleted.status_code == 200
    body = assert_envelope(
        client.get(team.url, headers=team.owner.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert body["details"]["resource_type"] == "workspace"


def test_segments_that_cannot_name_anything_are_404(client: TestClient, team: Team) -> None:
    for org, ws in [
        ("%00", team.ws),
        (team.org, "%00"),
        ("Bad Slug", team.ws),
        (team.org, "x" * 5000),
        ("a" * 64, team.ws),
        (team.org, "UPPER"),
    ]:
        response = client.get(members_url(org, ws), headers=team.owner.headers)
        assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
