from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from tests.dialects.activeloop.conftest import Activeloop
from tests.support import Person, World
from workspaced.workspace import service as workspaces_service


def test_create_returns_the_workspace_object(al: Activeloop, world: World) -> None:
    owner = world.person("acme")
    response = al.create(owner, "research", "Deep Research")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "name", "creator_user_id", "org_id", "created_at"}
    assert body["id"] == "research"
    assert body["name"] == "Deep Research"
    assert body["creator_user_id"] == owner.user_id
    assert body["org_id"] == "acme"
    assert body["created_at"].endswith("Z")
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert al.access_of(owner, "research") == {owner.user_id: "owner"}


def test_get_by_id_and_by_uid(al: Activeloop, client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = al.create(owner, "research").json()
    assert al.get(owner, "research").json() == created
    uid = client.get(
        "/api/v1/organizations/acme/workspaces/research", headers=owner.headers
    ).json()["uid"]
    assert al.get(owner, uid).json() == created


def test_list_shows_what_the_caller_can_see(al: Activeloop, team: dict[str, Person]) -> None:
    owner, viewer, outsider, boss = (team[k] for k in ("owner", "viewer", "outsider", "boss"))
    assert al.create(outsider, "private").status_code == 200
    assert al.create(team["stranger"], "research").status_code == 200

    def ids(who: Person) -> list[str]:
        response = al.list(who)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"data"}
        return [w["id"] for w in response.json()["data"]]

    assert ids(owner) == ["research"]
    assert ids(viewer) == ["research"]
    assert ids(outsider) == ["private"]
    assert ids(boss) == ["research", "private"]  # organization owners see all, oldest first
    assert [w["org_id"] for w in al.list(team["stranger"]).json()["data"]] == ["globex"]


def test_list_walks_every_page(
    al: Activeloop, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = world.person("acme")
    slugs = [f"ws-{i}" for i in range(7)]
    for slug in slugs:
        assert al.create(owner, slug).status_code == 200
    monkeypatch.setattr(workspaces_service, "STREAM_BATCH", 2)
    listed = al.list(owner)
    assert [w["id"] for w in listed.json()["data"]] == slugs
    # SPEC §6: streamed page by page, never built whole in memory.
    assert "content-length" not in listed.headers


def test_duplicate_id_is_409_but_other_organizations_may_reuse_it(
    al: Activeloop, world: World
) -> None:
    owner = world.person("acme")
    assert al.create(owner, "research").status_code == 200
    response = al.create(owner, "research", "Another")
    assert response.status_code == 409
    assert isinstance(response.json()["detail"], str)
    assert "research" in response.json()["detail"]
    assert al.create(world.person("globex"), "research").status_code == 200


def test_delete_answers_the_deleted_workspace_and_frees_the_id(
    al: Activeloop, team: dict[str, Person]
) -> None:
    owner = team["owner"]
    before = al.get(owner, "research").json()
    response = al.delete(owner, "research")
    assert response.status_code == 200, response.text
    assert response.json() == before
    assert al.get(owner, "research").status_code == 404
    assert al.list(owner).json() == {"data": []}
    assert al.delete(owner, "research").status_code == 404
    recreated = al.create(team["viewer"], "research", "Fresh")
    assert recreated.status_code == 200
    assert recreated.json()["creator_user_id"] == team["viewer"].user_id


def test_organization_admin_may_delete_any_workspace(
    al: Activeloop, team: dict[str, Person]
) -> None:
    assert al.delete(team["boss"], "research").status_code == 200


@pytest.mark.parametrize("role", ["writer", "viewer"])
def test_members_without_delete_permission_get_403(
    al: Activeloop, team: dict[str, Person], role: str
) -> None:
    response = al.delete(team[role], "research")
    assert response.status_code == 403
    assert "workspaces:delete" in response.json()["detail"]
    assert al.get(team["owner"], "research").status_code == 200


def test_invisible_workspaces_are_404_like_missing_ones(
    al: Activeloop, client: TestClient, team: dict[str, Person]
) -> None:
    owner, outsider, stranger = team["owner"], team["outsider"], team["stranger"]
    uid = client.get(
        "/api/v1/organizations/acme/workspaces/research", headers=owner.headers
    ).json()["uid"]
    missing = al.get(owner, "nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Workspace 'nope' not found"}
    for who in (outsider, stranger):
        for ref in ("research", uid):
            for response in (al.get(who, ref), al.delete(who, ref)):
                assert response.status_code == 404, (who.email, ref)
                assert response.json() == {"detail": f"Workspace {ref!r} not found"}
    assert al.get(owner, "research").status_code == 200


@pytest.mark.parametrize(
    "workspace_id",
    [
        "Bad_Caps",
        "-x",
        "x-",
        "a--b",
        "a b",
        "",
        "a" * 35,
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "3fa85f6457174562b3fc2c963f66afa6",
    ],
)
def test_invalid_id_is_422_on_the_id_field(al: Activeloop, world: World, workspace_id: str) -> None:
    owner = world.person("acme")
    response = al.create(owner, workspace_id)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "id"]]
    assert all(set(d) == {"loc", "msg", "type"} for d in detail)
    assert al.list(owner).json() == {"data": []}


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({}, [["body", "id"], ["body", "name"]]),
        ({"id": "ok"}, [["body", "name"]]),
        ({"name": "ok"}, [["body", "id"]]),
        ({"id": 5, "name": "ok"}, [["body", "id"]]),
        ({"id": "ok", "name": None}, [["body", "name"]]),
        ({"id": "ok", "name": "   "}, [["body", "name"]]),
        ({"id": "ok", "name": "x" * 201}, [["body", "name"]]),
        ({"id": "ok", "name": "tab\there"}, [["body", "name"]]),
        ([], [["body"]]),
    ],
)
def test_invalid_create_bodies_are_422(
    client: TestClient, world: World, body: object, locs: list[list[str]]
) -> None:
    owner = world.person("acme")
    response = client.post("/workspaces", json=body, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert [d["loc"] for d in response.json()["detail"]] == locs


def test_a_person_in_two_organizations_acts_in_the_token_home_organization(
    al: Activeloop, world: World
) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    in_acme = world.person("acme", email=email)
    in_globex = world.person("globex", email=email)
    assert al.create(in_globex, "shared-name").json()["org_id"] == "globex"
    assert al.get(in_acme, "shared-name").status_code == 404
    assert al.create(in_acme, "shared-name").json()["org_id"] == "acme"
