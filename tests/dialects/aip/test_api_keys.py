"""Organization API keys (SPEC §3): created by owners/admins with explicit permissions, a
subset of the creator's and never an owner-only power; usable in every dialect within
those permissions; audited as the key; stopped when the creator's authority ends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.support import Person, World, error_of, issue_api_key
from workspaced.authz.catalog import VIEWER_PERMISSIONS
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import ApiKey, AuditEvent, OrganizationMembership

KEYS = "/api/v1/organizations/acme/apiKeys"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def create_workspace(client: TestClient, owner: Person, slug: str = "apollo") -> str:
    response = client.post(
        "/api/v1/organizations/acme/workspaces",
        params={"workspace_id": slug},
        json={"title": "Apollo"},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["uid"])


def test_an_owner_creates_lists_gets_and_revokes_a_key(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = client.post(
        KEYS,
        json={"display_name": "billing sync", "permissions": ["workspaces:get", "members:list"]},
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    secret = body["key"]
    assert secret.startswith("wsk_") and len(secret) == 44
    assert body["permissions"] == ["members:list", "workspaces:get"]
    assert body["creator"] == f"users/{owner.user_id}"
    assert body["last_used_time"] is None
    key_id = body["key_id"]

    listed = client.get(KEYS, headers=owner.headers).json()
    assert [k["key_id"] for k in listed["api_keys"]] == [key_id]
    got = client.get(f"{KEYS}/{key_id}", headers=owner.headers).json()
    assert secret not in str(listed) and secret not in str(got)

    assert (
        client.get("/api/v1/organizations/acme/workspaces", headers=bearer(secret)).status_code
        == 200
    )
    used = client.get(f"{KEYS}/{key_id}", headers=owner.headers).json()
    assert used["last_used_time"] is not None

    assert client.delete(f"{KEYS}/{key_id}", headers=owner.headers).status_code == 200
    after = client.get("/api/v1/organizations/acme/workspaces", headers=bearer(secret))
    assert after.status_code == 401 and after.headers["www-authenticate"] == "Bearer"
    assert client.get(KEYS, headers=owner.headers).json()["api_keys"] == []
    assert client.delete(f"{KEYS}/{key_id}", headers=owner.headers).status_code == 404


@pytest.mark.parametrize(
    "permissions, field_text",
    [
        ([], "permissions"),
        (["workspaces:fly"], "workspaces:fly"),
        (["organization:transfer_ownership"], "organization:transfer_ownership"),
        (["organization:administer"], "organization:administer"),
    ],
)
def test_permissions_outside_the_catalogue_are_refused(
    client: TestClient, world: World, database: Database, permissions: list[str], field_text: str
) -> None:
    owner = world.person("acme")
    response = client.post(
        KEYS, json={"display_name": "x", "permissions": permissions}, headers=owner.headers
    )
    assert response.status_code == 400, response.text
    assert field_text in response.text
    with database.read() as session:
        assert session.scalars(select(ApiKey)).all() == []


def test_who_may_manage_keys(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    stranger = world.person("globex")
    body = {"display_name": "x", "permissions": ["workspaces:get"]}
    assert client.post(KEYS, json=body, headers=member.headers).status_code == 403
    assert client.get(KEYS, headers=member.headers).status_code == 403
    assert client.post(KEYS, json=body, headers=stranger.headers).status_code == 404
    assert client.get(KEYS, headers=stranger.headers).status_code == 404
    # A key cannot make keys, list them or revoke them: no chains of delegation.
    _, secret = issue_api_key(database, owner, ["workspaces:get"])
    for response in (
        client.post(KEYS, json=body, headers=bearer(secret)),
        client.get(KEYS, headers=bearer(secret)),
    ):
        assert response.status_code == 403, response.text
        assert "API key" in error_of(response)["message"]


def test_a_key_is_no_person(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    _, secret = issue_api_key(database, owner, ["workspaces:get", "workspaces:create"])
    for method, path, body in (
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/me/tokens", None),
        ("POST", "/api/v1/me/tokens", {"display_name": "mine"}),
        ("POST", "/api/v1/organizations", {"display_name": "Keyco"}),
        ("POST", "/api/v1/invites:accept", {"invite_token": "x" * 43}),
    ):
        response = client.request(method, path, json=body, headers=bearer(secret))
        assert response.status_code == 403, (path, response.text)


def test_a_key_works_in_every_dialect_within_its_permissions(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")
    ws = create_workspace(client, owner)
    _, reader = issue_api_key(database, owner, ["workspaces:get", "members:list"])
    # Rule 3: granting a viewer takes holding every viewer permission, so a writer has them.
    _, writer = issue_api_key(database, owner, VIEWER_PERMISSIONS | {"members:add"})
    members = f"/v1/orgs/{owner.org_id}/workspaces/{ws}/members"
    reads = [
        f"/api/v1/organizations/acme/workspaces/{ws}",
        f"/api/v1/organizations/acme/workspaces/{ws}/users",
        f"/workspaces/{ws}",
        f"/workspace/admin/orgs/{owner.org_id}/workspaces/{ws}/users",
        members,
    ]
    for path in reads:
        response = client.get(path, headers=bearer(reader))
        assert response.status_code == 200, (path, response.text)
    add = {"user_id": colleague.user_id, "role": "viewer"}
    refused = client.post(members, json=add, headers=bearer(reader))
    assert refused.status_code == 403, refused.text
    refused_aip = client.post(
        f"/api/v1/organizations/acme/workspaces/{ws}/users",
        json={"user": colleague.user_id, "role": "viewer"},
        headers=bearer(reader),
    )
    assert refused_aip.status_code == 403, refused_aip.text
    added = client.post(members, json=add, headers=bearer(writer))
    assert added.status_code == 201, added.text
    # Outside its permissions in the other dialects too.
    assert client.delete(f"/workspaces/{ws}", headers=bearer(writer)).status_code == 403
    assert (
        client.patch(
            f"/api/v1/organizations/acme/workspaces/{ws}",
            json={"title": "Renamed"},
            headers=bearer(writer),
        ).status_code
        == 403
    )
    # Where the key acts: its own organization only.
    other = world.person("globex")
    other_ws = create_workspace_in(client, other)
    assert client.get(f"/workspaces/{other_ws}", headers=bearer(reader)).status_code == 404


def create_workspace_in(client: TestClient, person: Person) -> str:
    response = client.post(
        f"/api/v1/organizations/{person.org}/workspaces",
        json={"title": "Elsewhere"},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["uid"])


def test_the_audit_log_names_the_key_as_actor(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    colleague = world.person("acme", org_role="member")
    ws = create_workspace(client, owner)
    key_id, secret = issue_api_key(database, owner, VIEWER_PERMISSIONS | {"members:add"})
    response = client.post(
        f"/api/v1/organizations/acme/workspaces/{ws}/users",
        json={"user": colleague.user_id, "role": "viewer"},
        headers=bearer(secret),
    )
    assert response.status_code == 200, response.text
    events = client.get(
        "/api/v1/organizations/acme/auditEvents",
        params={"filter": 'action = "workspace.member.added"'},
        headers=owner.headers,
    ).json()["audit_events"]
    assert len(events) == 1
    assert events[0]["actor"] == {
        "user_id": None,
        "token_id": None,
        "api_key": f"organizations/acme/apiKeys/{key_id}",
    }


def test_a_key_needs_workspaces_create_and_its_creator_owns_what_it_creates(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    _, plain = issue_api_key(database, owner, ["workspaces:get"])
    _, maker = issue_api_key(
        database, owner, ["workspaces:get", "workspaces:create", "members:list"]
    )
    body = {"title": "By a key"}
    assert (
        client.post(
            "/api/v1/organizations/acme/workspaces", json=body, headers=bearer(plain)
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/workspaces", json={"id": "by-a-key", "name": "By a key"}, headers=bearer(plain)
        ).status_code
        == 403
    )
    made = client.post("/api/v1/organizations/acme/workspaces", json=body, headers=bearer(maker))
    assert made.status_code == 200, made.text
    users = client.get(
        f"/api/v1/organizations/acme/workspaces/{made.json()['uid']}/users", headers=bearer(maker)
    ).json()
    assert [(u["user_id"], u["role"]) for u in users["users"]] == [
        (owner.user_id, "Workspace Owner")
    ]


def test_a_key_never_acts_on_owners(client: TestClient, world: World, database: Database) -> None:
    """Created by an owner, holding every organization permission a key can: still an
    admin's reach at most (rule 4; owner-only powers are never a key's)."""
    owner = world.person("acme")
    co_owner = world.person("acme", org_role="owner")
    member = world.person("acme", org_role="member")
    _, secret = issue_api_key(
        database,
        owner,
        [
            "organization.users:add",
            "organization.users:update",
            "organization.users:remove",
            "organization.tokens:revoke",
            "organization.tokens:list",
        ],
    )
    users = "/api/v1/organizations/acme/users"
    assert (
        client.patch(
            f"{users}/{co_owner.user_id}", json={"org_role": "member"}, headers=bearer(secret)
        ).status_code
        == 403
    )
    assert client.delete(f"{users}/{co_owner.user_id}", headers=bearer(secret)).status_code == 403
    assert (
        client.patch(
            f"{users}/{member.user_id}", json={"org_role": "owner"}, headers=bearer(secret)
        ).status_code
        == 403
    )
    assert (
        client.post(
            users, json={"email": "new@example.com", "org_role": "owner"}, headers=bearer(secret)
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/organizations/acme:transferOwnership",
            json={"user": member.user_id},
            headers=bearer(secret),
        ).status_code
        == 403
    )
    # The owner's own tokens are out of reach too (the key is not its creator).
    tokens = client.get("/api/v1/organizations/acme/tokens", headers=bearer(secret)).json()[
        "tokens"
    ]
    owners_token = next(t for t in tokens if t["name"].startswith(f"users/{owner.user_id}/"))
    assert (
        client.delete(
            f"/api/v1/organizations/acme/tokens/{owners_token['token_id']}", headers=bearer(secret)
        ).status_code
        == 403
    )
    # Within reach: an ordinary member.
    assert (
        client.patch(
            f"{users}/{member.user_id}", json={"org_role": "admin"}, headers=bearer(secret)
        ).status_code
        == 200
    )


def test_a_key_cannot_remove_a_workspace_owner_with_members_remove(
    client: TestClient, world: World, database: Database
) -> None:
    """Rule 4 with a key: removing a member needs every permission of their role."""
    owner = world.person("acme")
    ws_owner = world.person("acme", org_role="member")
    ws = create_workspace(client, ws_owner)
    _, secret = issue_api_key(database, owner, ["members:remove", "members:list", "workspaces:get"])
    response = client.delete(
        f"/api/v1/organizations/acme/workspaces/{ws}/users/{ws_owner.user_id}",
        headers=bearer(secret),
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("change", ["removed", "demoted"])
def test_a_key_stops_when_its_creator_loses_the_authority(
    client: TestClient, world: World, database: Database, change: str
) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    key_id, secret = issue_api_key(database, admin, ["workspaces:get"])
    probe = "/api/v1/organizations/acme/workspaces"
    assert client.get(probe, headers=bearer(secret)).status_code == 200
    path = f"/api/v1/organizations/acme/users/{admin.user_id}"
    if change == "removed":
        assert client.delete(path, headers=owner.headers).status_code == 200
    else:
        response = client.patch(path, json={"org_role": "member"}, headers=owner.headers)
        assert response.status_code == 200, response.text
    assert client.get(probe, headers=bearer(secret)).status_code == 401
    assert client.get(KEYS, headers=owner.headers).json()["api_keys"] == []
    with database.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_key.revoked")
        ).one()
    assert event.resource == f"organizations/acme/apiKeys/{key_id}"
    assert event.after is not None and "no longer an owner or admin" in event.after["reason"]
    if change == "demoted":  # promoted again: the key stays revoked
        client.patch(path, json={"org_role": "admin"}, headers=owner.headers)
        assert client.get(probe, headers=bearer(secret)).status_code == 401


def test_authentication_itself_refuses_a_key_whose_creator_is_no_admin(
    client: TestClient, world: World, database: Database
) -> None:
    """Defence in depth behind revoke_lapsed: a role written by any other path (SQL by an
    operator, a future code path) still stops the key at the next request."""
    admin = world.person("acme", org_role="admin")
    _, secret = issue_api_key(database, admin, ["workspaces:get"])
    with database.write() as session:
        session.execute(
            update(OrganizationMembership)
            .where(OrganizationMembership.user_id == uuid.UUID(admin.user_id))
            .values(org_role="member")
        )
    assert (
        client.get("/api/v1/organizations/acme/workspaces", headers=bearer(secret)).status_code
        == 401
    )


def test_expiry(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    soon = (clock.now() + timedelta(days=1)).isoformat()
    created = client.post(
        KEYS,
        json={"display_name": "x", "permissions": ["workspaces:get"], "expire_time": soon},
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    secret = created.json()["key"]
    with database.write() as session:
        session.execute(update(ApiKey).values(expire_time=clock.now() - timedelta(seconds=1)))
    assert (
        client.get("/api/v1/organizations/acme/workspaces", headers=bearer(secret)).status_code
        == 401
    )
    past = (clock.now() - timedelta(days=1)).isoformat()
    refused = client.post(
        KEYS,
        json={"display_name": "x", "permissions": ["workspaces:get"], "expire_time": past},
        headers=owner.headers,
    )
    assert refused.status_code == 400 and "expire_time" in refused.text


def test_a_key_reads_the_organization_only_as_its_permissions_allow(
    client: TestClient, world: World, database: Database
) -> None:
    """What any member may read (the organization's users, its roles) a key reads only
    when given the permission: least privilege for a credential that leaks more easily."""
    owner = world.person("acme")
    _, bare = issue_api_key(database, owner, ["workspaces:get"])
    _, reader = issue_api_key(database, owner, ["organization.users:list", "roles:list"])
    users = "/api/v1/organizations/acme/users"
    roles = "/api/v1/organizations/acme/roles"
    for path in (users, f"{users}/{owner.user_id}", roles, f"{roles}/viewer"):
        assert client.get(path, headers=bearer(bare)).status_code == 403, path
        assert client.get(path, headers=bearer(reader)).status_code == 200, path
