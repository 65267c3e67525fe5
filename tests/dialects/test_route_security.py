"""Deny by default: every route of every mounted dialect authenticates and declares the
permission it checks. A new route without them fails here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from workspaced.authz.catalog import PERMISSIONS
from workspaced.http.dialect import PERMISSION_KEY
from workspaced.http.registry import DIALECTS

EXTRA_PERMISSIONS = {"authenticated", "organization:administer", "organization:transferOwnership"}


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, including those of included routers (FastAPI keeps them nested)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def routes() -> list[tuple[str, FastAPI, APIRoute]]:
    found = []
    for spec in DIALECTS:
        app = spec.build()
        found += [(spec.name, app, r) for r in api_routes(list(app.routes))]
    return found


ROUTES = routes()


def concrete_path(path: str) -> str:
    return (
        path.replace("{organization_id}", "acme")
        .replace("{org_id}", "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        .replace("{workspace_id}", "3fa85f64-5717-4562-b3fc-2c963f66afa7")
        .replace("{user_id}", "3fa85f64-5717-4562-b3fc-2c963f66afa8")
        .replace("{member_user_id}", "3fa85f64-5717-4562-b3fc-2c963f66afa9")
        .replace("{invite_id}", "3fa85f64-5717-4562-b3fc-2c963f66afaa")
        .replace("{token_id}", "3fa85f64-5717-4562-b3fc-2c963f66afab")
        .replace("{role_id}", "viewer")
    )


@pytest.mark.parametrize(
    ("dialect", "app", "route"),
    ROUTES,
    ids=[f"{d}:{sorted(r.methods)[0]} {r.path}" for d, _, r in ROUTES],
)
def test_route_declares_a_known_permission(dialect: str, app: FastAPI, route: APIRoute) -> None:
    extra: dict[str, Any] = route.openapi_extra or {}
    declared = extra.get(PERMISSION_KEY)
    assert declared in PERMISSIONS or declared in EXTRA_PERMISSIONS, (
        f"{dialect} {route.path} declares no known permission ({declared!r})"
    )


@pytest.mark.parametrize(
    ("dialect", "app", "route"),
    ROUTES,
    ids=[f"{d}:{sorted(r.methods)[0]} {r.path}" for d, _, r in ROUTES],
)
def test_route_refuses_anonymous_callers(
    dialect: str, app: FastAPI, route: APIRoute, client: TestClient
) -> None:
    method = sorted(route.methods)[0]
    response = client.request(method, concrete_path(route.path), json={})
    assert response.status_code == 401, (dialect, route.path, response.text)
    assert response.headers.get("www-authenticate") == "Bearer"


def test_every_dialect_has_routes() -> None:
    assert {d for d, _, _ in ROUTES} == {spec.name for spec in DIALECTS}
