"""FastAPI's own error bodies: `{"detail": "..."}`, and for invalid input
`{"detail": [{"loc", "msg", "type"}]}` (422), exactly the fields the seed documents."""

from __future__ import annotations

import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from workspaced.http.dialect import error_headers
from workspaced.http.responses import json_response
from workspaced.kit import errors

log = logging.getLogger("workspaced.http")

# Domain field name -> this dialect's body field, so a domain InvalidArgument points at
# what the client actually sent.
BODY_FIELD = {"title": "name", "workspace_id": "id", "id": "id", "role": "access", "user": "user"}

# This dialect reports a broken invariant (the last owner) as a conflict, like a duplicate.
STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.Aborted, 409),
    (errors.FailedPrecondition, 409),
    (errors.InvalidArgument, 422),
    (errors.ResourceExhausted, 429),
    (errors.Unavailable, 503),
]


def _detail(status: int, detail: Any, headers: dict[str, str] | None = None) -> Response:
    return json_response({"detail": detail}, status_code=status, headers=headers)


def validation_item(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}


def _message(request: Request, error: errors.DomainError) -> str:
    if isinstance(error, errors.Unauthenticated):
        # FastAPI's HTTPBearer wording; which check failed is not the caller's business.
        if not request.headers.get("authorization"):
            return "Not authenticated"
        return "Invalid authentication credentials"
    if isinstance(error, errors.NotFound):
        kind = error.resource_type.capitalize()
        if not error.resource_id:
            return f"{kind} not found"
        return f"{kind} {error.resource_id!r} not found"
    if isinstance(error, errors.PermissionDenied):
        return f"Permission denied: {error.permission!r} is required"
    return error.message


def render_domain(request: Request, error: errors.DomainError) -> Response:
    status = next((code for cls, code in STATUS if isinstance(error, cls)), 500)
    if status == 500:
        log.error(
            "unmapped domain error %s on %s %s",
            type(error).__name__,
            request.method,
            request.url.path,
        )
        return render_crash(request)
    if isinstance(error, errors.InvalidArgument):
        return _detail(
            422,
            [
                validation_item(
                    ["body", BODY_FIELD.get(v.field, v.field)], v.description, "value_error"
                )
                for v in error.violations
            ],
        )
    return _detail(status, _message(request, error), error_headers(error))


def render_validation(request: Request, error: RequestValidationError) -> Response:
    # Pydantic's `input` and `ctx` are left out: the seed's ValidationError has neither,
    # and echoing input would reflect whatever the client sent (up to 1 MiB) back.
    return _detail(
        422,
        [
            validation_item(list(e.get("loc", ())), str(e.get("msg", "")), str(e.get("type", "")))
            for e in error.errors()
        ],
    )


def render_http(request: Request, error: StarletteHTTPException) -> Response:
    # Routing errors (404 "Not Found", 405 "Method Not Allowed" with its Allow header).
    return _detail(error.status_code, error.detail, dict(error.headers or {}))


def render_crash(request: Request) -> Response:
    return _detail(500, "Internal Server Error")


def render_too_large() -> Response:
    return _detail(413, "Request body is too large")
