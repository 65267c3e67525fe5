from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.dialects.activeloop.conftest import Activeloop
from tests.support import Person, World
from workspaced.kit.db import Database
from workspaced.models import Role

AIP_USERS = "/api/v1/organizations/acme/workspaces/research/users"


def test_add_by_id_or_email_answers_the_workspace_user(
    al: Activeloop, team: dict[str, Person], world: World
) -> None:
    owner = team["owner"]
    by_id = world.person("acme")
    by_email = world.person("acme")
    response = al.add(owner, "research", by_id.user_id, "writer")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"user_id", "access", "created_at"}
    assert body["user_id"] == by_id.user_id
    assert body["access"] == "writer"
    assert body["created_at"].endswith("Z")
    response = al.add(owner, "research", by_email.email.upper(), "viewer")
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == by_email.user_id
    assert response.json()["access"] == "viewer"


def test_users_lists_explicit_members_oldest_first(al: Activeloop, team: dict[str, Person]) -> None:
    response = al.users(team["viewer"], "research")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [(u["user_id"], u["access"]) for u in data] == [
        (team["owner"].user_id, "owner"),
        (team["writer"].user_id, "writer"),
        (team["viewer"].user_id, "viewer"),
    ]  # the organization owner has access but is not a member: not listed
    assert all(set(u) == {"user_id", "access", "created_at"} for u in data)


def test_update_changes_access(al: Activeloop, team: dict[str, Person]) -> None:
    owner, writer, viewer = team["owner"], team["writer"], team["viewer"]
    response = al.update(owner, "research", writer.email, "viewer")
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == writer.user_id
    assert response.json()["access"] == "viewer"
    assert al.update(owner, "research", viewer.user_id, "writer").json()["access"] == "writer"
    assert al.update(owner, "research", viewer.user_id, "writer").status_code == 200
    assert al.access_of(owner, "research") == {
        owner.user_id: "owner",
        writer.user_id: "viewer",
        viewer.user_id: "writer",
    }


def test_remove_answers_the_removed_user(al: Activeloop, team: dict[str, Person]) -> None:
    owner, writer, viewer = team["owner"], team["writer"], team["viewer"]
    listed = {u["user_id"]: u for u in al.users(owner, "research").json()["data"]}
    response = al.remove(owner, "research", writer.user_id)
    assert response.status_code == 200, response.text
    assert response.json() == listed[writer.user_id]
    response = al.remove(owner, "research", viewer.email.upper())
    assert response.status_code == 200, response.text
    assert response.json() == listed[viewer.user_id]
    assert al.access_of(owner, "research") == {owner.user_id: "owner"}
    again = al.remove(owner, "research", writer.user_id)
    assert again.status_code == 404
    assert "detail" in again.json()
    # Access ends at once.
    assert al.get(writer, "research").status_code == 404


def test_duplicate_add_is_409(al: Activeloop, team: dict[str, Person]) -> None:
    for ref in (team["writer"].user_id, team["writer"].email):
        response = al.add(team["owner"], "research", ref, "viewer")
        assert response.status_code == 409
        assert isinstance(response.json()["detail"], str)
    assert al.access_of(team["owner"], "research")[team["writer"].user_id] == "writer"


@pytest.mark.parametrize("who", ["stranger", "nobody", "random-uuid"])
def test_users_outside_the_organization_are_404(
    al: Activeloop, team: dict[str, Person], who: str
) -> None:
    ref = {
        "stranger": team["stranger"].user_id,
        "nobody": "nobody@example.com",
        "random-uuid": str(uuid.uuid4()),
    }[who]
    owner = team["owner"]
    for response in (
        al.add(owner, "research", ref, "viewer"),
        al.update(owner, "research", ref, "viewer"),
        al.remove(owner, "research", ref),
    ):
        assert response.status_code == 404, response.text
    assert al.update(owner, "research", team["outsider"].user_id, "viewer").status_code == 404
    assert al.remove(owner, "research", team["outsider"].email).status_code == 404


