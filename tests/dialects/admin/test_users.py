"""Who may list a workspace's users, and what they see."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.dialects.admin.conftest import (
    USERS,
    Scene,
    add_custom_role,
    add_member,
    create_workspace,
    delete_workspace,
    problem_of,
)
from tests.support import World
from workspaced.kit.db import Database


def test_org_owner_sees_explicit_members_with_roles(client: TestClient, scene: Scene) -> None:
    response = client.get(scene.url, headers=scene.org_owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["links"] == {}
    assert body["results"] == [
        {
            "email": scene.ws_owner.email,
            "full_name": "Wanda Workspace",
            "role": "owner",
            "user_id": scene.ws_owner.user_id,
        },
        {
            "email": scene.editor.email,
            "full_name": "Ed Editor",
            "role": "editor",
            "user_id": scene.editor.user_id,
        },
        {
            "email": scene.viewer.email,
            "full_name": "Vic Viewer",
            "role": "viewer",
            "user_id": scene.viewer.user_id,
        },
    ]


def test_org_admin_without_workspace_role_sees_the_same(client: TestClient, scene: Scene) -> None:
    as_owner = client.get(scene.url, headers=scene.org_owner.headers).json()
    as_admin = client.get(scene.url, headers=scene.org_admin.headers)
    assert as_admin.status_code == 200
    assert as_admin.json() == as_owner
    # Organization admins are not listed unless they are explicit members.
    listed = {user["user_id"] for user in as_owner["results"]}
    assert scene.org_admin.user_id not in listed
    assert scene.org_owner.user_id not in listed


def test_org_admin_who_is_a_workspace_viewer_still_sees_everyone(
    client: TestClient, scene: Scene, database: Database
) -> None:
    add_member(database, scene.ws_owner, scene.workspace_id, scene.org_admin, "viewer")
    body = client.get(scene.url, headers=scene.org_admin.headers).json()
    roles = {user["user_id"]: user["role"] for user in body["results"]}
    assert roles[scene.org_admin.user_id] == "viewer"
    assert len(roles) == 4


def test_workspace_owner_who_is_only_an_org_member_is_forbidden(
    client: TestClient, scene: Scene
) -> None:
    for person in (scene.ws_owner, scene.editor, scene.viewer):
        body = problem_of(client.get(scene.url, headers=person.headers), 403)
        assert body["type"] == "https://workspaced.dev/problems/forbidden"
        assert body["title"] == "Forbidden"
        assert "organization:administer" in body["detail"]
        assert body["invalid-params"] is None


def test_plain_member_gets_the_same_403_for_any_workspace_id(
    client: TestClient, scene: Scene, world: World
) -> None:
    # A member outside the workspace, and any workspace id: nothing to learn from the answer.
    stranger = world.person("acme", org_role="member")
    real = client.get(scene.url, headers=stranger.headers)
    missing = client.get(
        USERS.format(org=scene.org_owner.org_id, ws=uuid.uuid4()), headers=stranger.headers
    )
    assert problem_of(real, 403)["type"] == problem_of(missing, 403)["type"]


def test_outsider_gets_404_shaped_like_a_missing_workspace(
    client: TestClient, scene: Scene
) -> None:
    outsider = problem_of(client.get(scene.url, headers=scene.outsider.headers), 404)
    missing = problem_of(
        client.get(
            USERS.format(org=scene.org_owner.org_id, ws=uuid.uuid4()),
            headers=scene.org_owner.headers,
        ),
        404,
    )
    unknown_org = problem_of(
        client.get(
            USERS.format(org=uuid.uuid4(), ws=scene.workspace_id), headers=scene.outsider.headers
        ),
        404,
    )
    for body in (outsider, missing, unknown_org):
        assert body["type"] == "https://workspaced.dev/problems/not-found"
        assert body["title"] == "Not Found"
        assert body["invalid-params"] is None


def test_outsider_admin_of_another_org_cannot_reach_it(
    client: TestClient, scene: Scene, database: Database
) -> None:
    # globex's owner naming their own organization with acme's workspace id: not theirs.
    url = USERS.format(org=scene.outsider.org_id, ws=scene.workspace_id)
    problem_of(client.get(url, headers=scene.outsider.headers), 404)
    own = create_workspace(database, scene.outsider, "globex-ws")
    url = USERS.format(org=scene.org_owner.org_id, ws=own)
    problem_of(client.get(url, headers=scene.org_owner.headers), 404)


def test_soft_deleted_workspace_is_gone(
    client: TestClient, scene: Scene, database: Database
) -> None:
    delete_workspace(database, scene.ws_owner, scene.workspace_id)
    body = problem_of(client.get(scene.url, headers=scene.org_admin.headers), 410)
    assert body["type"] == "https://workspaced.dev/problems/gone"
    assert body["title"] == "Gone"
    assert scene.workspace_id in body["detail"]
    # Outsiders still learn nothing.
    problem_of(client.get(scene.url, headers=scene.outsider.headers), 404)


def test_user_id_filter_shows_one_users_role(client: TestClient, scene: Scene) -> None:
    response = client.get(
        scene.url, params={"user_id": scene.editor.user_id}, headers=scene.org_owner.headers
    )
    assert response.status_code == 200
    assert response.json() == {
        "links": {},
        "results": [
            {
                "email": scene.editor.email,
                "full_name": "Ed Editor",
                "role": "editor",
                "user_id": scene.editor.user_id,
            },
        ],
    }


def test_user_id_filter_for_a_non_member_is_empty(client: TestClient, scene: Scene) -> None:
    for user_id in (scene.org_admin.user_id, str(uuid.uuid4())):
        response = client.get(
            scene.url, params={"user_id": user_id}, headers=scene.org_owner.headers
        )
        assert response.status_code == 200
        assert response.json() == {"links": {}, "results": []}


def test_uppercase_uuids_are_accepted(client: TestClient, scene: Scene) -> None:
    url = USERS.format(org=scene.org_owner.org_id.upper(), ws=scene.workspace_id.upper())
    response = client.get(
        url, params={"user_id": scene.viewer.user_id.upper()}, headers=scene.org_owner.headers
    )
    assert response.status_code == 200
    assert [u["user_id"] for u in response.json()["results"]] == [scene.viewer.user_id]


def test_custom_role_is_reported_by_its_id(
    client: TestClient, scene: Scene, database: Database, world: World
) -> None:
    add_custom_role(database, scene.org_owner.org_id, "auditor")
    auditor = world.person("acme", org_role="member")
    add_member(database, scene.ws_owner, scene.workspace_id, auditor, "auditor")
    body = client.get(
        scene.url, params={"user_id": auditor.user_id}, headers=scene.org_owner.headers
    ).json()
    assert [u["role"] for u in body["results"]] == ["auditor"]


def test_demoted_admin_loses_access_at_once(client: TestClient, scene: Scene, world: World) -> None:
    assert client.get(scene.url, headers=scene.org_admin.headers).status_code == 200
    world.person("acme", email=scene.org_admin.email, org_role="member")
    problem_of(client.get(scene.url, headers=scene.org_admin.headers), 403)
