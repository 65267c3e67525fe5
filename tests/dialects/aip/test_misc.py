"""Organizations, roles, preferences, countUsers, /me, and workspace listing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World, error_of

ORG = "/api/v1/organizations"
BASE = "/api/v1/organizations/acme/workspaces"


def test_organizations_list_and_get(client: TestClient, world: World) -> None:
    alice = world.person("acme", name="Alice")
    alice_in_globex = world.person("globex", email=alice.email)
    world.person("initech")
    # A personal access token acts only in its home organization (SPEC §3 rule 6): it lists
    # that one, and the others answer as for an outsider; /me still names them all.
    for person, home in [(alice, "acme"), (alice_in_globex, "globex")]:
        listed = client.get(ORG, headers=person.headers).json()
        assert [o["name"] for o in listed["organizations"]] == [f"organizations/{home}"]
        assert listed["next_page_token"] == ""
    assert client.get(f"{ORG}/globex", headers=alice.headers).status_code == 404
    me = client.get("/api/v1/me", headers=alice.headers).json()
    assert sorted(o["name"] for o in me["organizations"]) == [
        "organizations/acme",
        "organizations/globex",
    ]
    by_uid = client.get(f"{ORG}/{alice.org_id}", headers=alice.headers)
    assert by_uid.json()["name"] == "organizations/acme"
    assert client.get(f"{ORG}/initech", headers=alice.headers).status_code == 404
    assert client.get(f"{ORG}/nope", headers=alice.headers).status_code == 404


def test_roles_list(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    client.post(BASE, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers)
    roles = client.get(f"{BASE}/ws/roles", headers=owner.headers).json()
    assert [r["role_id"] for r in roles["roles"]] == ["owner", "editor", "viewer"]
    viewer = roles["roles"][2]
    assert viewer["display_name"] == "Workspace Viewer"
    assert viewer["name"] == "organizations/acme/roles/viewer"
    assert viewer["built_in"] is True
    assert set(viewer["permissions"]) == {
        "workspaces:get",
        "members:list",
        "roles:list",
        "preferences:get",
    }


def test_preferences_get_and_patch(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme")
    client.post(BASE, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers)
    client.post(
        f"{BASE}/ws/users", json={"user": viewer.email, "role": "viewer"}, headers=owner.headers
    )
    url = f"{BASE}/ws/preferences"
    assert client.get(url, headers=viewer.headers).json() == {
        "name": "organizations/acme/workspaces/ws/preferences",
        "support_team_access": False,
    }
    denied = client.patch(url, json={"support_team_access": True}, headers=viewer.headers)
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "preferences:update"
    patched = client.patch(url, json={"support_team_access": True}, headers=owner.headers)
    assert patched.json()["support_team_access"] is True
    assert client.get(url, headers=viewer.headers).json()["support_team_access"] is True
    assert (
        client.patch(url, json={"support_team_access": "maybe"}, headers=owner.headers).status_code
        == 400
    )


def test_count_users(client: TestClient, world: World) -> None:
    owner = world.person("acme")  # organization owner: counted in every workspace
    admin = world.person("acme", org_role="admin")
    bob = world.person("acme")
    for slug in ("one", "two"):
        client.post(
            BASE, params={"workspace_id": slug}, json={"title": slug}, headers=owner.headers
        )
    client.post(
        f"{BASE}/one/users", json={"user": bob.email, "role": "viewer"}, headers=owner.headers
    )
    client.post(
        f"{BASE}/one/users", json={"user": admin.email, "role": "viewer"}, headers=owner.headers
    )
    uid_two = client.get(f"{BASE}/two", headers=owner.headers).json()["uid"]
    response = client.post(
        f"{BASE}:countUsers", json={"workspace_ids": ["one", uid_two]}, headers=owner.headers
    )
    assert response.status_code == 200
    assert response.json() == {"counts": {"one": 3, uid_two: 2}}
    for ws, expected in (("one", 3), ("two", 2)):
        listed = client.get(f"{BASE}/{ws}/users", headers=owner.headers).json()["users"]
        assert len(listed) == expected
    missing = client.post(
        f"{BASE}:countUsers", json={"workspace_ids": ["one", "ghost"]}, headers=owner.headers
    )
    assert missing.status_code == 404
    assert "counts" not in missing.json()
    # Bob sees "one" but not "two": an invisible id is a 404 too.
    assert (
        client.post(
            f"{BASE}:countUsers", json={"workspace_ids": ["one", "two"]}, headers=bob.headers
        ).status_code
        == 404
    )
    too_many = client.post(
        f"{BASE}:countUsers", json={"workspace_ids": ["x"] * 1001}, headers=owner.headers
    )
    assert too_many.status_code == 400


def test_me_and_my_workspaces(client: TestClient, world: World) -> None:
    alice = world.person("acme", name="Alice")
    world.person("globex", email=alice.email, org_role="member")
    member = world.person("acme", org_role="member")
    client.post(
        BASE, params={"workspace_id": "mine"}, json={"title": "Mine"}, headers=member.headers
    )
    client.post(
        BASE, params={"workspace_id": "other"}, json={"title": "Other"}, headers=alice.headers
    )
    me = client.get("/api/v1/me", headers=alice.headers).json()
    assert me["user_id"] == alice.user_id
    assert me["display_name"] == "Alice"
    assert [(o["name"], o["org_role"]) for o in me["organizations"]] == [
        ("organizations/acme", "owner"),
        ("organizations/globex", "member"),
    ]
    mine = client.get("/api/v1/me/organizations/acme/workspaces", headers=member.headers).json()
    assert [w["name"] for w in mine["workspaces"]] == ["organizations/acme/workspaces/mine"]
    filtered = client.get(
        "/api/v1/me/organizations/acme/workspaces",
        params={"filter": "title='Other'"},
        headers=alice.headers,
    ).json()
    assert [w["title"] for w in filtered["workspaces"]] == ["Other"]
    assert (
        client.get("/api/v1/me/organizations/initech/workspaces", headers=alice.headers).status_code
        == 404
    )


def test_workspace_list_filter_order_and_pages(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    titles = ["Beta", "alpha", "Gamma Ray", "Delta", "Alpha Centauri"]
    for title in titles:
        client.post(BASE, json={"title": title}, headers=owner.headers)

    def listed(**params: str) -> list[str]:
        response = client.get(BASE, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return [w["title"] for w in response.json()["workspaces"]]

    assert listed() == list(reversed(titles))
    assert listed(order_by="title") == sorted(titles)
    assert listed(filter='title:"ALPHA"', order_by="title desc") == ["alpha", "Alpha Centauri"]
    assert listed(filter='title = "Beta" OR title = "Delta"', order_by="title") == ["Beta", "Delta"]
    assert listed(filter='NOT title:"a"') == []
    assert listed(filter='-title:"alpha"', order_by="title") == ["Beta", "Delta", "Gamma Ray"]
    all_items = client.get(BASE, headers=owner.headers).json()["workspaces"]
    middle = all_items[2]["create_time"]
    assert listed(filter=f'create_time < "{middle}"') == [w["title"] for w in all_items[3:]]
    assert listed(filter=f'create_time >= "{middle}" AND title != "Delta"') == [
        w["title"] for w in all_items[:3] if w["title"] != "Delta"
    ]
    collected: list[str] = []
    token = ""
    while True:
        body = client.get(
            BASE,
            params={"page_size": 2, "page_token": token, "order_by": "title"},
            headers=owner.headers,
        ).json()
        collected += [w["title"] for w in body["workspaces"]]
        token = body["next_page_token"]
        if not token:
            break
    assert collected == sorted(titles)
    for bad in [
        'title > "x"',
        'create_time < "yesterday"',
        "owner = me",
        "title =",
        "(title = 'x'",
        "title = 'x' AND",
    ]:
        response = client.get(BASE, params={"filter": bad}, headers=owner.headers)
        assert response.status_code == 400, bad
        assert "position" in error_of(response)["message"]
    assert client.get(BASE, params={"page_size": -1}, headers=owner.headers).status_code == 400
    assert (
        client.get(BASE, params={"page_token": "garbage"}, headers=owner.headers).status_code == 400
    )
    big = client.get(BASE, params={"page_size": 100000}, headers=owner.headers)
    assert big.status_code == 200


def test_page_tokens_are_stable_under_concurrent_inserts(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    for i in range(4):
        client.post(BASE, json={"title": f"w{i}"}, headers=owner.headers)
    first = client.get(BASE, params={"page_size": 2}, headers=owner.headers).json()
    client.post(BASE, json={"title": "newest"}, headers=owner.headers)  # sorts before page 2
    second = client.get(
        BASE, params={"page_size": 2, "page_token": first["next_page_token"]}, headers=owner.headers
    ).json()
    assert [w["title"] for w in first["workspaces"] + second["workspaces"]] == [
        "w3",
        "w2",
        "w1",
        "w0",
    ]


def test_unauthenticated_requests(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    good = owner.token
    typo = good[:-1] + ("A" if good[-1] != "A" else "B")
    for headers in [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {typo}"},
        {"Authorization": "Bearer wsd_" + "A" * 40},
    ]:
        response = client.get(BASE, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert error_of(response)["status"] == "UNAUTHENTICATED"


def test_workspace_roles_page(client: TestClient, world: World) -> None:
    """More roles than a page: every role once, across pages (the list used to stop at
    the first page and say there was no more)."""
    owner = world.person("acme")
    client.post(BASE, params={"workspace_id": "ws"}, json={"title": "W"}, headers=owner.headers)
    for i in range(3):
        made = client.post(
            "/api/v1/organizations/acme/roles",
            json={"role_id": f"r{i}", "display_name": f"R{i}", "permissions": ["workspaces:get"]},
            headers=owner.headers,
        )
        assert made.status_code == 200, made.text
    seen: list[str] = []
    token = ""
    while True:
        page = client.get(
            f"{BASE}/ws/roles", params={"page_size": 2, "page_token": token}, headers=owner.headers
        ).json()
        seen += [r["name"] for r in page["roles"]]
        token = page["next_page_token"]
        if not token:
            break
    whole = client.get(f"{BASE}/ws/roles", headers=owner.headers).json()["roles"]
    assert seen == [r["name"] for r in whole] and len(seen) == 6
