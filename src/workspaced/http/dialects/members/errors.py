"""The seed's error envelope `{error, message, details, timestamp, status_code}`, and
pydantic's `{"detail": [{loc, msg, type, input, ctx}]}` for invalid input (422)."""

from __future__ import annotations

import http
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from workspaced.auth import service as auth
from workspaced.http.body_limit import RequestTooLarge
from workspaced.http.dialect import error_headers
from workspaced.http.responses import json_response
from workspaced.kit import clock, errors

AUTHENTICATION_REQUIRED = "Authentication required"
FORBIDDEN = "You don't have permission to perform this action"
NOT_FOUND = "The requested resource was not found"
UNEXPECTED = "An unexpected error occurred"

# Domain error -> (status, error code). The last-owner rule (FailedPrecondition) is a
# conflict with the workspace's state here, like a duplicate member.
DOMAIN_CODES: list[tuple[type[errors.DomainError], int, str]] = [
    (errors.Unauthenticated, 401, "AUTHENTICATION_FAILED"),
    (errors.PermissionDenied, 403, "FORBIDDEN"),
    (errors.NotFound, 404, "RESOURCE_NOT_FOUND"),
    (errors.AlreadyExists, 409, "CONFLICT"),
    (errors.Aborted, 409, "CONFLICT"),
    (errors.FailedPrecondition, 409, "CONFLICT"),
    (errors.ResourceExhausted, 429, "RATE_LIMIT_EXCEEDED"),
    (errors.Unavailable, 503, "SERVICE_UNAVAILABLE"),
]

# Error codes of statuses that reach us from routing or the body limit, not the domain.
HTTP_CODES = {
    401: "AUTHENTICATION_FAILED",
    403: "FORBIDDEN",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
    500: "INTERNAL_SERVER_ERROR",
}


def timestamp() -> str:
    """UTC without an offset, microseconds, as the seed shows: 2025-01-01T00:00:00.000000."""
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def envelope(
    status: int, code: str, message: str, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "error": code,
        "message": message,
        "details": dict(details or {}),
        "timestamp": timestamp(),
        "status_code": status,
    }


def respond(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(
        envelope(status, code, message, details), status_code=status, headers=headers
    )


def _code_of(status: int) -> str:
    if status in HTTP_CODES:
        return HTTP_CODES[status]
    try:
        return http.HTTPStatus(status).name
    except ValueError:
        return "ERROR"


def invalid_input(violations: list[dict[str, Any]]) -> Response:
    try:
        return json_response({"detail": violations}, status_code=422)
    except TypeError:
        pass  # orjson refuses integers beyond 64 bits, which a client may send and we echo
    try:
        body = json.dumps({"detail": violations}, allow_nan=False, default=str)
    except ValueError:  # NaN or Infinity (Python's JSON parser accepts them): not echoed
        body = json.dumps({"detail": [v | {"input": None} for v in violations]}, default=str)
    return Response(body, status_code=422, media_type="application/json")


def _field_errors(error: errors.InvalidArgument, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "value_error",
            "loc": ["body", v.field],
            "msg": v.description,
            "input": inputs.get(v.field),
            "ctx": {"error": v.description},
        }
        for v in error.violations
    ]


@contextmanager
def body_field_errors(**inputs: Any) -> Iterator[None]:
    """Report the domain's InvalidArgument (e.g. an unknown role) exactly like a pydantic
    error on that body field, echoing the value the client sent."""
    try:
        yield
    except errors.InvalidArgument as error:
        raise RequestValidationError(_field_errors(error, inputs)) from None


