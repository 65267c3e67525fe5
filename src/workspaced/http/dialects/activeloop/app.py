"""The activeloop dialect app: the seed's routes and document, FastAPI's error bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from workspaced.http.dialect import install_error_handlers, new_dialect_app
from workspaced.http.dialects.activeloop import errors, openapi, users, workspaces

PREFIX = "/workspaces"


def build() -> FastAPI:
    app = new_dialect_app("Activeloop Deep Research API", "1.0.0", "")
    app.servers = openapi.SERVERS
    app.include_router(workspaces.router)
    app.include_router(users.router)
    install_error_handlers(
        app,
        domain=errors.render_domain,
        validation=errors.render_validation,
        http=errors.render_http,
        crash=errors.render_crash,
    )

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.to_seed_shape(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    routes=app.routes,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
    return app
