"""Every route of every mounted dialect, read from the apps' route tables, with what the
safety tests need to call it: concrete ids for its path parameters and a valid body.

A route added to any dialect is picked up here without a change. Path parameters and
bodies of routes this file does not know get generic values (a UUID, a body built from
the OpenAPI schema), so a new route is exercised at once; a row in BODIES makes its body
realistic.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from tests.dialects.test_route_security import api_routes
from tests.safety.fixture_world import (
    CUSTOM_ROLE,
    MISSING_ORG_SLUG,
    MISSING_SLUG,
    ORG_A,
    ORG_B,
    W_SLUG,
    SafetyWorld,
)
from workspaced.http.dialect import PERMISSION_KEY
from workspaced.http.registry import DIALECTS

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ORG_PARAMS = ("organization_id", "org_id")
WS_PARAM = "workspace_id"


@dataclass(frozen=True)
class Route:
    dialect: str
    method: str
    path: str
    permission: str | None
    body_schema: dict[str, Any] | None
    components: dict[str, Any]
    query: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.dialect}:{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def org_param(self) -> str | None:
        return next((p for p in self.params if p in ORG_PARAMS), None)

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING

    @property
    def concerns_workspace(self) -> bool:
        """Names W in its path, or (BODY_NAMES_WORKSPACE) in its body."""
        return WS_PARAM in self.params or (self.method, self.path) in BODY_NAMES_WORKSPACE

    @property
    def target_param(self) -> str | None:
        """The parameter that names the resource the route acts on: replacing it with a
        missing id gives the 'truly missing' twin of a request."""
        if WS_PARAM in self.params:
            return WS_PARAM
        if self.concerns_workspace:
            return None  # named in the body
        if self.params:
            return self.params[-1]
        return None


def _all_routes() -> list[Route]:
    found: list[Route] = []
    for spec in DIALECTS:
        app = spec.build()
        document = app.openapi()
        components = document.get("components", {}).get("schemas", {})
        for route in api_routes(list(app.routes)):
            assert isinstance(route, APIRoute)
            extra: dict[str, Any] = route.openapi_extra or {}
            for method in sorted(route.methods):
                operation = document["paths"].get(route.path, {}).get(method.lower(), {})
                content = operation.get("requestBody", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                query = tuple(
                    p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
                )
                found.append(
                    Route(
                        spec.name,
                        method,
                        route.path,
                        extra.get(PERMISSION_KEY),
                        schema,
                        components,
                        query,
                    )
                )
    return found


ROUTES = _all_routes()

# Routes whose body (not path) names a workspace: they answer like a workspace route.
BODY_NAMES_WORKSPACE = {
    ("POST", "/api/v1/organizations/{organization_id}/workspaces:countUsers"),
}


# -- identifiers ------------------------------------------------------------------------

# Each dialect's id forms (SPEC §2, §4): aip takes slugs (or UUIDs), activeloop the
# workspace slug in the token's home organization, admin UUIDs only, members UUIDs (or
# slugs) for the organization and workspace and UUIDs for users.
UUID_FORM_DIALECTS = {"admin", "members"}


def org_ref(world: SafetyWorld, dialect: str, org: str = ORG_A) -> str:
    if dialect in UUID_FORM_DIALECTS:
        return world.org_a_id if org == ORG_A else world.org_b_id
    return org


def path_values(
    route: Route, world: SafetyWorld, *, org: str = ORG_A, workspace_by_uid: bool = False
) -> dict[str, str]:
    """Real ids of W and its neighbours for each path parameter of `route`."""
    by_uid = workspace_by_uid or route.dialect in UUID_FORM_DIALECTS
    values: dict[str, str] = {}
    for name in route.params:
        if name in ORG_PARAMS:
            values[name] = org_ref(world, route.dialect, org)
        elif name == WS_PARAM:
            values[name] = world.w_id if by_uid else W_SLUG
        elif name in ("user_id", "member_user_id"):
            # The editor: a member of W and of organization A, whom a mutation would change.
            values[name] = world.editor.user_id
        elif name == "role_id":
            values[name] = CUSTOM_ROLE
        elif name == "invite_id":
            values[name] = world.invite_id
        elif name == "token_id":
            values[name] = world.spare_token_id
        elif name == "key_id":
            values[name] = world.spare_key_id
        elif name == "webhook_id":
            values[name] = world.webhook_id
        elif name == "delivery_id":
            values[name] = world.delivery_id
        else:
            values[name] = str(uuid.uuid4())
    return values


def missing_value(route: Route, name: str, present: str) -> str:
    """An id of the same form as `present` that names nothing."""
    if _is_uuid(present):
        return str(uuid.UUID(int=uuid.uuid4().int))
    if name in ORG_PARAMS:
        return MISSING_ORG_SLUG
    if name == WS_PARAM:
        return MISSING_SLUG
    return "no-such-" + name.replace("_id", "").replace("_", "-")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


# -- bodies -------------------------------------------------------------------------------

BodyMaker = Callable[[SafetyWorld, dict[str, str]], Any]

# Valid bodies that would change something if the caller were allowed to send them.
BODIES: dict[tuple[str, str], BodyMaker] = {
    ("POST", "/api/v1/organizations/{organization_id}/webhooks"): lambda w, v: {
        "url": "https://hooks.example.com/workspaced",
        "event_types": ["workspace.created"],
    },
    ("PATCH", "/api/v1/organizations/{organization_id}/webhooks/{webhook_id}"): lambda w, v: {
        "description": "paused for maintenance",
        "disabled": True,
    },
    (
        "POST",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}:testPermissions",
    ): lambda w, v: {"permissions": ["workspaces:get", "members:add"]},
    ("POST", "/api/v1/organizations/{organization_id}:checkAccess"): lambda w, v: {
        "checks": [{"user": w.viewer.user_id, "workspace": W_SLUG, "permission": "members:list"}]
    },
    ("POST", "/api/v1/organizations"): lambda w, v: {"display_name": "Fresh Organization"},
    ("PATCH", "/api/v1/organizations/{organization_id}"): lambda w, v: {
        "display_name": "Renamed Organization"
    },
    ("POST", "/api/v1/organizations/{organization_id}:transferOwnership"): lambda w, v: {
        "user": w.editor.user_id
    },
    ("POST", "/api/v1/organizations/{organization_id}/users"): lambda w, v: {
        "email": "newcomer@example.com",
        "org_role": "member",
    },
    ("PATCH", "/api/v1/organizations/{organization_id}/users/{user_id}"): lambda w, v: {
        "org_role": "admin"
    },
    ("POST", "/api/v1/organizations/{organization_id}/roles"): lambda w, v: {
        "role_id": "reviewer",
        "display_name": "Reviewer",
        "permissions": ["workspaces:get"],
    },
    ("PATCH", "/api/v1/organizations/{organization_id}/roles/{role_id}"): lambda w, v: {
        "display_name": "Renamed role"
    },
    ("POST", "/api/v1/organizations/{organization_id}/workspaces"): lambda w, v: {
        "title": "Fresh Workspace"
    },
    ("POST", "/api/v1/organizations/{organization_id}/workspaces:countUsers"): lambda w, v: {
        "workspace_ids": [v.get("workspace_id", W_SLUG)]
    },
    ("PATCH", "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}"): lambda w, v: {
        "title": "Renamed"
    },
    (
        "POST",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}/users",
    ): lambda w, v: {"user": w.outsider.user_id, "role": "viewer"},
    (
        "PATCH",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}/users/{user_id}",
    ): lambda w, v: {"role": "viewer"},
    (
        "PATCH",
        "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}/preferences",
    ): lambda w, v: {"support_team_access": True},
    ("POST", "/workspaces"): lambda w, v: {"id": "fresh", "name": "Fresh"},
    ("POST", "/workspaces/{workspace_id}/user"): lambda w, v: {
        "user": w.outsider.user_id,
        "access": "viewer",
    },
    ("PUT", "/workspaces/{workspace_id}/user"): lambda w, v: {
        "user": w.editor.user_id,
        "access": "viewer",
    },
    ("POST", "/v1/orgs/{org_id}/workspaces/{workspace_id}/members"): lambda w, v: {
        "user_id": w.outsider.user_id,
        "role": "viewer",
    },
    ("PATCH", "/v1/orgs/{org_id}/workspaces/{workspace_id}/members/{member_user_id}"): (
        lambda w, v: {"role": "viewer"}
    ),
}


def body_for(route: Route, world: SafetyWorld, values: dict[str, str]) -> Any:
    maker = BODIES.get((route.method, route.path))
    if maker is not None:
        return maker(world, values)
    if route.body_schema is None:
        return None
    return example_of(route.body_schema, route.components, world, "")


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example_of(
    schema: dict[str, Any], components: dict[str, Any], world: SafetyWorld, name: str
) -> Any:
    """A plausible valid value for a schema this file has no hand-written body for."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, components).get("type") != "null"]
            return example_of(options[0], components, world, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "example" in schema:
        return schema["example"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            field: example_of(sub, components, world, field)
            for field, sub in schema.get("properties", {}).items()
            if field in schema.get("required", [])
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), components, world, name)] * int(
            schema.get("minItems", 0)
        )
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if "email" in name or schema.get("format") == "email":
        return "probe@example.com"
    if "user" in name:
        return world.outsider.user_id
    if "role" in name:
        return "viewer"
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "probe"


__all__ = ["ORG_B", "ROUTES", "Route"]
