"""Builds the one ASGI app: health endpoints, per-dialect OpenAPI documents, and a
dispatcher that hands each request to the dialect owning its path prefix (so every
dialect keeps its own routes, errors and OpenAPI document, on one port)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from workspaced.http.body_limit import BodyLimit, dialect_too_large
from workspaced.http.context import AppContext
from workspaced.http.registry import DIALECTS
from workspaced.http.responses import json_response
from workspaced.kit.db import Database

DEFAULT_MAX_BODY = 1024 * 1024


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each dialect's OpenAPI document (needs no database)."""
    return {spec.name: spec.build().openapi() for spec in DIALECTS}


class DialectDispatcher:
    def __init__(self, root: ASGIApp, mounts: list[tuple[str, ASGIApp]]) -> None:
        self.root = root
        # Longest prefix first, so /api/v1 wins over /v1-like prefixes.
        self.mounts = sorted(mounts, key=lambda m: len(m[0]), reverse=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.mounts:
                if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + ":"):
                    await app(scope, receive, send)
                    return
        await self.root(scope, receive, send)


def create_app(database: Database, *, max_body_bytes: int = DEFAULT_MAX_BODY) -> ASGIApp:
    context = AppContext.load(database)
    root = FastAPI(title="workspaced", openapi_url=None, docs_url=None, redoc_url=None)
    root.state.workspaced = context
    documents: dict[str, dict[str, Any]] = {}
    mounts: list[tuple[str, ASGIApp]] = []
    for spec in DIALECTS:
        dialect_app = spec.build()
        dialect_app.state.workspaced = context
        documents[spec.name] = dialect_app.openapi()
        limited = BodyLimit(dialect_app, max_body_bytes, dialect_too_large(spec.too_large))
        mounts.extend((prefix, limited) for prefix in spec.prefixes)

    @root.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return json_response({"status": "ok"})

    @root.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        if database.ping():
            return json_response({"status": "ready"})
        return json_response({"status": "unavailable"}, status_code=503)

    @root.get("/openapi/{dialect}.json", include_in_schema=False)
    def openapi(dialect: str) -> Response:
        document = documents.get(dialect)
        if document is None:
            return json_response({"detail": f"unknown dialect {dialect!r}"}, status_code=404)
        return json_response(document)

    return DialectDispatcher(root, mounts)