def render_domain(request: Request, error: errors.DomainError) -> Response:
    if isinstance(error, errors.InvalidArgument):
        return invalid_input(_field_errors(error, {}))
    found = next(
        ((status, code) for cls, status, code in DOMAIN_CODES if isinstance(error, cls)), None
    )
    if found is None:  # a domain error this dialect has no word for is still ours to hide
        return render_crash(request)
    status, code = found
    if isinstance(error, errors.Unauthenticated):
        message = (
            AUTHENTICATION_REQUIRED
            if request.headers.get("authorization") is None
            else error.message
        )
        return respond(status, code, message, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(error, errors.PermissionDenied):
        return respond(status, code, FORBIDDEN, {"required_permission": error.permission})
    if isinstance(error, errors.NotFound):
        return respond(
            status,
            code,
            error.message,
            {"resource_type": error.resource_type, "resource_id": error.resource_id},
        )
    details = {"reason": error.reason}
    if "resource_id" in error.metadata:
        details["resource_id"] = str(error.metadata["resource_id"])
    return respond(status, code, error.message, details, headers=error_headers(error))


def _jsonable_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    try:
        encoded: list[dict[str, Any]] = jsonable_encoder(error.errors())
        return encoded
    except Exception:  # an input that cannot be encoded (e.g. undecodable bytes): drop it
        return [
            {k: v for k, v in e.items() if k in ("type", "loc", "msg")} | {"input": None}
            for e in error.errors()
        ]


def _unauthenticated_by_header(request: Request) -> errors.Unauthenticated | None:
    """FastAPI parses a JSON body before any dependency runs, so a malformed body can fail
    before authentication did. Checking the header's shape needs no database (and so
    nothing blocking here): a missing or malformed token still gets its 401 first."""
    if getattr(request.state, "principal", None) is not None:
        return None
    try:
        auth.parse_authorization_header(request.headers.get("authorization"))
    except errors.Unauthenticated as unauthenticated:
        return unauthenticated
    return None


def render_validation(request: Request, error: RequestValidationError) -> Response:
    unauthenticated = _unauthenticated_by_header(request)
    if unauthenticated is not None:
        return render_domain(request, unauthenticated)
    return invalid_input(_jsonable_errors(error))


def _body_too_large(error: StarletteHTTPException) -> bool:
    # FastAPI turns any failure while reading the body into "400 error parsing the body";
    # when the cause is the streaming size limit, the client must still see a 413.
    return isinstance(error, RequestTooLarge) or isinstance(error.__cause__, RequestTooLarge)


def _unreadable_body(cause: BaseException) -> Response:
    """FastAPI answers a body it cannot even decode (e.g. bytes that are not UTF-8) with a
    bare 400; to the client that is malformed JSON like any other, so the same 422."""
    reason = (
        "the body is not valid UTF-8"
        if isinstance(cause, UnicodeDecodeError)
        else "the body could not be read"
    )
    return invalid_input(
        [
            {
                "type": "json_invalid",
                "loc": ["body"],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": reason},
            }
        ]
    )


def render_http(request: Request, error: StarletteHTTPException) -> Response:
    """Routing and protocol errors. A 405 arrives with the path's full `Allow` list
    (`http.dialect.with_full_allow`); the body repeats it."""
    status = error.status_code
    if status == 404:
        return respond(
            404,
            "RESOURCE_NOT_FOUND",
            NOT_FOUND,
            {"resource_type": "route", "resource_id": request.url.path},
        )
    if status == 405:
        allow = (error.headers or {}).get("Allow", "")
        allowed = [method.strip() for method in allow.split(",") if method.strip()]
        return respond(
            405,
            "METHOD_NOT_ALLOWED",
            f"Method {request.method} is not allowed on this resource",
            {"method": request.method, "allowed_methods": allowed},
            headers={"Allow": ", ".join(allowed)},
        )
    if _body_too_large(error):
        return render_too_large()
    if status == 400 and error.__cause__ is not None:
        unauthenticated = _unauthenticated_by_header(request)
        if unauthenticated is not None:
            return render_domain(request, unauthenticated)
        return _unreadable_body(error.__cause__)
    headers = dict(error.headers or {})
    if status >= 500:
        return respond(status, _code_of(status), UNEXPECTED, headers=headers)
    return respond(status, _code_of(status), str(error.detail), headers=headers)


def render_crash(request: Request) -> Response:
    return respond(500, "INTERNAL_SERVER_ERROR", UNEXPECTED)


def render_too_large() -> Response:
    return respond(413, "PAYLOAD_TOO_LARGE", "The request body is too large")
