"""What every dialect app shares: construction, error wiring and route metadata.

A dialect supplies one `render(status, error)` function per envelope; this module wires
it to domain errors, request validation, routing errors (404/405) and crashes, so no
error can escape in another format or with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from workspaced.kit import errors

log = logging.getLogger("workspaced.http")

# Domain error class -> HTTP status, the same for every dialect (envelopes differ).
STATUS_OF: list[tuple[type[errors.DomainError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.Aborted, 409),
    (errors.InUse, 409),
    (errors.FailedPrecondition, 400),
    (errors.InvalidArgument, 400),
]


def status_of(error: errors.DomainError) -> int:
    for cls, status in STATUS_OF:
        if isinstance(error, cls):
            return status
    return 500


PERMISSION_KEY = "x-workspaced-permission"


def permission(name: str) -> dict[str, Any]:
    """Route metadata declaring the permission a route checks (for docs and the
    deny-by-default test). `authenticated` marks routes any signed-in caller may use."""
    return {PERMISSION_KEY: name}


DomainRenderer = Callable[[Request, errors.DomainError], Response]
ValidationRenderer = Callable[[Request, RequestValidationError], Response]
HttpRenderer = Callable[[Request, StarletteHTTPException], Response]
CrashRenderer = Callable[[Request], Response]


def install_error_handlers(
    app: FastAPI,
    *,
    domain: DomainRenderer,
    validation: ValidationRenderer,
    http: HttpRenderer,
    crash: CrashRenderer,
) -> None:
    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.DomainError)
        return domain(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return http(request, exc)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return crash(request)

    app.add_exception_handler(errors.DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


def new_dialect_app(title: str, version: str, description: str) -> FastAPI:
    return FastAPI(
        title=title,
        version=version,
        description=description,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )


def http_status_title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
