"""AIP-193 error bodies: `{"error": {code, status, message, details}}`."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from workspaced.http.dialect import error_headers, status_of
from workspaced.http.responses import json_response
from workspaced.kit import errors

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"

CANONICAL_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error_body(
    code: int,
    status: str,
    message: str,
    *,
    reason: str,
    metadata: dict[str, Any] | None = None,
    violations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    details: list[dict[str, Any]] = [
        {
            "@type": ERROR_INFO,
            "reason": reason,
            "domain": "workspaced",
            "metadata": {k: str(v) for k, v in (metadata or {}).items()},
        }
    ]
    if violations is not None:
        details.append({"@type": BAD_REQUEST, "field_violations": violations})
    return {"error": {"code": code, "status": status, "message": message, "details": details}}


def _respond(code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return json_response(body, status_code=code, headers=headers)


def _status_name(error: errors.DomainError, code: int) -> str:
    if isinstance(error, errors.AlreadyExists):
        return "ALREADY_EXISTS"
    if isinstance(error, errors.FailedPrecondition):
        return "FAILED_PRECONDITION"
    return CANONICAL_STATUS.get(code, "UNKNOWN")


def render_domain(request: Request, error: errors.DomainError) -> Response:
    code = status_of(error)
    violations = None
    if isinstance(error, errors.InvalidArgument):
        violations = [{"field": v.field, "description": v.description} for v in error.violations]
    headers = error_headers(error)
    body = error_body(
        code,
        _status_name(error, code),
        error.message,
        reason=error.reason,
        metadata=error.metadata,
        violations=violations,
    )
    return _respond(code, body, headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def render_validation(request: Request, error: RequestValidationError) -> Response:
    violations = [
        {"field": _field_path(tuple(e.get("loc", ()))), "description": str(e.get("msg", ""))}
        for e in error.errors()
    ]
    message = "; ".join(f"{v['field']}: {v['description']}" for v in violations)
    body = error_body(
        400,
        "INVALID_ARGUMENT",
        message or "invalid request",
        reason="INVALID_ARGUMENT",
        violations=violations,
    )
    return _respond(400, body)


def render_http(request: Request, error: StarletteHTTPException) -> Response:
    code = error.status_code
    message = str(error.detail)
    if code == 400 and "parsing the body" in message:
        body = error_body(
            400,
            "INVALID_ARGUMENT",
            "the request body is not valid JSON",
            reason="INVALID_ARGUMENT",
            violations=[{"field": "body", "description": "is not valid JSON"}],
        )
    else:
        body = error_body(
            code,
            CANONICAL_STATUS.get(code, "UNKNOWN"),
            message,
            reason=CANONICAL_STATUS.get(code, "UNKNOWN"),
        )
    return _respond(code, body, dict(error.headers or {}))


def render_crash(request: Request) -> Response:
    return _respond(500, error_body(500, "INTERNAL", "internal error", reason="INTERNAL"))


def render_too_large() -> Response:
    return _respond(
        413,
        error_body(
            413, "INVALID_ARGUMENT", "the request body is too large", reason="REQUEST_TOO_LARGE"
        ),
    )
