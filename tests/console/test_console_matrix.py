"""The console's isolation matrix: every console route (read from the console app's route
table, so a new page is covered at once) for each kind of caller.

The API's matrix (tests/safety/test_isolation_matrix.py) calls routes with bearer tokens
and compares dialect error envelopes; console routes take a session cookie and answer
HTML, so they get this matrix of their own:
- anonymous: every page redirects to sign-in, every post changes nothing;
- another organization's signed-in owner: every organization page answers 404, exactly as
  for an organization that does not exist;
- a member who is a workspace viewer: the organization's admin pages (audit log,
  members, settings, ...) answer 403 as the API does, and the admin posts change nothing;
- every post without the session's CSRF token answers 403 and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.console.console_support import csrf_of, post_form, sign_in
from tests.dialects.test_route_security import api_routes
from tests.support import Person, World
from workspaced.console.app import create_console
from workspaced.http.context import AppContext
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.models import AuditEvent, ConsoleSession, Invite, Workspace, WorkspaceMembership

# Routes anyone may open: the sign-in form, the identity provider's sign-in and its
# callback, the invitation link (the token in it is the credential), the front door (which
# redirects).
PUBLIC = {
    ("GET", "/console"),
    ("GET", "/console/"),
    ("GET", "/console/sign-in"),
    ("POST", "/console/sign-in"),
    ("GET", "/console/sign-in/oidc"),
    ("GET", "/console/sign-in/oidc/callback"),
    ("GET", "/console/invitations/accept"),
    ("POST", "/console/invitations/accept"),
}
# Organization pages only its owners and admins reach.
ADMIN_ONLY = {
    "/console/orgs/{org}/audit",
    "/console/orgs/{org}/members",
    "/console/orgs/{org}/members/{user_id}/role",
    "/console/orgs/{org}/members/{user_id}/remove",
    "/console/orgs/{org}/settings",
    "/console/orgs/{org}/settings/rename",
    "/console/orgs/{org}/settings/transfer",
    "/console/orgs/{org}/api-keys",
    "/console/orgs/{org}/api-keys/{key_id}/revoke",
    "/console/orgs/{org}/webhooks",
    "/console/orgs/{org}/webhooks/{endpoint_id}",
    "/console/orgs/{org}/webhooks/{endpoint_id}/state",
    "/console/orgs/{org}/webhooks/{endpoint_id}/rotate",
    "/console/orgs/{org}/webhooks/{endpoint_id}/delete",
    "/console/orgs/{org}/webhooks/{endpoint_id}/deliveries",
    "/console/orgs/{org}/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
}
# Pages every member reads whose forms only owners and admins may use.
ADMIN_ONLY_POSTS = {
    "/console/orgs/{org}/roles",
    "/console/orgs/{org}/roles/{role_id}",
    "/console/orgs/{org}/roles/{role_id}/delete",
}


def console_routes(database: Database) -> list[tuple[str, str]]:
    app = create_console(AppContext.load(database, MailSettings()))
    routes = api_routes(list(app.app.routes))  # type: ignore[attr-defined]
    found = [(method, route.path) for route in routes for method in sorted(route.methods)]
    assert len(found) > 15
    return found


class World2:
    def __init__(self, world: World, client: TestClient) -> None:
        self.owner = world.person("acme")
        self.viewer = world.person("acme", org_role="member")
        self.outsider = world.person("zenith")
        sign_in(client, self.owner.token)
        listing = "/console/orgs/acme/workspaces"
        post_form(client, listing, listing, {"title": "Core", "workspace_id": "core"})
        members = f"{listing}/core/members"
        post_form(client, members, members, {"email": self.viewer.email, "role": "viewer"})
        invitations = f"{listing}/core/invitations"
        post_form(client, invitations, invitations, {"email": "i@example.com", "role": "viewer"})
        page = client.get(invitations).text
        found = re.search(r"invitations/([0-9a-f-]{36})/revoke", page)
        assert found
        self.invite_id = found.group(1)
        keys = "/console/orgs/acme/api-keys"
        post_form(client, keys, keys, {"display_name": "k", "permission:workspaces:get": "on"})
        key = re.search(r"api-keys/([0-9a-f-]{36})/revoke", client.get(keys).text)
        assert key
        self.key_id = key.group(1)
        roles = "/console/orgs/acme/roles"
        role = {"role_id": "auditor", "display_name": "Auditor", "permission:members:list": "on"}
        assert post_form(client, roles, roles, role).status_code == 303
        hooks = "/console/orgs/acme/webhooks"
        # A public address literal (no DNS), for an event type nothing here emits.
        endpoint = {"url": "https://93.184.215.14/hook", "event:role.deleted": "on"}
        post_form(client, hooks, hooks, endpoint)
        found_endpoint = re.search(r"webhooks/([0-9a-f-]{36})/deliveries", client.get(hooks).text)
        assert found_endpoint
        self.endpoint_id = found_endpoint.group(1)
        client.cookies.clear()

    def path(self, template: str, org: str = "acme") -> str:
        return (
            template.replace("{org}", org)
            .replace("{workspace}", "core")
            .replace("{user_id}", self.viewer.user_id)
            .replace("{invite_id}", self.invite_id)
            .replace("{key_id}", self.key_id)
            .replace("{endpoint_id}", self.endpoint_id)
            .replace("{role_id}", "auditor")
            .replace("{delivery_id}", str(uuid.uuid4()))
        )


@pytest.fixture
def matrix(world: World, client: TestClient) -> Iterator[World2]:
    yield World2(world, client)


def _state(database: Database) -> tuple[int, ...]:
    with database.read() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AuditEvent, Workspace, WorkspaceMembership, Invite)
        )


def _session_as(client: TestClient, person: Person) -> str:
    client.cookies.clear()
    assert sign_in(client, person.token).status_code == 303
    page = client.get("/console/organizations")
    return csrf_of(page.text)


def test_anonymous_callers_are_sent_to_sign_in(
    matrix: World2, client: TestClient, database: Database
) -> None:
    before = _state(database)
    for method, template in console_routes(database):
        if (method, template) in PUBLIC:
            continue
        response = client.request(
            method, matrix.path(template), data={"title": "x"}, follow_redirects=False
        )
        assert response.status_code == 303, (method, template)
        assert response.headers["location"].startswith("/console/sign-in"), (method, template)
    assert _state(database) == before


def test_another_organizations_pages_answer_404(
    matrix: World2, client: TestClient, database: Database
) -> None:
    csrf_token = _session_as(client, matrix.outsider)
    before = _state(database)
    checked = 0
    for method, template in console_routes(database):
        if "{org}" not in template:
            continue
        answers = []
        for org in ("acme", "no-such-org"):
            response = client.request(
                method,
                matrix.path(template, org),
                data={"csrf_token": csrf_token, "title": "x", "email": "x@example.com"},
                follow_redirects=False,
            )
            assert response.status_code == 404, (method, template, org, response.text[-300:])
            answers.append(response.text.replace(org, "ORG"))
        # Exactly the page a missing organization gets: nothing about acme leaks.
        assert answers[0] == answers[1], (method, template)
        checked += 1
    assert checked >= 16
    assert _state(database) == before


def test_a_viewer_cannot_reach_the_admin_pages(
    matrix: World2, client: TestClient, database: Database
) -> None:
    csrf_token = _session_as(client, matrix.viewer)
    assert client.get("/console/orgs/acme/workspaces/core/members").status_code == 200
    before = _state(database)
    for method, template in console_routes(database):
        admin_only = template in ADMIN_ONLY or (method == "POST" and template in ADMIN_ONLY_POSTS)
        if not admin_only:
            continue
        response = client.request(
            method,
            matrix.path(template),
            data={"csrf_token": csrf_token, "display_name": "Taken", "user": matrix.viewer.email},
            follow_redirects=False,
        )
        assert response.status_code == 403, (method, template)
    # The workspace's own admin actions are the domain's to refuse, on the page.
    members = "/console/orgs/acme/workspaces/core/members"
    refused = post_form(client, members, f"{members}/{matrix.owner.user_id}/remove", {})
    assert refused.status_code == 403 and "Refused" in refused.text
    assert _state(database) == before


def test_every_post_needs_the_sessions_csrf_token(
    matrix: World2, client: TestClient, database: Database
) -> None:
    _session_as(client, matrix.owner)
    before = _state(database)
    sessions_before = _count_sessions(database)
    for method, template in console_routes(database):
        if method != "POST":
            continue
        for token in (None, "forged" * 7):
            data = {"title": "x", "email": "x@example.com", "role": "owner", "token": "x"}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(matrix.path(template), data=data, follow_redirects=False)
            assert response.status_code == 403, (template, token)
    assert _state(database) == before
    assert _count_sessions(database) == sessions_before  # sign-out did not happen either


def _count_sessions(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(ConsoleSession)) or 0)


JUNK = ["", "x" * 5000, "%00\\u0000", "../../etc", "' OR 1=1 --", "\U0001f600" * 10, "-1"]


def test_bad_input_never_answers_500(
    matrix: World2, client: TestClient, database: Database
) -> None:
    """SPEC §5 for the console: junk in every path parameter, query parameter and form
    field answers a 4xx page (or a redirect), never a 500."""
    csrf_token = _session_as(client, matrix.owner)
    routes = console_routes(database)
    for method, template in routes:
        for junk in JUNK:
            # Each parameter in turn holds the junk, the others a real value.
            names = re.findall(r"{\w+}", template) or [""]
            junk_name = names[len(junk) % len(names)]
            path = matrix.path(template.replace(junk_name, quote(junk[:300], safe="") or "-"))
            params = {
                name: junk
                for name in (
                    "page_token",
                    "filter",
                    "order_by",
                    "state",
                    "actor",
                    "after",
                    "before",
                    "token",
                    "next",
                )
            }
            fields = {
                name: junk
                for name in ("title", "workspace_id", "email", "role", "display_name", "url")
            }
            fields.update({"csrf_token": csrf_token, "permission:nope": "on"})
            if method == "GET":
                response = client.get(path, params=params, follow_redirects=False)
            else:
                response = client.post(path, data=fields, follow_redirects=False)
            assert response.status_code < 500, (method, path[:100], junk[:20], response.text[-300:])
