"""SPEC §5 headers: every response of every dialect and of the root endpoints says
`X-Content-Type-Options: nosniff`; a response carrying a secret says `Cache-Control:
no-store` (and only those: the others may be cached by what the client decides)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.dialects.test_route_security import ROUTES, concrete_path
from tests.mail_support import PUBLIC_URL, invite_token_in_outbox
from tests.support import Person, World, principal_of
from workspaced.invitation import service as invitations
from workspaced.kit.db import Database
from workspaced.workspace import service as workspaces

TOKENS = "/api/v1/me/tokens"
ACCEPT = "/api/v1/invites:accept"

# Root endpoints, errors outside any route (404, 405, 413, invalid input) in each dialect.
EXTRA = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi/aip.json"),
    ("GET", "/openapi/nope.json"),
    ("GET", "/no-such-path"),
    ("GET", "/api/v1/no-such-path"),
    ("GET", "/workspaces/x/no-such-path"),
    ("GET", "/workspace/admin/no-such-path"),
    ("GET", "/v1/no-such-path"),
    ("PUT", "/api/v1/me"),
    ("PATCH", "/workspaces"),
    ("PUT", "/workspace/admin/orgs/x/workspaces/y/users"),
    ("PUT", "/v1/orgs/x/workspaces/y/members"),
]


def _nosniff(response: object) -> str | None:
    return response.headers.get("x-content-type-options")  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(
    ("dialect", "route"),
    [(d, r) for d, _, r in ROUTES],
    ids=[f"{d}:{sorted(r.methods or ())[0]} {r.path}" for d, _, r in ROUTES],
)
def test_every_route_sends_nosniff(client: TestClient, dialect: str, route: APIRoute) -> None:
    response = client.request(sorted(route.methods or ())[0], concrete_path(route.path), json={})
    assert _nosniff(response) == "nosniff", (dialect, route.path, dict(response.headers))


@pytest.mark.parametrize(("method", "path"), EXTRA, ids=[f"{m} {p}" for m, p in EXTRA])
def test_root_endpoints_and_routing_errors_send_nosniff(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert _nosniff(response) == "nosniff", (path, response.status_code)


def test_signed_in_responses_and_validation_errors_send_nosniff(
    client: TestClient, world: World
) -> None:
    owner = world.person("acme")
    for method, path, body in [
        ("GET", "/api/v1/me", None),
        ("GET", "/workspaces", None),
        ("POST", "/workspaces", {"id": 5}),
        ("POST", "/api/v1/organizations/acme/workspaces", {"title": None}),
        ("GET", f"/v1/orgs/{owner.org_id}/workspaces/{uuid.uuid4()}/members?limit=0", None),
        ("GET", f"/workspace/admin/orgs/{owner.org_id}/workspaces/nope/users", None),
    ]:
        response = client.request(method, path, json=body, headers=owner.headers)
        assert response.status_code < 500, response.text
        assert _nosniff(response) == "nosniff", (method, path, response.status_code)


def test_too_large_bodies_send_nosniff(client: TestClient) -> None:
    huge = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    for path in ("/api/v1/me/tokens", "/workspaces", "/v1/orgs/x/workspaces/y/members"):
        response = client.post(path, content=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (path, response.status_code)
        assert _nosniff(response) == "nosniff", path


def test_a_new_token_is_not_stored_by_caches(client: TestClient, world: World) -> None:
    owner = world.person("acme")
    created = client.post(TOKENS, json={"display_name": "ci"}, headers=owner.headers)
    assert created.status_code == 200, created.text
    assert created.json()["token"]
    assert created.headers.get("cache-control") == "no-store"
    assert _nosniff(created) == "nosniff"
    # Responses without a secret are not marked.
    listed = client.get(TOKENS, headers=owner.headers)
    assert listed.status_code == 200
    assert "cache-control" not in listed.headers


def _invite(database: Database, owner: Person, email: str) -> str:
    """The secret of a new invite to a new workspace of `owner`'s (made through the domain:
    the create route's response is not what these tests are about)."""
    principal = principal_of(database, owner)
    with database.write() as session:
        view = workspaces.create(session, principal, owner.org, title="Research")
        invitations.create(
            session,
            principal,
            owner.org,
            view.slug,
            email=email,
            role="viewer",
            public_url=PUBLIC_URL,
        )
        return invite_token_in_outbox(session, email)


def test_accepting_without_an_account_is_not_stored_by_caches(
    client: TestClient, world: World, database: Database
) -> None:
    token = _invite(database, world.person("acme"), "newbie@example.com")
    response = client.post(ACCEPT, json={"invite_token": token, "display_name": "New Bie"})
    assert response.status_code == 200, response.text
    assert response.json()["token"]
    assert response.headers.get("cache-control") == "no-store"
    assert _nosniff(response) == "nosniff"


def test_accepting_signed_in_without_a_new_token_is_not_marked(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme", org_role="owner")
    invitee = world.person("acme", org_role="member")
    token = _invite(database, owner, invitee.email)
    response = client.post(ACCEPT, json={"invite_token": token}, headers=invitee.headers)
    assert response.status_code == 200, response.text
    assert "token" not in response.json()
    assert "cache-control" not in response.headers
