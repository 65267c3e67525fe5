"""The members dialect app: routes, the seed's error envelope, its own OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from workspaced.http.dialect import install_error_handlers, new_dialect_app
from workspaced.http.dialects.members import errors, routes
from workspaced.http.dialects.members.schemas import ErrorResponse

PREFIX = "/v1"


def _documented(
    status: int, code: str, message: str, details: dict[str, Any], description: str
) -> dict[str, Any]:
    example = {
        "error": code,
        "message": message,
        "details": details,
        "timestamp": "2025-01-01T00:00:00.000000",
        "status_code": status,
    }
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": example}},
    }


# 409 is documented on the routes that can conflict; 422 is FastAPI's own
# HTTPValidationError, which is exactly the shape this dialect answers.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented(
        401,
        "AUTHENTICATION_FAILED",
        errors.AUTHENTICATION_REQUIRED,
        {},
        "Missing, malformed, unknown, expired or revoked token",
    ),
    403: _documented(
        403,
        "FORBIDDEN",
        errors.FORBIDDEN,
        {"required_permission": "resource:action"},
        "The caller sees the workspace but lacks the permission",
    ),
    404: _documented(
        404,
        "RESOURCE_NOT_FOUND",
        errors.NOT_FOUND,
        {"resource_type": "example", "resource_id": "xxx"},
        "No such organization, workspace or member, or no access to it",
    ),
    500: _documented(
        500,
        "INTERNAL_SERVER_ERROR",
        errors.UNEXPECTED,
        {},
        "Unexpected error (never a stack trace)",
    ),
}


def build() -> FastAPI:
    app = new_dialect_app(
        "Workspace Members API",
        "1.0.0",
        "List, add, re-role and remove the members of a workspace.",
    )
    app.include_router(routes.router, responses=ERROR_RESPONSES)
    install_error_handlers(
        app,
        domain=errors.render_domain,
        validation=errors.render_validation,
        http=errors.render_http,
        crash=errors.render_crash,
    )
    return app
