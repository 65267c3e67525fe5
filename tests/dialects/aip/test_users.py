from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import Person, World, error_of

BASE = "/api/v1/organizations/acme/workspaces"


def setup_workspace(client: TestClient, owner: Person, slug: str = "team") -> str:
    response = client.post(
        BASE, params={"workspace_id": slug}, json={"title": slug.title()}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return f"{BASE}/{slug}/users"


def add(client: TestClient, users: str, actor: Person, user: str, role: str):  # type: ignore[no-untyped-def]
    return client.post(users, json={"user": user, "role": role}, headers=actor.headers)


def test_add_by_email_or_id_change_role_and_remove(client: TestClient, world: World) -> None:
    owner = world.person("acme", name="Olivia")
    bob = world.person("acme", email="Bob@Example.com", name="Bob")
    carl = world.person("acme", name="Carl")
    users = setup_workspace(client, owner)
    added = add(client, users, owner, "bob@example.COM", "Workspace Viewer")
    assert added.status_code == 200, added.text
    body = added.json()
    assert body["user_id"] == bob.user_id
    assert body["role"] == "Workspace Viewer"
    assert body["role_id"] == "viewer"
    assert body["role_scope"] == "workspace"
    assert body["name"] == f"organizations/acme/workspaces/team/users/{bob.user_id}"
    assert add(client, users, owner, carl.user_id, "editor").json()["role"] == "Workspace Editor"
    changed = client.patch(
        f"{users}/{bob.user_id}", json={"role": "workspace editor"}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert changed.json()["role_id"] == "editor"
    removed = client.delete(f"{users}/{bob.user_id}", headers=owner.headers)
    assert removed.status_code == 200
    assert removed.json() == {}
    listed = client.get(users, headers=owner.headers).json()["users"]
    assert sorted(u["user_id"] for u in listed) == sorted([owner.user_id, carl.user_id])


def test_add_errors(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    bob = world.person("acme")
    outsider = world.person("globex")
    users = setup_workspace(client, owner)
    assert add(client, users, owner, bob.email, "viewer").status_code == 200
    duplicate = add(client, users, owner, bob.email, "editor")
    assert duplicate.status_code == 409
    assert error_of(duplicate)["status"] == "ALREADY_EXISTS"
    # A user outside the organization is "not found", whatever exists elsewhere.
    assert add(client, users, owner, outsider.email, "viewer").status_code == 404
    assert add(client, users, owner, "nobody@example.com", "viewer").status_code == 404
    unknown_role = add(client, users, owner, bob.user_id, "superuser")
    assert unknown_role.status_code == 400
    assert error_of(unknown_role)["details"][1]["field_violations"][0]["field"] == "role"
    assert client.post(users, json={"user": bob.email}, headers=owner.headers).status_code == 400
    assert (
        client.post(
            users,
            content=b"{not json",
            headers={**owner.headers, "content-type": "application/json"},
        ).status_code
        == 400
    )
    assert (
        client.patch(
            f"{users}/{outsider.user_id}", json={"role": "viewer"}, headers=owner.headers
        ).status_code
        == 404
    )


def test_last_owner_cannot_be_removed_or_demoted(client: TestClient, world: World) -> None:
    world.person("acme")  # the organization's owner
    owner = world.person("acme")
    second = world.person("acme")
    users = setup_workspace(client, owner)
    demote = client.patch(
        f"{users}/{owner.user_id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert demote.status_code == 400
    assert error_of(demote)["status"] == "FAILED_PRECONDITION"
    remove = client.delete(f"{users}/{owner.user_id}", headers=owner.headers)
    assert error_of(remove)["status"] == "FAILED_PRECONDITION"
    add(client, users, owner, second.email, "owner")
    assert client.delete(f"{users}/{owner.user_id}", headers=owner.headers).status_code == 200
    assert client.get(users, headers=owner.headers).status_code == 404  # no longer a member


def test_viewer_cannot_manage_members(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme")
    other = world.person("acme")
    users = setup_workspace(client, owner)
    add(client, users, owner, viewer.email, "viewer")
    assert client.get(users, headers=viewer.headers).status_code == 200
    for response, permission in [
        (add(client, users, viewer, other.email, "viewer"), "members:add"),
        (
            client.patch(
                f"{users}/{owner.user_id}", json={"role": "viewer"}, headers=viewer.headers
            ),
            "members:update",
        ),
        (client.delete(f"{users}/{owner.user_id}", headers=viewer.headers), "members:remove"),
    ]:
        assert response.status_code == 403
        assert error_of(response)["details"][0]["metadata"]["permission"] == permission


def test_organization_admins_listed_with_organization_scope(
    client: TestClient, world: World
) -> None:
    founder = world.person("acme", name="Founder")  # organization owner
    admin = world.person("acme", org_role="admin", name="Admin")
    member = world.person("acme", org_role="member", name="Member")
    users = setup_workspace(client, member)
    listed = client.get(users, headers=member.headers).json()["users"]
    by_id = {u["user_id"]: u for u in listed}
    assert by_id[member.user_id]["role_scope"] == "workspace"
    assert by_id[founder.user_id]["role_scope"] == "organization"
    assert by_id[founder.user_id]["role"] == "Organization Owner"
    assert by_id[admin.user_id]["role"] == "Organization Admin"
    # An admin who becomes an explicit member appears once, with workspace scope.
    add(client, users, member, admin.email, "viewer")
    listed = client.get(users, headers=member.headers).json()["users"]
    assert [u["role_scope"] for u in listed if u["user_id"] == admin.user_id] == ["workspace"]
    assert len(listed) == 3
    scoped = client.get(
        users, params={"filter": "role_scope=organization"}, headers=member.headers
    ).json()["users"]
    assert [u["user_id"] for u in scoped] == [founder.user_id]


def test_filters_and_ordering(client: TestClient, world: World) -> None:
    owner = world.person("acme", name="Zed Owner")
    people = [
        world.person("acme", email=f"{n.lower().replace(' ', '.')}@corp.io", name=n)
        for n in ["Alice", "Johnny", "Bob", "john smith"]
    ]
    users = setup_workspace(client, owner)
    for person, role in zip(people, ["viewer", "viewer", "editor", "viewer"], strict=True):
        add(client, users, owner, person.email, role)

    def names(**params: str) -> list[str]:
        response = client.get(users, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return [u["display_name"] for u in response.json()["users"]]

    assert names(filter='search:"JOHN"', order_by="display_name") == ["Johnny", "john smith"]
    assert names(filter='role="workspace viewer"', order_by="display_name") == [
        "Alice",
        "Johnny",
        "john smith",
    ]
    assert names(filter="role=editor") == ["Bob"]
    assert names(filter='role="Workspace Viewer" AND search:"corp"', order_by="email desc") == [
        "Johnny",
        "john smith",
        "Alice",
    ]
    assert names(filter="role_scope=workspace", order_by="display_name")[0] == "Alice"
    default = names()
    assert default[0] == "john smith" and default[-1] == "Zed Owner"  # created_time desc
    assert names(order_by="created_time")[0] == "Zed Owner"
    for bad in ['nope="x"', 'search="x"', "role_scope=galaxy", 'search:"unterminated']:
        response = client.get(users, params={"filter": bad}, headers=owner.headers)
        assert response.status_code == 400, bad
        assert error_of(response)["status"] == "INVALID_ARGUMENT"
    assert (
        client.get(users, params={"order_by": "password"}, headers=owner.headers).status_code == 400
    )


def test_paging_users_is_complete_and_bound_to_the_query(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    users = setup_workspace(client, owner)
    for i in range(7):
        add(client, users, owner, world.person("acme", name=f"P{i}").email, "viewer")
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        response = client.get(
            users,
            params={"page_size": 3, "page_token": token, "order_by": "display_name"},
            headers=owner.headers,
        )
        body = response.json()
        seen += [u["user_id"] for u in body["users"]]
        pages += 1
        token = body["next_page_token"]
        if not token:
            break
        mismatch = client.get(
            users, params={"page_size": 3, "page_token": token}, headers=owner.headers
        )
        assert mismatch.status_code == 400
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8  # 7 added + the owner (also the org owner)
