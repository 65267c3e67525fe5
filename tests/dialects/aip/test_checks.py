"""Permission checks (SPEC §8): the caller's role and permissions on GET, :testPermissions,
and :checkAccess, which must answer exactly what the domain's own resolution and
`require` answer (a property test over random organizations), reading its own writes."""

from __future__ import annotations

import contextlib
import os
import uuid

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Person, World, issue_api_key, principal_of
from workspaced.authz.access import Principal, require
from workspaced.authz.catalog import OWNER_PERMISSIONS, PERMISSIONS, VIEWER_PERMISSIONS
from workspaced.kit.db import Database
from workspaced.kit.errors import AlreadyExists, NotFound, PermissionDenied
from workspaced.membership import service as memberships
from workspaced.role import custom as custom_roles
from workspaced.workspace import checks
from workspaced.workspace import service as workspaces

ORG = "/api/v1/organizations/acme"
WS = f"{ORG}/workspaces"
EXAMPLES = int(os.environ.get("WORKSPACED_CHECK_EXAMPLES", "15"))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_workspace(client: TestClient, owner: Person, slug: str = "ws") -> str:
    made = client.post(
        f"/api/v1/organizations/{owner.org}/workspaces",
        params={"workspace_id": slug},
        json={"title": slug},
        headers=owner.headers,
    )
    assert made.status_code == 200, made.text
    return str(made.json()["uid"])


def check(client: TestClient, who: dict[str, str], *items: tuple[str, str, str]) -> list[bool]:
    body = {"checks": [{"user": u, "workspace": w, "permission": p} for u, w, p in items]}
    response = client.post(f"{ORG}:checkAccess", json=body, headers=who)
    assert response.status_code == 200, response.text
    return [r["allowed"] for r in response.json()["results"]]


