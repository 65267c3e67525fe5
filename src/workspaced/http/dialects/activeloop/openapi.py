"""The few places where the seed's document says what FastAPI cannot generate."""

from __future__ import annotations

from typing import Any

from workspaced.http.dialect import PERMISSION_KEY

SERVERS = [
    {"url": "https://api.activeloop.ai", "description": "Production server"},
    {"url": "https://api-beta.activeloop.dev", "description": "Beta server"},
]
SECURITY_SCHEME = "Bearer"


def to_seed_shape(document: dict[str, Any]) -> dict[str, Any]:
    """Adjust FastAPI's document in place to the seed's shape and return it."""
    # The seed requires the bearer token once, document-wide; FastAPI can only repeat the
    # requirement on each operation. Our permission marker is for our own route checks.
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.pop("security", None)
            operation.pop(PERMISSION_KEY, None)
    document["security"] = [{SECURITY_SCHEME: []}]
    # FastAPI documents pydantic's `input`/`ctx` on ValidationError; this dialect's 422
    # items carry exactly the seed's `loc`, `msg` and `type`.
    error = document.get("components", {}).get("schemas", {}).get("ValidationError")
    if error is not None:
        for extra in ("input", "ctx"):
            error["properties"].pop(extra, None)
    return document
