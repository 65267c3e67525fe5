"""The aip dialect app: routes, AIP-193 errors, its own OpenAPI document."""

from __future__ import annotations

from fastapi import FastAPI

from workspaced.http.dialect import install_error_handlers, new_dialect_app
from workspaced.http.dialects.aip import (
    api_keys,
    checks,
    errors,
    events,
    invites,
    me,
    organization_admin,
    organizations,
    settings_routes,
    tokens,
    users,
    webhooks,
)
from workspaced.http.dialects.aip import workspaces as workspace_routes
from workspaced.http.dialects.aip.schemas import ErrorResponse

PREFIX = "/api/v1"
_ERRORS = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [
        (400, "INVALID_ARGUMENT or FAILED_PRECONDITION"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (409, "ALREADY_EXISTS or ABORTED"),
    ]
}


def build() -> FastAPI:
    app = new_dialect_app(
        "workspaced native API (aip)",
        "1.0.0",
        "Organizations, workspaces, members, roles and preferences, following Google AIPs.",
    )
    # Routes are matched in this order, one regular expression after another: the hot
    # workspace, permission-check and member routes come first (a GET of a workspace
    # tried 17 routes before its own; a product may check access on each of its own
    # requests, and `:checkAccess` tried 70 when it came last). No path of one router can
    # match a route of another, so order is free.
    for router in (
        workspace_routes.router,
        checks.router,
        users.router,
        organizations.router,
        organization_admin.router,
        settings_routes.router,
        me.router,
        invites.router,
        tokens.router,
        api_keys.router,
        events.router,
        webhooks.router,
    ):
        app.include_router(router, responses=_ERRORS)  # type: ignore[arg-type]
    install_error_handlers(
        app,
        domain=errors.render_domain,
        validation=errors.render_validation,
        http=errors.render_http,
        crash=errors.render_crash,
    )
    return app
