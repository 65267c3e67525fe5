"""What every dialect app shares: construction, error wiring and route metadata.

A dialect supplies one `render(status, error)` function per envelope; this module wires
it to domain errors, request validation, routing errors (404/405) and crashes, so no
error can escape in another format or with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    (errors.ResourceExhausted, 429),
    (errors.Unavailable, 503),
]


def status_of(error: errors.DomainError) -> int:
    for cls, status in STATUS_OF:
        if isinstance(error, cls):
            return status
    return 500


def error_headers(error: errors.DomainError) -> dict[str, str] | None:
    """Headers every dialect sends with a domain error: the challenge of a 401 (RFC 6750)
    and, for a refusal the caller may retry, when (Retry-After, RFC 9110)."""
    if isinstance(error, errors.Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    wait = errors.retry_after(error)
    return None if wait is None else {"Retry-After": str(wait)}


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
        if exc.status_code == 405:
            exc = with_full_allow(exc, app, request.scope["path"])
        return http(request, exc)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return crash(request)

    app.add_exception_handler(errors.DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_middleware(CrashBarrier, render=crash)
    # Outside the barrier only the framework's own middleware runs; should it fail, this
    # still answers in the dialect's format.
    app.add_exception_handler(Exception, on_crash)


class CrashBarrier:
    """Answers an unexpected exception with the dialect's 500 and lets nothing escape.

    Starlette's handler for `Exception` renders its response and then re-raises, so that
    the server logs the error; the server may then also close the keep-alive connection, and a
    client's next request on it is reset ("connection reset by peer": seen under load
    while PostgreSQL connections were being killed). This barrier logs once and ends the
    exchange normally, so the connection stays usable. Only when part of a response is
    already out does it re-raise: closing the connection is then the only honest answer.
    """

    def __init__(self, app: ASGIApp, render: CrashRenderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            if started:
                raise
            await self.render(request)(scope, receive, send)


def allowed_methods(routes: Sequence[Any], path: str) -> list[str]:
    """Every method some route of `routes` serves at this path."""
    try:
        # FastAPI >= 0.16x keeps included routers nested; this yields their routes with
        # the paths they are served at (what the OpenAPI document is built from).
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into the app's list
        flat: Sequence[Any] = routes
    else:
        flat = list(iter_route_contexts(routes))
    methods: set[str] = set()
    for route in flat:
        route_path, route_methods = getattr(route, "path", None), getattr(route, "methods", None)
        if route_path and route_methods and compile_path(route_path)[0].match(path):
            methods.update(route_methods)
    if "GET" in methods:
        methods.add("HEAD")  # answered for every GET route (DialectDispatcher)
    return sorted(methods)


def with_full_allow(
    error: StarletteHTTPException, app: FastAPI, path: str
) -> StarletteHTTPException:
    """A 405 whose `Allow` names every method of the path (RFC 9110 requires the list).
    Starlette's names only the first route that matched, and GET and POST on one path are
    two routes."""
    headers = {**(error.headers or {}), "Allow": ", ".join(allowed_methods(app.routes, path))}
    return StarletteHTTPException(405, error.detail, headers=headers)


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
