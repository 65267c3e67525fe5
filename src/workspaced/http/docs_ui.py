"""Swagger UI per dialect (SPEC §9): `/docs` lists the dialects, `/docs/<dialect>` is the
UI on that dialect's OpenAPI document, with its assets served from the installed
`swagger-ui-py` package (no CDN).

The UI's copy of a document names this server as its only server: a vendor's document
lists the vendor's hosts, where "Try it out" would send the caller's token."""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from workspaced.http.responses import json_response

ASSETS = "/docs/assets"


def _assets_directory() -> Path:
    return Path(str(files("swagger_ui") / "static"))


def add_docs_ui(root: FastAPI, documents: dict[str, dict[str, Any]]) -> None:
    local = {
        name: {**document, "servers": [{"url": "/", "description": "this server"}]}
        for name, document in documents.items()
    }
    root.mount(ASSETS, StaticFiles(directory=_assets_directory()), name="docs-assets")

    @root.get("/docs", include_in_schema=False)
    def index() -> Response:
        items = "".join(
            f'<li><a href="/docs/{name}">{html.escape(document["info"]["title"])}</a> '
            f"(<code>{name}</code>)</li>"
            for name, document in local.items()
        )
        return HTMLResponse(
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>workspaced API docs</title></head><body><h1>workspaced API docs</h1>"
            f"<ul>{items}</ul></body></html>"
        )

    @root.get("/docs/{dialect}", include_in_schema=False)
    def swagger_ui(dialect: str) -> Response:
        if dialect not in local:
            return json_response({"detail": f"unknown dialect {dialect!r}"}, status_code=404)
        return get_swagger_ui_html(
            openapi_url=f"/docs/{dialect}/openapi.json",
            title=f"{local[dialect]['info']['title']} (workspaced)",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    @root.get("/docs/{dialect}/openapi.json", include_in_schema=False)
    def document(dialect: str) -> Response:
        if dialect not in local:
            return json_response({"detail": f"unknown dialect {dialect!r}"}, status_code=404)
        return json_response(local[dialect])