def test_get_says_what_the_caller_holds(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme", org_role="member")
    make_workspace(client, owner)
    client.post(
        f"{WS}/ws/users", json={"user": viewer.user_id, "role": "viewer"}, headers=owner.headers
    )
    as_viewer = client.get(f"{WS}/ws", headers=viewer.headers).json()
    assert (as_viewer["role"], as_viewer["permissions"]) == ("viewer", sorted(VIEWER_PERMISSIONS))
    admin = world.person("acme", org_role="admin")
    as_admin = client.get(f"{WS}/ws", headers=admin.headers).json()
    assert (as_admin["role"], as_admin["permissions"]) == (None, sorted(OWNER_PERMISSIONS))


def test_test_permissions(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    viewer = world.person("acme", org_role="member")
    outsider = world.person("acme", org_role="member")
    make_workspace(client, owner)
    client.post(
        f"{WS}/ws/users", json={"user": viewer.user_id, "role": "viewer"}, headers=owner.headers
    )
    asked = {"permissions": ["members:add", "workspaces:get", "members:list", "workspaces:get"]}
    held = client.post(f"{WS}/ws:testPermissions", json=asked, headers=viewer.headers)
    assert held.json() == {"permissions": ["workspaces:get", "members:list"]}
    assert (
        client.post(f"{WS}/ws:testPermissions", json=asked, headers=outsider.headers).status_code
        == 404
    )
    unknown = client.post(
        f"{WS}/ws:testPermissions", json={"permissions": ["fly"]}, headers=viewer.headers
    )
    assert unknown.status_code == 400 and "fly" in unknown.text


def test_check_access_and_who_may_ask(client: TestClient, world: World, database: Database) -> None:
    owner = world.person("acme")
    viewer = world.person("acme", org_role="member")
    stranger = world.person("globex")
    uid = make_workspace(client, owner)
    make_workspace(client, stranger, "theirs")
    client.post(
        f"{WS}/ws/users", json={"user": viewer.user_id, "role": "viewer"}, headers=owner.headers
    )
    items = [
        (viewer.user_id, "ws", "members:list"),
        (viewer.email.upper(), uid, "members:list"),  # an email, a uid
        (viewer.user_id, "ws", "members:add"),
        (stranger.user_id, "ws", "workspaces:get"),  # not a member of acme
        (viewer.user_id, "theirs", "workspaces:get"),  # not a workspace of acme
        (viewer.user_id, "no-such-ws", "workspaces:get"),
        (str(uuid.uuid4()), "ws", "workspaces:get"),
        (owner.user_id, "ws", "invites:delete"),
    ]
    expected = [True, True, False, False, False, False, False, True]
    assert check(client, owner.headers, *items) == expected
    _, key = issue_api_key(database, owner, ["access:check"])
    assert check(client, bearer(key), *items) == expected
    _, plain = issue_api_key(database, owner, ["workspaces:get"])
    body = {"checks": [{"user": viewer.user_id, "workspace": "ws", "permission": "workspaces:get"}]}
    assert client.post(f"{ORG}:checkAccess", json=body, headers=bearer(plain)).status_code == 403
    assert client.post(f"{ORG}:checkAccess", json=body, headers=viewer.headers).status_code == 403
    assert client.post(f"{ORG}:checkAccess", json=body, headers=stranger.headers).status_code == 404
    too_many = {"checks": body["checks"] * 101}
    assert (
        client.post(f"{ORG}:checkAccess", json=too_many, headers=owner.headers).status_code == 400
    )


def test_checks_read_their_own_writes(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    member = world.person("acme", org_role="member")
    make_workspace(client, owner)
    client.post(
        f"{WS}/ws/users", json={"user": member.user_id, "role": "viewer"}, headers=owner.headers
    )
    path = f"{WS}/ws/users/{member.user_id}"
    for i in range(100):
        role = "editor" if i % 2 == 0 else "viewer"
        assert client.patch(path, json={"role": role}, headers=owner.headers).status_code == 200
        assert check(client, owner.headers, (member.user_id, "ws", "workspaces:update")) == [
            role == "editor"
        ]


ROLE_CHOICES = ["owner", "editor", "viewer", "auditor", None]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    org_roles=st.lists(
        st.sampled_from(["admin", "member", "member", "member"]), min_size=3, max_size=3
    ),
    grants=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(ROLE_CHOICES)), max_size=6
    ),
    delete_second=st.booleans(),
    auditor=st.sets(st.sampled_from(sorted(PERMISSIONS)), min_size=1, max_size=4),
)
def test_check_access_answers_what_the_domain_answers(
    database: Database,
    org_roles: list[str],
    grants: list[tuple[int, int, str | None]],
    delete_second: bool,
    auditor: set[str],
) -> None:
    world = World(database)
    org = f"prop-{uuid.uuid4().hex[:8]}"
    owner = world.person(org)
    people = [world.person(org, org_role=role) for role in org_roles]
    outsider = world.person(f"{org}-other")
    by_owner = principal_of(database, owner)
    with database.write() as session:
        custom_roles.create(
            session,
            by_owner,
            org,
            role_id="auditor",
            display_name="Auditor",
            permissions=sorted(auditor),
        )
        for slug in ("w0", "w1"):
            workspaces.create(session, by_owner, org, title=slug, slug=slug)
    for person_index, ws_index, role in grants:
        if role is None:
            continue
        # A member already: the first grant stays (the failed one rolls back).
        with contextlib.suppress(AlreadyExists), database.write() as session:
            memberships.add(
                session,
                by_owner,
                org,
                f"w{ws_index}",
                user_ref=people[person_index].user_id,
                role=role,
            )
    if delete_second:
        with database.write() as session:
            workspaces.delete(session, by_owner, org, "w1")
    users = [*people, owner, outsider]
    items = [
        checks.Check(u.user_id, ws, permission)
        for u in users
        for ws in ("w0", "w1", "missing")
        for permission in sorted(PERMISSIONS)
    ]
    answered: list[bool] = []
    with database.read() as session:
        for start in range(0, len(items), checks.MAX_CHECKS):
            batch = items[start : start + checks.MAX_CHECKS]
            answered += checks.check_access(session, by_owner, org, batch)
    principals = {u.user_id: principal_of(database, u) for u in users}
    for item, allowed in zip(items, answered, strict=True):
        assert allowed == _domain_says(database, principals[item.user], org, item), item


def _domain_says(database: Database, principal: Principal, org: str, item: checks.Check) -> bool:
    with database.read() as session:
        try:
            ctx = workspaces.resolve(session, principal, org, item.workspace)
            require(ctx.access, item.permission)
        except (NotFound, PermissionDenied):
            return False
    return True