def test_last_owner_cannot_be_removed_or_demoted(
    al: Activeloop, client: TestClient, team: dict[str, Person]
) -> None:
    owner, writer = team["owner"], team["writer"]
    for response in (
        al.remove(owner, "research", owner.user_id),
        al.update(owner, "research", owner.user_id, "writer"),
        al.update(team["boss"], "research", owner.email, "viewer"),
    ):
        assert response.status_code == 409, response.text
        assert "owner" in response.json()["detail"]
    assert al.access_of(owner, "research")[owner.user_id] == "owner"
    # With a second owner (promoted natively: the vendor has no way to), demotion works.
    promoted = client.patch(
        f"{AIP_USERS}/{writer.user_id}", json={"role": "owner"}, headers=owner.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert al.update(owner, "research", owner.user_id, "viewer").json()["access"] == "viewer"
    assert al.remove(writer, "research", owner.user_id).status_code == 200
    assert al.remove(writer, "research", writer.user_id).status_code == 409


@pytest.mark.parametrize("role", ["writer", "viewer"])
def test_non_owners_cannot_change_members(
    al: Activeloop, team: dict[str, Person], role: str
) -> None:
    member, other = team[role], team["viewer" if role == "writer" else "writer"]
    cases = [
        (al.add(member, "research", team["outsider"].user_id, "viewer"), "members:add"),
        (al.update(member, "research", other.user_id, "viewer"), "members:update"),
        (al.remove(member, "research", other.user_id), "members:remove"),
    ]
    for response, permission in cases:
        assert response.status_code == 403, response.text
        assert permission in response.json()["detail"]
    assert al.users(member, "research").status_code == 200
    assert len(al.access_of(team["owner"], "research")) == 3


def test_organization_admin_manages_members_without_being_one(
    al: Activeloop, team: dict[str, Person]
) -> None:
    boss, outsider = team["boss"], team["outsider"]
    assert al.add(boss, "research", outsider.user_id, "viewer").status_code == 200
    assert al.update(boss, "research", outsider.user_id, "writer").status_code == 200
    assert al.remove(boss, "research", outsider.user_id).status_code == 200
    assert boss.user_id not in al.access_of(boss, "research")


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_people_who_cannot_see_the_workspace_get_404(
    al: Activeloop, team: dict[str, Person], who: str
) -> None:
    caller, target = team[who], team["writer"]
    for response in (
        al.users(caller, "research"),
        al.add(caller, "research", caller.user_id, "writer"),
        al.update(caller, "research", target.user_id, "viewer"),
        al.remove(caller, "research", target.user_id),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": "Workspace 'research' not found"}


def test_deleted_workspace_members_are_404(al: Activeloop, team: dict[str, Person]) -> None:
    owner = team["owner"]
    assert al.delete(owner, "research").status_code == 200
    assert al.users(owner, "research").status_code == 404
    assert al.add(owner, "research", team["outsider"].user_id, "viewer").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({"user": "x@example.com", "access": "owner"}, [["body", "access"]]),
        ({"user": "x@example.com", "access": "editor"}, [["body", "access"]]),
        ({"user": "x@example.com", "access": "Writer"}, [["body", "access"]]),
        ({"user": "x@example.com"}, [["body", "access"]]),
        ({"access": "viewer"}, [["body", "user"]]),
        ({"user": 7, "access": "viewer"}, [["body", "user"]]),
        ({}, [["body", "user"], ["body", "access"]]),
    ],
)
def test_invalid_member_bodies_are_422(
    client: TestClient,
    team: dict[str, Person],
    method: str,
    body: dict[str, object],
    locs: list[list[str]],
) -> None:
    response = client.request(
        method, "/workspaces/research/user", json=body, headers=team["owner"].headers
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == locs
    assert all(set(d) == {"loc", "msg", "type"} for d in detail)


def test_a_custom_role_is_reported_as_the_nearest_built_in_access(
    al: Activeloop, client: TestClient, database: Database, team: dict[str, Person]
) -> None:
    now = datetime.now(UTC)
    with database.write() as session:
        session.add(
            Role(
                pk=uuid.uuid4(),
                org_id=uuid.UUID(team["owner"].org_id),
                role_id="auditor",
                display_name="Auditor",
                description="",
                scope="workspace",
                permissions=["workspaces:get", "members:list"],
                built_in=False,
                create_time=now,
                update_time=now,
            )
        )
    added = client.post(
        AIP_USERS,
        json={"user": team["outsider"].user_id, "role": "auditor"},
        headers=team["owner"].headers,
    )
    assert added.status_code == 200, added.text
    # Inside the seed's enum: "auditor" covers not even viewer's permissions.
    assert al.access_of(team["owner"], "research")[team["outsider"].user_id] == "viewer"
    # The vendor's access words still replace it.
    changed = al.update(team["owner"], "research", team["outsider"].user_id, "viewer")
    assert changed.json()["access"] == "viewer"
