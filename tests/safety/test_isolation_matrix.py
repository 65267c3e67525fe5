"""Tenant isolation, route by route: every route of every mounted dialect (read from the
route tables, so a new route is covered the day it lands) called by every kind of caller
who must be refused, in a world where the refused call would otherwise change something.

Caller kinds:
  no_token, malformed, bad_checksum, revoked, expired   -> 401 (SPEC §3)
  lapsed_key         an API key whose creator was demoted (rule 5)     -> 401
  other_org_jwt      B's owner signed in with the identity provider's JWT: as other_org
  other_org_key      an API key of organization B, A's ids in the path  -> 404
  viewer_key         an API key of A with a viewer's permissions, on every mutating route
                     -> 403 (and on routes only a person may call, -> 403 too)
  other_org          user of organization B, A's ids in the path       -> 404
  other_org_own_path user of B, B's organization + A's resource ids    -> 404
  outsider           member of A without access to W                   -> 404 (SPEC §2)
  viewer             W's viewer on every mutating route                -> 403 (SPEC §2)
  viewer_read        W's viewer on reads of W: positive control        -> 200
  control            an allowed caller: proves the ids and bodies reach the resource
Every 404 must look exactly like the 404 for a missing id (same status, same body once
the id itself is masked). Nothing is written in any refused case (row counts of every
table compared before and after).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests import jwt_support
from tests.safety import stats
from tests.safety.fixture_world import (
    MISSING_SLUG,
    ORG_B,
    W_SLUG,
    W_TITLE,
    SafetyWorld,
    bad_checksum,
    row_counts,
)
from tests.safety.formats import assert_error_format, normalized
from tests.safety.routes import (
    ROUTES,
    WS_PARAM,
    Route,
    body_for,
    fill,
    missing_value,
    path_values,
)
from workspaced.authz.catalog import VIEWER_PERMISSIONS

UNAUTHENTICATED = ("no_token", "malformed", "bad_checksum", "revoked", "expired", "lapsed_key")

# Documented exceptions to "someone who cannot see W gets 404, a viewer 403", each
# citing the SPEC. route -> {caller kind: status}.
DOCUMENTED_EXCEPTIONS: dict[tuple[str, str, str], dict[str, int]] = {
    # SPEC §4.3: "Only organization owners/admins may call it, whatever their workspace
    # role; another member of the organization -> 403; anyone else -> 404." docs/admin.md:
    # the same 403 for an existing, a hidden and a missing workspace (so the 403 is
    # compared with the missing id's answer too: still no existence leak).
    ("admin", "GET", "/workspace/admin/orgs/{org_id}/workspaces/{workspace_id}/users"): {
        "outsider": 403,
        "viewer_read": 403,
    },
}

# Mutating routes any organization member (so W's viewer too) may call: they create the
# caller's own things or only read. Not in the viewer's 403 sweep.
MEMBER_MAY: dict[tuple[str, str, str], str] = {
    ("aip", "POST", "/api/v1/organizations/{organization_id}/workspaces"): (
        "SPEC §2: any organization member may create a workspace and becomes its owner"
    ),
    ("aip", "POST", "/api/v1/organizations/{organization_id}/workspaces:countUsers"): (
        "a read (POST only because the id list can be long); a viewer holds members:list"
    ),
    ("activeloop", "POST", "/workspaces"): "SPEC §4.2: creating a workspace, as above",
    ("aip", "POST", "/api/v1/me/tokens"): "SPEC §4.1: the caller's own tokens",
    ("aip", "POST", "/api/v1/organizations"): (
        "SPEC §4.1: any signed-in user creates an organization (unless the operator keeps "
        "that to the CLI) and owns it; tests/dialects/aip/test_organizations.py"
    ),
    ("aip", "POST", "/api/v1/invites:accept"): "SPEC §4.1: whoever holds an invite token",
    (
        "aip",
        "POST",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}:testPermissions",
    ): "SPEC §8: a read (of the caller's own permissions) by whoever sees the workspace",
}

# Routes that name no organization and no workspace: they act on the caller's own
# things, so they get the 401 checks, and reads by other users must not mention W.
ROUTES_WITHOUT_SCOPE: dict[tuple[str, str, str], str] = {
    ("aip", "GET", "/api/v1/organizations"): "the caller's organizations",
    ("aip", "POST", "/api/v1/organizations"): "a new organization, owned by the caller",
    ("aip", "GET", "/api/v1/me"): "the caller",
    ("aip", "GET", "/api/v1/me/tokens"): "the caller's tokens",
    ("aip", "POST", "/api/v1/me/tokens"): "issues a token to the caller",
    ("aip", "DELETE", "/api/v1/me/tokens/{token_id}"): "another user's token id is a 404",
    ("aip", "POST", "/api/v1/invites:accept"): "the invite token is the credential",
    ("activeloop", "GET", "/workspaces"): "the token's home organization, visible ones",
    ("activeloop", "POST", "/workspaces"): "creates in the token's home organization",
}


def key(route: Route) -> tuple[str, str, str]:
    return (route.dialect, route.method, route.path)


def person_only(route: Route) -> bool:
    """Routes only a person may call (SPEC §3: an API key is a service, not a user): the
    caller's own things, accepting an invitation, creating an organization, managing API
    keys. Any key gets 403 there, the same for every organization (nothing revealed)."""
    return (
        route.path == "/api/v1/me"
        or route.path.startswith("/api/v1/me/")
        or route.path.startswith("/api/v1/organizations/{organization_id}/apiKeys")
        or key(route)
        in {("aip", "POST", "/api/v1/organizations"), ("aip", "POST", "/api/v1/invites:accept")}
    )


# MEMBER_MAY routes an API key may call with a viewer's permissions (a read).
VIEWER_KEY_MAY = {
    ("aip", "POST", "/api/v1/organizations/{organization_id}/workspaces:countUsers"),
    (
        "aip",
        "POST",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}:testPermissions",
    ),
}


def scoped(route: Route) -> bool:
    return route.org_param is not None or route.concerns_workspace


def callers_own(route: Route) -> bool:
    """A /me route naming one of the caller's own resources: someone else's is hidden."""
    return route.path.startswith("/api/v1/me/") and bool(route.params) and not scoped(route)


@dataclass(frozen=True)
class Case:
    route: Route
    kind: str
    expect: str  # "401", "hidden" (404 like missing), "forbidden" (403), "leak-free", "reach"
    status: int

    @property
    def id(self) -> str:
        return f"{self.route.id} [{self.kind}]"


def _refused(route: Route, kind: str, default: str, status: int) -> Case:
    exception = DOCUMENTED_EXCEPTIONS.get(key(route), {}).get(kind)
    if exception is not None:
        return Case(route, kind, "hidden" if exception == 404 else "same-as-missing", exception)
    return Case(route, kind, default, status)


def cases_for(route: Route) -> list[Case]:
    cases = [Case(route, kind, "401", 401) for kind in UNAUTHENTICATED]
    # (f) another organization's user, with a token and with a JWT.
    for kind in ("other_org", "other_org_jwt"):
        if route.params:
            cases.append(_refused(route, kind, "hidden", 404))
        elif route.method == "GET":
            cases.append(Case(route, kind, "leak-free", 200))
    if (route.org_param and len(route.params) > 1) or (
        route.dialect == "activeloop" and WS_PARAM in route.params
    ):
        cases.append(_refused(route, "other_org_own_path", "hidden", 404))
    # (g) a member of the organization without access to W.
    if route.concerns_workspace or callers_own(route):
        cases.append(_refused(route, "outsider", "hidden", 404))
    elif route.permission == "organization:administer":
        # SPEC §2: only organization owners/admins manage the organization.
        cases.append(Case(route, "outsider", "forbidden", 403))
    elif route.method == "GET":
        cases.append(Case(route, "outsider", "leak-free", 200))
    elif key(route) not in MEMBER_MAY:
        cases.append(Case(route, "outsider", "forbidden", 403))
    # (h) W's viewer on every mutating route.
    if route.mutating and key(route) not in MEMBER_MAY:
        if callers_own(route):
            cases.append(_refused(route, "viewer", "hidden", 404))
        else:
            cases.append(_refused(route, "viewer", "forbidden", 403))
    if route.method == "GET" and route.concerns_workspace:
        exception = DOCUMENTED_EXCEPTIONS.get(key(route), {}).get("viewer_read")
        if exception is not None:
            cases.append(Case(route, "viewer_read", "same-as-missing", exception))
        elif route.permission in VIEWER_PERMISSIONS:
            cases.append(Case(route, "viewer_read", "reach", 200))
        else:
            # SPEC §2: a viewer sees W but holds only the viewer's permissions (the
            # route names the one it checks): 403, naming it.
            cases.append(Case(route, "viewer_read", "forbidden", 403))
    # API keys: another organization's, and one of A holding only a viewer's permissions.
    if person_only(route):
        cases.append(Case(route, "other_org_key", "forbidden", 403))
    elif route.params:
        cases.append(_refused(route, "other_org_key", "hidden", 404))
    elif route.method == "GET":
        cases.append(Case(route, "other_org_key", "leak-free", 200))
    if route.mutating and (person_only(route) or key(route) not in VIEWER_KEY_MAY):
        cases.append(Case(route, "viewer_key", "forbidden", 403))
    if route.params:
        cases.append(Case(route, "control", "reach", 0))
    return cases


CASES = [case for route in ROUTES for case in cases_for(route)]
stats.STATS["isolation matrix"] = (
    f"{len(ROUTES)} routes x caller kinds = {len(CASES)} cases "
    f"({len({c.kind for c in CASES})} caller kinds)"
)


def test_unscoped_routes_are_classified() -> None:
    """A route naming neither an organization nor a workspace is where a leak could hide
    from the checks above: each must be listed (and so thought about) in
    ROUTES_WITHOUT_SCOPE."""
    unscoped = {key(r) for r in ROUTES if not scoped(r)}
    unknown = unscoped - set(ROUTES_WITHOUT_SCOPE)
    assert not unknown, f"classify these routes in ROUTES_WITHOUT_SCOPE: {sorted(unknown)}"


def _headers(kind: str, world: SafetyWorld, route: Route) -> dict[str, str]:
    tokens = {
        "malformed": "not-a-token",
        "bad_checksum": bad_checksum(world.ws_owner.token),
        "revoked": world.revoked_token,
        "expired": world.expired_token,
        "lapsed_key": world.lapsed_key,
        "other_org_key": world.other_key,
        "viewer_key": world.viewer_key,
        "other_org_jwt": jwt_support.token_for(world.other.email),
    }
    if kind == "no_token":
        return {}
    if kind in tokens:
        return {"Authorization": f"Bearer {tokens[kind]}"}
    person = {
        "other_org": world.other,
        "other_org_own_path": world.other,
        "outsider": world.outsider,
        "viewer": world.viewer,
        "viewer_read": world.viewer,
        "control": world.ws_owner if callers_own(route) else world.org_owner,
    }[kind]
    return person.headers


def _call(
    client: TestClient, route: Route, values: dict[str, str], world: SafetyWorld, kind: str
) -> httpx.Response:
    body = body_for(route, world, values)
    kwargs: dict[str, Any] = {"headers": _headers(kind, world, route)}
    if body is not None:
        kwargs["json"] = body
    return client.request(route.method, fill(route.path, values), **kwargs)


def _values(case: Case, world: SafetyWorld) -> dict[str, str]:
    if case.kind == "other_org_own_path":
        # B's own organization, A's workspace by uid (a slug would name B's own space).
        return {
            **path_values(case.route, world, workspace_by_uid=True),
            **{
                p: v
                for p, v in path_values(case.route, world, org=ORG_B).items()
                if p in ("organization_id", "org_id")
            },
        }
    return path_values(case.route, world)


def _missing_twin(case: Case, values: dict[str, str]) -> tuple[dict[str, str], str]:
    target = case.route.target_param
    if target is None:  # the workspace is named in the body only
        return values, ""
    present = values[target]
    return {**values, target: missing_value(case.route, target, present)}, present


def _check(case: Case, client: TestClient, world: SafetyWorld) -> None:
    route = case.route
    values = _values(case, world)
    before = row_counts(world.database)
    response = _call(client, route, values, world, case.kind)
    context = f"{case.id}: {response.status_code} {response.text[:300]}"

    if case.expect == "reach":
        if case.status:
            assert response.status_code == case.status, context
        else:
            # Authorized and found: whatever the outcome, it is not a refusal.
            assert response.status_code not in (401, 403, 404), context
            assert response.status_code < 500, context
        return

    if case.expect == "leak-free":
        assert response.status_code == 200, context
        forbidden = [W_TITLE, world.w_id]
        if case.kind in ("other_org", "other_org_key", "other_org_jwt"):
            forbidden += [world.org_a_id, world.ws_owner.email, '"organizations/acme"']
        for secret in forbidden:
            assert secret not in response.text, f"{case.id} leaks {secret!r}: {response.text}"
    else:
        assert response.status_code == case.status, context
        assert_error_format(route.dialect, response)
        if case.status == 401:
            assert response.headers.get("www-authenticate") == "Bearer", context
        if case.expect in ("hidden", "same-as-missing"):
            _assert_same_as_missing(case, client, world, values, response)
    assert row_counts(world.database) == before, f"{case.id} wrote to the database"


def _assert_same_as_missing(
    case: Case,
    client: TestClient,
    world: SafetyWorld,
    values: dict[str, str],
    response: httpx.Response,
) -> None:
    """No existence leak: the answer for W is the answer for an id that names nothing."""
    route = case.route
    twin_values, present = _missing_twin(case, values)
    twin = _missing_call(client, route, twin_values, world, case, present)
    assert twin.status_code == response.status_code, (case.id, response.text, twin.text)
    names = [present, W_SLUG, MISSING_SLUG, twin_values.get(route.target_param or "", "")]
    names = [n for n in names if n]
    assert normalized(response.json(), names) == normalized(twin.json(), names), (
        f"{case.id}: the answer differs from a missing id's:\n{response.text}\n{twin.text}"
    )


# Cases that cannot write (every refusal, and allowed reads) share one world per run:
# each asserts that it wrote nothing, so the world stays as built.
SHARED = [c for c in CASES if not (c.kind == "control" and c.route.mutating)]
# An allowed mutation changes the world: each gets a fresh one.
ISOLATED = [c for c in CASES if c.kind == "control" and c.route.mutating]


class TestRefusals:
    @pytest.mark.parametrize("case", SHARED, ids=[c.id for c in SHARED])
    def test_isolation(self, case: Case, shared_world: tuple[SafetyWorld, TestClient]) -> None:
        world, client = shared_world
        _check(case, client, world)


@pytest.mark.parametrize("case", ISOLATED, ids=[c.id for c in ISOLATED])
def test_allowed_mutation_reaches_the_resource(
    case: Case, client: TestClient, safety_world: SafetyWorld
) -> None:
    _check(case, client, safety_world)


def _missing_call(
    client: TestClient,
    route: Route,
    values: dict[str, str],
    world: SafetyWorld,
    case: Case,
    present: str,
) -> httpx.Response:
    if present:
        return _call(client, route, values, world, case.kind)
    # The workspace is in the body: name a missing one there.
    body = body_for(route, world, {**values, WS_PARAM: MISSING_SLUG})
    return client.request(
        route.method,
        fill(route.path, values),
        headers=_headers(case.kind, world, route),
        json=body,
    )
