from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.support import World, error_of
from workspaced.authz.catalog import OWNER_PERMISSIONS

WS = "/api/v1/organizations/{org}/workspaces"


def create(client: TestClient, person, title: str, slug: str | None = None, **extra):  # type: ignore[no-untyped-def]
    params = {"workspace_id": slug} if slug else {}
    return client.post(
        WS.format(org=person.org),
        params=params,
        json={"title": title, **extra},
        headers=person.headers,
    )


def test_create_with_workspace_id_returns_resource_and_etag(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme", name="Ann Owner")
    response = create(
        client,
        owner,
        "Research",
        "research",
        workspace_icon="flask",
        workspace_icon_color="#ff0000",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "organizations/acme/workspaces/research"
    assert uuid.UUID(body["uid"])
    assert body["title"] == "Research"
    assert body["workspace_icon"] == "flask"
    assert body["workspace_icon_color"] == "#ff0000"
    assert body["creator_email"] == owner.email
    assert body["creator_display_name"] == "Ann Owner"
    assert body["create_time"].endswith("Z")
    assert "delete_time" not in body
    assert response.headers["etag"] == f'"{body["etag"]}"'


def test_create_without_workspace_id_derives_a_unique_slug(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    first = create(client, owner, "My Team!").json()
    second = create(client, owner, "My Team!").json()
    assert first["name"].endswith("/workspaces/my-team")
    assert second["name"] != first["name"]
    assert second["name"].startswith("organizations/acme/workspaces/my-team-")


def test_duplicate_slug_is_already_exists(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    assert create(client, owner, "A", "alpha").status_code == 200
    response = create(client, owner, "B", "alpha")
    assert response.status_code == 409
    assert error_of(response)["status"] == "ALREADY_EXISTS"


def test_invalid_slug_and_title_are_invalid_argument(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    for slug in ["Bad_Caps", "-x", "a" * 35, "3fa85f64-5717-4562-b3fc-2c963f66afa6", "a--b"]:
        response = create(client, owner, "T", slug)
        assert response.status_code == 400, slug
        error = error_of(response)
        assert error["status"] == "INVALID_ARGUMENT"
        violations = error["details"][1]["field_violations"]
        assert violations[0]["field"] == "workspace_id"
    assert create(client, owner, "   ").status_code == 400
    assert create(client, owner, "x" * 201).status_code == 400


def test_get_by_slug_and_by_uid(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = create(client, owner, "Research", "research").json()
    by_slug = client.get(WS.format(org="acme") + "/research", headers=owner.headers)
    by_uid = client.get(WS.format(org=owner.org_id) + "/" + created["uid"], headers=owner.headers)
    # A GET adds what the caller holds on it (SPEC §8): here the creator's explicit owner role.
    held = {"role": "owner", "permissions": sorted(OWNER_PERMISSIONS)}
    assert by_slug.json() == {**created, **held}
    assert by_uid.json() == {**created, **held}


def test_other_organization_gets_404_not_403(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    stranger = world.person("globex")
    created = create(client, owner, "Secret", "secret").json()
    missing = client.get(WS.format(org="acme") + "/nope", headers=owner.headers)
    for path in [
        WS.format(org="acme") + "/secret",
        WS.format(org="acme"),
        WS.format(org=owner.org_id) + "/" + created["uid"],
    ]:
        response = client.get(path, headers=stranger.headers)
        assert response.status_code == 404, path
        assert error_of(response)["status"] == "NOT_FOUND"
    # The stranger's own organization id with the victim's workspace uid leaks nothing either.
    response = client.get(WS.format(org="globex") + "/" + created["uid"], headers=stranger.headers)
    assert response.status_code == 404
    assert set(response.json()["error"]) == set(missing.json()["error"])


def test_org_member_without_membership_gets_404(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    create(client, owner, "Private", "private")
    response = client.get(WS.format(org="acme") + "/private", headers=member.headers)
    assert response.status_code == 404
    listed = client.get(WS.format(org="acme"), headers=member.headers).json()
    assert listed["workspaces"] == []


def test_org_admin_sees_every_workspace(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    admin = world.person("acme", org_role="admin")
    create(client, member, "Members Own", "mine")
    assert client.get(WS.format(org="acme") + "/mine", headers=admin.headers).status_code == 200
    names = [
        w["name"]
        for w in client.get(WS.format(org="acme"), headers=owner.headers).json()["workspaces"]
    ]
    assert names == ["organizations/acme/workspaces/mine"]


def test_patch_with_update_mask_and_etag(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = create(client, owner, "Old", "ws").json()
    url = WS.format(org="acme") + "/ws"
    response = client.patch(
        url,
        params={"update_mask": "title"},
        json={"title": "New", "workspace_icon": "ignored", "etag": created["etag"]},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "New"
    assert body["workspace_icon"] is None
    assert body["etag"] != created["etag"]
    stale = client.patch(
        url, json={"title": "Again", "etag": created["etag"]}, headers=owner.headers
    )
    assert stale.status_code == 409
    assert error_of(stale)["status"] == "ABORTED"
    via_header = client.patch(
        url,
        json={"workspace_icon_color": "blue"},
        headers={**owner.headers, "If-Match": f'"{body["etag"]}"'},
    )
    assert via_header.status_code == 200
    assert via_header.json()["title"] == "New"
    assert via_header.json()["workspace_icon_color"] == "blue"
    bare = client.patch(
        url,
        json={"title": "Bare"},
        headers={**owner.headers, "If-Match": via_header.json()["etag"]},
    )
    assert bare.status_code == 200


def test_patch_rejects_unknown_mask_paths_and_output_only_fields(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    create(client, owner, "Old", "ws")
    url = WS.format(org="acme") + "/ws"
    response = client.patch(url, params={"update_mask": "uid"}, json={}, headers=owner.headers)
    assert response.status_code == 400
    assert client.patch(url, json={"title": ""}, headers=owner.headers).status_code == 400


def test_viewer_and_editor_permissions(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme")
    editor = world.person("acme")
    create(client, owner, "Team", "team")
    users = WS.format(org="acme") + "/team/users"
    client.post(users, json={"user": viewer.email, "role": "viewer"}, headers=owner.headers)
    client.post(
        users, json={"user": editor.user_id, "role": "Workspace Editor"}, headers=owner.headers
    )
    url = WS.format(org="acme") + "/team"
    assert client.get(url, headers=viewer.headers).status_code == 200
    denied = client.patch(url, json={"title": "X"}, headers=viewer.headers)
    assert denied.status_code == 403
    error = error_of(denied)
    assert error["status"] == "PERMISSION_DENIED"
    assert error["details"][0]["metadata"]["permission"] == "workspaces:update"
    assert client.patch(url, json={"title": "X"}, headers=editor.headers).status_code == 200
    denied = client.delete(url, headers=editor.headers)
    assert denied.status_code == 403
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "workspaces:delete"


def test_soft_delete_frees_slug_and_undelete(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    create(client, owner, "One", "ws")
    url = WS.format(org="acme") + "/ws"
    deleted = client.delete(url, headers=owner.headers)
    assert deleted.status_code == 200
    body = deleted.json()
    assert body["delete_time"] and body["purge_time"]
    listed = client.get(WS.format(org="acme"), headers=owner.headers).json()["workspaces"]
    assert listed == []
    with_deleted = client.get(
        WS.format(org="acme"), params={"show_deleted": "true"}, headers=owner.headers
    ).json()["workspaces"]
    assert [w["uid"] for w in with_deleted] == [body["uid"]]
    # Get still answers for the deleted resource (AIP-164) ...
    assert client.get(url, headers=owner.headers).json()["delete_time"]
    # ... but it cannot be changed.
    assert client.patch(url, json={"title": "x"}, headers=owner.headers).status_code == 404
    undeleted = client.post(url + ":undelete", headers=owner.headers)
    assert undeleted.status_code == 200
    assert "delete_time" not in undeleted.json()
    # Delete again, take the slug, undelete now conflicts.
    client.delete(url, headers=owner.headers)
    assert create(client, owner, "Two", "ws").status_code == 200
    conflict = client.post(
        WS.format(org="acme") + "/" + body["uid"] + ":undelete", headers=owner.headers
    )
    assert conflict.status_code == 409
    assert error_of(conflict)["status"] == "ALREADY_EXISTS"


def test_undelete_of_live_workspace_is_failed_precondition(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    create(client, owner, "One", "ws")
    response = client.post(WS.format(org="acme") + "/ws:undelete", headers=owner.headers)
    assert response.status_code == 400
    assert error_of(response)["status"] == "FAILED_PRECONDITION"


def test_a_workspace_past_its_purge_time_is_gone(client: TestClient, world: World) -> None:
    from datetime import timedelta

    from workspaced.kit import clock

    owner = world.person("acme")
    create(client, owner, "Old", "old")
    url = WS.format(org="acme") + "/old"
    client.delete(url, headers=owner.headers)
    clock.advance(timedelta(days=31))
    assert client.get(url, headers=owner.headers).status_code == 404
    assert client.post(url + ":undelete", headers=owner.headers).status_code == 404
    listed = client.get(
        WS.format(org="acme"), params={"show_deleted": "true"}, headers=owner.headers
    ).json()
    assert listed["workspaces"] == []
