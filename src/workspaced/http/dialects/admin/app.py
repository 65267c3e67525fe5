"""The admin dialect app (seed 003): one route, RFC 9457 problems, its own OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from workspaced.http.dialect import install_error_handlers, new_dialect_app
from workspaced.http.dialects.admin import errors, users
from workspaced.http.dialects.admin.problems import MEDIA_TYPE

PREFIX = users.PREFIX


def _serve_problems_as_problem_json(document: dict[str, Any]) -> None:
    """FastAPI files every `responses` model under application/json; our errors are sent
    as application/problem+json, so the document must say so."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")


def build() -> FastAPI:
    app = new_dialect_app(
        "Workspaces API",
        "1.0",
        "Organization admin endpoints: organization owners and admins see any workspace of "
        "their organization. Errors are RFC 9457 problem details.",
    )
    app.include_router(users.router)
    install_error_handlers(
        app,
        domain=errors.render_domain,
        validation=errors.render_validation,
        http=errors.render_http,
        crash=errors.render_crash,
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _serve_problems_as_problem_json(FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
