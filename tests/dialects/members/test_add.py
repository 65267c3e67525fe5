from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.dialects.members.helpers import (
    MEMBER_FIELDS,
    Team,
    add,
    add_custom_role,
    assert_422,
    assert_envelope,
    listed,
    parse_rfc3339,
    roles_by_user,
)
from tests.support import World


def test_add_defaults_to_viewer_and_returns_201_member(
    client: TestClient, world: World, team: Team
) -> None:
    person = world.person("acme", org_role="member", name="Bob Builder")
    response = add(client, team, team.owner, person.user_id)
    assert response.status_code == 201, response.text
    member = response.json()
    assert set(member) == MEMBER_FIELDS
    assert member["role"] == "viewer"
    assert member["user_id"] == person.user_id
    assert member["workspace_id"] == team.ws_uid
    assert member["org_id"] == team.org_id
    assert member["email"] == person.email
    assert member["full_name"] == "Bob Builder"
    assert member["added_by"] == team.owner.user_id
    assert member["avatar_url"] is None
    assert parse_rfc3339(member["created_at"]) == parse_rfc3339(member["updated_at"])
    assert listed(client, team)["members"][-1] == member


def test_add_with_explicit_null_custom_and_builtin_roles(
    client: TestClient, world: World, team: Team
) -> None:
    add_custom_role(world, team.org_id, "auditor", ["workspaces:get", "members:list"])
    editor, auditor, nulled = (world.person("acme", org_role="member") for _ in range(3))
    assert add(client, team, team.owner, editor.user_id, "editor").json()["role"] == "editor"
    assert add(client, team, team.owner, auditor.user_id, "auditor").json()["role"] == "auditor"
    response = client.post(
        team.url, json={"user_id": nulled.user_id, "role": None}, headers=team.owner.headers
    )
    assert response.status_code == 201
    assert response.json()["role"] == "viewer"
    assert roles_by_user(client, team) == {
        team.owner.user_id: "owner",
        editor.user_id: "editor",
        auditor.user_id: "auditor",
        nulled.user_id: "viewer",
    }
    # The custom role's permissions apply: an auditor may list members.
    assert listed(client, team, auditor)["total"] == 4


def test_user_id_in_32_hex_form_is_accepted(client: TestClient, world: World, team: Team) -> None:
    person = world.person("acme", org_role="member")
    response = add(client, team, team.owner, uuid.UUID(person.user_id).hex)
    assert response.status_code == 201
    assert response.json()["user_id"] == person.user_id


def test_adding_a_member_twice_is_conflict(client: TestClient, world: World, team: Team) -> None:
    person = world.person("acme", org_role="member")
    assert add(client, team, team.owner, person.user_id).status_code == 201
    body = assert_envelope(add(client, team, team.owner, person.user_id, "editor"), 409, "CONFLICT")
    assert body["details"]["reason"] == "ALREADY_EXISTS"
    assert roles_by_user(client, team)[person.user_id] == "viewer"
    owner = assert_envelope(add(client, team, team.owner, team.owner.user_id), 409, "CONFLICT")
    assert owner["status_code"] == 409


def test_user_outside_the_organization_is_404(client: TestClient, world: World, team: Team) -> None:
    stranger = world.person("globex", org_role="owner")
    for user_id in (stranger.user_id, str(uuid.uuid4())):
        body = assert_envelope(add(client, team, team.owner, user_id), 404, "RESOURCE_NOT_FOUND")
        assert body["details"] == {"resource_type": "user", "resource_id": user_id}
    assert listed(client, team)["total"] == 1


def test_unknown_role_is_422_on_body_role_and_writes_nothing(
    client: TestClient, world: World, team: Team
) -> None:
    person = world.person("acme", org_role="member")
    for role in ("superuser", "Workspace Viewer", "VIEWER", " viewer"):
        error = assert_422(add(client, team, team.owner, person.user_id, role), ["body", "role"])
        assert error["input"] == role
        assert role.strip() in error["msg"] or "unknown role" in error["msg"]
    assert listed(client, team)["total"] == 1


def test_invalid_bodies_are_422(client: TestClient, team: Team) -> None:
    headers = team.owner.headers
    cases: list[tuple[object, list[str | int]]] = [
        ({"user_id": "not-a-uuid"}, ["body", "user_id"]),
        ({"user_id": "someone@example.com"}, ["body", "user_id"]),
        ({"user_id": 12}, ["body", "user_id"]),
        ({"role": "viewer"}, ["body", "user_id"]),
        ({"user_id": str(uuid.uuid4()), "role": 3}, ["body", "role"]),
        ({"user_id": str(uuid.uuid4()), "role": ""}, ["body", "role"]),
        ({"user_id": str(uuid.uuid4()), "role": "r" * 65}, ["body", "role"]),
        ({"user_id": "x" * 100_000}, ["body", "user_id"]),
        ([{"user_id": str(uuid.uuid4())}], ["body"]),
        ("just a string", ["body"]),
    ]
    for body, loc in cases:
        assert_422(client.post(team.url, json=body, headers=headers), loc)
    missing = assert_422(client.post(team.url, headers=headers), ["body"])
    assert missing["type"] == "missing"


def test_malformed_json_is_422(client: TestClient, team: Team) -> None:
    headers = {**team.owner.headers, "content-type": "application/json"}
    for raw in (
        b"{",
        b'{"user_id": }',
        b"\xff\xfe",
        b"null",
        b"[1,2",
        b"\x8f\x1f\x0b",
        b'{"user_id": "\xc3\x28"}',
    ):
        response = client.post(team.url, content=raw, headers=headers)
        assert response.status_code == 422, (raw, response.text)
        assert isinstance(response.json()["detail"], list)
    for raw in (b"{", b"\x8f\x1f\x0b"):
        bad = client.post(team.url, content=raw, headers=headers).json()["detail"][0]
        assert bad["type"] == "json_invalid"
        assert bad["loc"][0] == "body"


def test_viewer_and_editor_may_not_add(client: TestClient, world: World, team: Team) -> None:
    viewer, editor, newcomer = (world.person("acme", org_role="member") for _ in range(3))
    add(client, team, team.owner, viewer.user_id, "viewer")
    add(client, team, team.owner, editor.user_id, "editor")
    for actor in (viewer, editor):
        body = assert_envelope(add(client, team, actor, newcomer.user_id), 403, "FORBIDDEN")
        assert body["details"] == {"required_permission": "members:add"}
    assert listed(client, team)["total"] == 3


def test_org_admin_may_add_without_being_a_member(
    client: TestClient, world: World, team: Team
) -> None:
    admin = world.person("acme", org_role="admin")
    person = world.person("acme", org_role="member")
    response = add(client, team, admin, person.user_id, "editor")
    assert response.status_code == 201
    assert response.json()["added_by"] == admin.user_id


def test_unserializable_inputs_are_still_a_422(client: TestClient, team: Team) -> None:
    headers = {**team.owner.headers, "content-type": "application/json"}
    huge = b'{"user_id": 1' + b"0" * 40 + b', "role": {"x": ' + b"9" * 30 + b"}}"
    error = assert_422(client.post(team.url, content=huge, headers=headers), ["body", "user_id"])
    assert error["input"] == 10**40
    nan = assert_422(
        client.post(team.url, content=b'{"user_id": NaN}', headers=headers), ["body", "user_id"]
    )
    assert nan["input"] is None
