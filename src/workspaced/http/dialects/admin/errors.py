"""Maps domain errors, request validation, routing errors and crashes to problems."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from workspaced.http.dialect import error_headers
from workspaced.http.dialects.admin.problems import problem
from workspaced.kit import errors

# Checked in order, so a subclass (Deleted is a NotFound) comes before its base.
# The seed has no 400: invalid input of any origin is a 422 here.
STATUS_OF: list[tuple[type[errors.DomainError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.Deleted, 410),
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.Aborted, 409),
    (errors.FailedPrecondition, 409),
    (errors.InvalidArgument, 422),
    (errors.ResourceExhausted, 429),
    (errors.Unavailable, 503),
]

# The domain names inputs by their AIP names; this dialect's callers know other names.
PARAM_NAMES = {"page_token": "cursor", "page_size": "limit"}

_LOCATIONS = ("path", "query", "header", "cookie", "body")


def _status(error: errors.DomainError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(error, cls)), 500)


def render_domain(request: Request, error: errors.DomainError) -> Response:
    status = _status(error)
    if isinstance(error, errors.InvalidArgument):
        params = [
            {"name": PARAM_NAMES.get(v.field, v.field), "reason": v.description}
            for v in error.violations
        ]
        detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
        return problem(422, detail, invalid_params=params)
    if isinstance(error, errors.Deleted):
        detail = f"{error.resource_type} {error.resource_id!r} was deleted"
        return problem(status, detail)
    return problem(status, error.message, headers=error_headers(error))


def _param_name(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in _LOCATIONS]
    return ".".join(parts) or (str(loc[0]) if loc else "request")


def render_validation(request: Request, error: RequestValidationError) -> Response:
    params = [
        {"name": _param_name(tuple(e.get("loc", ()))), "reason": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params) or "invalid request"
    return problem(422, detail, invalid_params=params)


def render_http(request: Request, error: StarletteHTTPException) -> Response:
    status = error.status_code
    if status == 404:
        detail = f"no resource at {request.url.path}"
    elif status == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    else:
        detail = str(error.detail)
    # 405 carries `Allow`, which RFC 9110 requires; keep whatever Starlette set.
    return problem(status, detail, headers=dict(error.headers or {}))


def render_crash(request: Request) -> Response:
    return problem(500, "the server failed to answer this request; it has been logged")


def render_too_large() -> Response:
    return problem(413, "the request body is too large")
