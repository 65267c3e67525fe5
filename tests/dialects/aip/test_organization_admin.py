"""Organization users, custom roles and the audit log (issue: people and access)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.mail_support import Mailbox
from tests.support import Person, World, error_of

ORG = "/api/v1/organizations/acme"
WS = ORG + "/workspaces"


def make_workspace(client: TestClient, owner: Person, slug: str) -> None:
    response = client.post(
        WS, params={"workspace_id": slug}, json={"title": slug}, headers=owner.headers
    )
    assert response.status_code == 200, response.text


def add_member(client: TestClient, actor: Person, slug: str, user: str, role: str) -> int:
    return client.post(
        f"{WS}/{slug}/users", json={"user": user, "role": role}, headers=actor.headers
    ).status_code


def test_admins_add_list_and_change_organization_users(client: TestClient, world: World) -> None:
    owner = world.person("acme", name="Owner")
    admin = world.person("acme", org_role="admin")
    member = world.person("acme", org_role="member")
    created = client.post(
        f"{ORG}/users", json={"email": "New@Corp.io", "display_name": "Newt"}, headers=admin.headers
    )
    assert created.status_code == 200, created.text
    newt = created.json()
    assert newt["org_role"] == "member" and newt["display_name"] == "Newt"
    assert (
        client.post(
            f"{ORG}/users", json={"email": "new@corp.io"}, headers=admin.headers
        ).status_code
        == 409
    )
    assert (
        client.post(f"{ORG}/users", json={"email": "x@corp.io"}, headers=member.headers).status_code
        == 403
    )
    listed = client.get(
        f"{ORG}/users", params={"filter": 'search:"newt"'}, headers=member.headers
    ).json()["users"]
    assert [u["email"] for u in listed] == ["New@Corp.io"]
    admins = client.get(
        f"{ORG}/users", params={"filter": "org_role=admin"}, headers=owner.headers
    ).json()["users"]
    assert [u["user_id"] for u in admins] == [admin.user_id]
    by_email = client.get(f"{ORG}/users/new@corp.io", headers=member.headers)
    assert by_email.json()["user_id"] == newt["user_id"]
    promoted = client.patch(
        f"{ORG}/users/{newt['user_id']}", json={"org_role": "admin"}, headers=admin.headers
    )
    assert promoted.json()["org_role"] == "admin"
    page = client.get(f"{ORG}/users", params={"page_size": 2}, headers=owner.headers).json()
    rest = client.get(
        f"{ORG}/users",
        params={"page_size": 2, "page_token": page["next_page_token"]},
        headers=owner.headers,
    ).json()
    assert len({u["user_id"] for u in page["users"] + rest["users"]}) == 4


def test_only_owners_touch_the_owner_role_and_the_last_owner_stays(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    admin = world.person("acme", org_role="admin")
    member = world.person("acme", org_role="member")
    for response in [
        client.patch(
            f"{ORG}/users/{member.user_id}", json={"org_role": "owner"}, headers=admin.headers
        ),
        client.patch(
            f"{ORG}/users/{owner.user_id}", json={"org_role": "member"}, headers=admin.headers
        ),
        client.delete(f"{ORG}/users/{owner.user_id}", headers=admin.headers),
        client.post(
            f"{ORG}/users",
            json={"email": "boss@corp.io", "org_role": "owner"},
            headers=admin.headers,
        ),
    ]:
        assert response.status_code == 403, response.text
    last = client.patch(
        f"{ORG}/users/{owner.user_id}", json={"org_role": "admin"}, headers=owner.headers
    )
    assert last.status_code == 400
    assert error_of(last)["status"] == "FAILED_PRECONDITION"
    assert client.delete(f"{ORG}/users/{owner.user_id}", headers=owner.headers).status_code == 400
    assert (
        client.patch(
            f"{ORG}/users/{member.user_id}", json={"org_role": "owner"}, headers=owner.headers
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"{ORG}/users/{owner.user_id}", json={"org_role": "member"}, headers=owner.headers
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"{ORG}/users/{member.user_id}", json={"org_role": "galaxy"}, headers=member.headers
        ).status_code
        == 400
    )


def test_removing_an_organization_user_removes_memberships_and_tokens(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    leaver = world.person("acme")
    make_workspace(client, owner, "one")
    make_workspace(client, owner, "two")
    for slug in ("one", "two"):
        assert add_member(client, owner, slug, leaver.email, "editor") == 200
    assert client.get(f"{WS}/one", headers=leaver.headers).status_code == 200
    removed = client.delete(f"{ORG}/users/{leaver.email}", headers=owner.headers)
    assert removed.status_code == 200, removed.text
    # The very next request with the removed user's token is refused.
    assert client.get(f"{WS}/one", headers=leaver.headers).status_code == 401
    for slug in ("one", "two"):
        users = client.get(f"{WS}/{slug}/users", headers=owner.headers).json()["users"]
        assert leaver.user_id not in {u["user_id"] for u in users}
    counts = client.post(
        f"{WS}:countUsers", json={"workspace_ids": ["one"]}, headers=owner.headers
    ).json()["counts"]
    assert counts == {"one": 1}
    # Coming back does not revive the old token.
    client.post(f"{ORG}/users", json={"email": leaver.email}, headers=owner.headers)
    assert client.get(f"{WS}", headers=leaver.headers).status_code == 401


def test_removing_the_only_owner_of_a_workspace_is_refused(
    client: TestClient, world: World
) -> None:
    world.person("acme")
    creator = world.person("acme", org_role="admin")
    make_workspace(client, creator, "solo")
    refused = client.delete(f"{ORG}/users/{creator.user_id}", headers=world.people[0].headers)
    assert refused.status_code == 400
    assert "solo" in error_of(refused)["message"]
    assert client.get(f"{WS}/solo", headers=creator.headers).status_code == 200


def test_custom_roles_lifecycle_and_permissions(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    auditor = world.person("acme", org_role="member")
    other = world.person("acme", org_role="member")
    make_workspace(client, owner, "team")
    created = client.post(
        f"{ORG}/roles",
        json={
            "role_id": "auditor",
            "display_name": "Auditor",
            "description": "reads members",
            "permissions": ["members:list", "workspaces:get"],
        },
        headers=owner.headers,
    )
    assert created.status_code == 200, created.text
    assert created.json()["built_in"] is False
    assert (
        client.post(
            f"{ORG}/roles",
            json={"role_id": "bad", "display_name": "Bad", "permissions": ["members:fly"]},
            headers=owner.headers,
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{ORG}/roles",
            json={"role_id": "owner", "display_name": "X", "permissions": ["members:list"]},
            headers=owner.headers,
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{ORG}/roles",
            json={
                "role_id": "auditor2",
                "display_name": "auditor",
                "permissions": ["members:list"],
            },
            headers=owner.headers,
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"{ORG}/roles",
            json={"role_id": "x", "display_name": "X", "permissions": ["members:list"]},
            headers=auditor.headers,
        ).status_code
        == 403
    )
    listed = client.get(f"{WS}/team/roles", headers=owner.headers).json()["roles"]
    assert [r["role_id"] for r in listed] == ["owner", "editor", "viewer", "auditor"]
    assert add_member(client, owner, "team", auditor.email, "Auditor") == 200
    assert client.get(f"{WS}/team/users", headers=auditor.headers).status_code == 200
    denied = client.post(
        f"{WS}/team/users", json={"user": other.email, "role": "viewer"}, headers=auditor.headers
    )
    assert denied.status_code == 403
    assert error_of(denied)["details"][0]["metadata"]["permission"] == "members:add"
    assert client.get(f"{WS}/team/preferences", headers=auditor.headers).status_code == 403
    in_use = client.delete(f"{ORG}/roles/auditor", headers=owner.headers)
    assert in_use.status_code == 409
    patched = client.patch(
        f"{ORG}/roles/auditor",
        json={"permissions": ["members:list", "workspaces:get", "preferences:get"]},
        headers=owner.headers,
    )
    assert "preferences:get" in patched.json()["permissions"]
    assert client.get(f"{WS}/team/preferences", headers=auditor.headers).status_code == 200
    assert (
        client.patch(
            f"{ORG}/roles/viewer", json={"description": "x"}, headers=owner.headers
        ).status_code
        == 400
    )
    client.patch(
        f"{WS}/team/users/{auditor.user_id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert client.delete(f"{ORG}/roles/auditor", headers=owner.headers).status_code == 200
    assert client.get(f"{ORG}/roles/auditor", headers=owner.headers).status_code == 404


def test_a_custom_role_cannot_grant_more_than_it_holds(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    recruiter = world.person("acme", org_role="member")
    newcomer = world.person("acme", org_role="member")
    make_workspace(client, owner, "team")
    client.post(
        f"{ORG}/roles",
        json={
            "role_id": "recruiter",
            "display_name": "Recruiter",
            "permissions": ["members:add", "members:list", "workspaces:get"],
        },
        headers=owner.headers,
    )
    assert add_member(client, owner, "team", recruiter.email, "recruiter") == 200
    assert add_member(client, recruiter, "team", newcomer.email, "owner") == 403
    assert add_member(client, recruiter, "team", newcomer.email, "recruiter") == 200


def test_audit_log_of_a_scripted_scenario(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    owner = world.person("acme")
    bob = world.person("acme", org_role="member")
    make_workspace(client, owner, "audited")
    client.post(
        f"{WS}/audited/invites",
        json={"email": bob.email, "role": "viewer"},
        headers=owner.headers,
    ).json()
    accepted = client.post(
        "/api/v1/invites:accept",
        json={"invite_token": mailbox.invite_token(bob.email)},
        headers=bob.headers,
    )
    assert accepted.status_code == 200, accepted.text
    client.patch(
        f"{WS}/audited/users/{bob.user_id}", json={"role": "editor"}, headers=owner.headers
    )
    client.patch(f"{WS}/audited", json={"title": "Renamed"}, headers=owner.headers)
    client.delete(f"{WS}/audited/users/{bob.user_id}", headers=owner.headers)
    client.delete(
        f"{WS}/audited",
        headers={**owner.headers, "X-Request-Id": "req-42", "User-Agent": "audit-test"},
    )
    response = client.get(
        f"{ORG}/auditEvents",
        params={"filter": 'action:"workspace." OR action:"invite."'},
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    events = response.json()["audit_events"]
    assert [(e["action"], e["actor"]["user_id"]) for e in events] == [
        ("workspace.created", owner.user_id),
        ("invite.created", owner.user_id),
        ("invite.accepted", bob.user_id),
        ("workspace.member.added", bob.user_id),
        ("workspace.member.role_changed", owner.user_id),
        ("workspace.updated", owner.user_id),
        ("workspace.member.removed", owner.user_id),
        ("workspace.deleted", owner.user_id),
    ]
    assert mailbox.invite_token(bob.email) not in response.text
    events = [e for e in events if not e["action"].startswith("invite.")]
    changed = events[2]
    assert changed["before"] == {"role": "viewer"} and changed["after"] == {"role": "editor"}
    assert changed["resource"] == f"organizations/acme/workspaces/audited/users/{bob.user_id}"
    assert events[-1]["request_id"] == "req-42" and events[-1]["user_agent"] == "audit-test"
    assert events[3]["before"] == {"title": "audited"}
    by_actor = client.get(
        f"{ORG}/auditEvents", params={"filter": f"actor={bob.user_id}"}, headers=owner.headers
    ).json()["audit_events"]
    assert [e["action"] for e in by_actor] == ["invite.accepted", "workspace.member.added"]
    assert client.get(f"{ORG}/auditEvents", headers=bob.headers).status_code == 403
    newest = client.get(
        f"{ORG}/auditEvents",
        params={"order_by": "time desc", "page_size": 1},
        headers=owner.headers,
    ).json()
    assert newest["audit_events"][0]["action"] == "workspace.deleted"
    assert newest["next_page_token"]
    # Bootstrap (the CLI) writes events too, with no user actor; no secret is ever recorded.
    everything = client.get(
        f"{ORG}/auditEvents", params={"page_size": 1000}, headers=owner.headers
    ).text
    assert "organization.created" in everything and "token.created" in everything
    assert owner.token not in everything and bob.token not in everything
