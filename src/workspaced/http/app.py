"""Builds the one ASGI app: health endpoints, per-dialect OpenAPI documents, and a
dispatcher that hands each request to the dialect owning its path prefix (so every
dialect keeps its own routes, errors and OpenAPI document, on one port)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workspaced import __version__
from workspaced.audit.context import RequestInfo, current_request
from workspaced.auth.oidc import ConsoleClient, TokenVerifier
from workspaced.console.app import create_console, form_too_large
from workspaced.event.delivery import DeliveryWorker, WebhookSettings
from workspaced.http.body_limit import BodyLimit, dialect_too_large
from workspaced.http.context import AppContext
from workspaced.http.docs_ui import add_docs_ui
from workspaced.http.metrics import metrics_endpoint
from workspaced.http.rate_limits import RateLimits, RateLimitSettings
from workspaced.http.registry import DIALECTS
from workspaced.http.responses import json_response
from workspaced.kit.db import Database
from workspaced.mail import MailSettings
from workspaced.mail.delivery import MailDelivery
from workspaced.migrations import head_revision
from workspaced.observability.metrics import Metrics
from workspaced.observability.requests import RequestObserver
from workspaced.observability.tracing import Tracing
from workspaced.organization.lifecycle import OrganizationCreation
from workspaced.retention.schedule import PurgeSchedule

DEFAULT_MAX_BODY = 1024 * 1024
# SPEC §5: on every response, so that no browser sniffs a JSON body (or an error echoing
# the caller's input) into something it would run.
NOSNIFF = (b"x-content-type-options", b"nosniff")


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each dialect's OpenAPI document (needs no database)."""
    return {spec.name: spec.build().openapi() for spec in DIALECTS}


# The dialect label of what no dialect serves (health, OpenAPI documents, /metrics).
ROOT_DIALECT = "root"


class DialectDispatcher:
    def __init__(
        self,
        root: ASGIApp,
        mounts: list[tuple[str, ASGIApp]],
        observer: RequestObserver | None = None,
    ) -> None:
        self.root = root
        # Longest prefix first, so /api/v1 wins over /v1-like prefixes.
        self.mounts = sorted(mounts, key=lambda m: len(m[0]), reverse=True)
        self.dialect_of = {prefix: spec.name for spec in DIALECTS for prefix in spec.prefixes}
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.root(scope, receive, send)
            return
        info = request_info(scope)
        bound = current_request.set(info)
        started, method, status, dialect = time.perf_counter(), scope["method"], 500, ROOT_DIALECT
        head = method == "HEAD"
        if head:
            # SPEC §5: HEAD is the GET of the same path without its body (RFC 9110 §9.3.2),
            # so every GET route, its authorization and its errors answer it as they
            # answer GET, and a path without GET answers 405 naming its methods.
            scope = {**scope, "method": "GET"}

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), NOSNIFF]
                if info.request_id:
                    headers.append((b"x-request-id", info.request_id.encode("ascii")))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            path: str = scope["path"]
            for prefix, app in self.mounts:
                if path == prefix or path.startswith(prefix + "/"):
                    dialect = self.dialect_of.get(prefix, ROOT_DIALECT)
                    await app(scope, receive, send_with_request_id)
                    return
            await self.root(scope, receive, send_with_request_id)
        finally:
            current_request.reset(bound)
            if self.observer is not None:
                self.observer.finish(
                    scope,
                    dialect=dialect,
                    status=status,
                    seconds=time.perf_counter() - started,
                    request_id=info.request_id,
                    method=method,
                )


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_info(scope: Scope) -> RequestInfo:
    """Request id (the caller's X-Request-Id if sane, else a new one), client IP, user agent."""
    headers = dict(scope.get("headers", []))
    given = headers.get(b"x-request-id", b"").decode("latin-1")
    request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    client = scope.get("client")
    agent = headers.get(b"user-agent", b"").decode("latin-1")[:500] or None
    return RequestInfo(request_id, client[0] if client else None, agent)


def create_app(
    database: Database,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    mail: MailSettings | None = None,
    rate_limits: RateLimitSettings | None = None,
    organization_creation: OrganizationCreation = OrganizationCreation.users,
    cors_origins: tuple[str, ...] = (),
    identity: TokenVerifier | None = None,
    console_oidc: ConsoleClient | None = None,
    webhooks: WebhookSettings | None = None,
    purge: PurgeSchedule | None = None,
    metrics: Metrics | None = None,
    log_requests: bool = False,
    tracing: Tracing | None = None,
) -> ASGIApp:
    """The whole service. Its lifespan (run by the server, or by a `TestClient` used as a
    context manager) runs the mail and webhook delivery workers, and `purge` if given."""
    mail = mail or MailSettings()
    if metrics is not None:
        metrics.instrument(database)
    if tracing is not None:
        tracing.instrument_database(database)
    refused = metrics.rate_limit_refused if metrics is not None else None
    limits = RateLimits(rate_limits, database, refused) if rate_limits is not None else None
    webhooks = webhooks or WebhookSettings()
    context = AppContext.load(
        database, mail, limits, organization_creation, identity, webhooks, console_oidc
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        delivery = MailDelivery(database, mail)
        delivery.start()
        attempted = metrics.webhook_attempt if metrics is not None else None
        webhook_delivery = DeliveryWorker(database, webhooks, on_attempt=attempted)
        webhook_delivery.start()
        if purge is not None:
            purge.start()
        try:
            yield
        finally:
            if purge is not None:
                purge.stop()
            delivery.stop()
            webhook_delivery.stop()
            if tracing is not None:
                tracing.shutdown()

    root = FastAPI(
        title="workspaced", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    root.state.workspaced = context
    documents: dict[str, dict[str, Any]] = {}
    mounts: list[tuple[str, ASGIApp]] = []
    for spec in DIALECTS:
        dialect_app = spec.build()
        dialect_app.state.workspaced = context
        if tracing is not None:
            tracing.instrument_app(dialect_app)
        documents[spec.name] = dialect_app.openapi()
        limited = BodyLimit(dialect_app, max_body_bytes, dialect_too_large(spec.too_large))
        served = with_cors(limited, cors_origins)
        mounts.extend((prefix, served) for prefix in spec.prefixes)
    # The admin console (docs/console.md): HTML pages over the same domain services.
    console = BodyLimit(create_console(context), max_body_bytes, dialect_too_large(form_too_large))
    mounts.append(("/console", console))

    @root.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return json_response({"status": "ok"})

    build = {"version": __version__, "schema_revision": head_revision()}

    @root.get("/version", include_in_schema=False)
    def version() -> Response:
        return json_response(build)

    @root.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        if database.ping():
            return json_response({"status": "ready"})
        return json_response({"status": "unavailable"}, status_code=503)

    add_docs_ui(root, documents)

    @root.get("/openapi/{dialect}.json", include_in_schema=False)
    def openapi(dialect: str) -> Response:
        document = documents.get(dialect)
        if document is None:
            return json_response({"detail": f"unknown dialect {dialect!r}"}, status_code=404)
        return json_response(document)

    if metrics is not None:
        root.add_api_route("/metrics", metrics_endpoint(metrics, database), include_in_schema=False)
    if tracing is not None:
        tracing.instrument_app(root)
    observer = RequestObserver(metrics, log_requests=log_requests)
    return DialectDispatcher(with_cors(root, cors_origins), mounts, observer if observer else None)


# What a browser may send and read (SPEC §9). Credentials are bearer tokens in a header,
# never cookies, so responses do not allow credentials.
CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-Id")
CORS_EXPOSED_HEADERS = ("X-Request-Id", "Retry-After", "ETag", "WWW-Authenticate")


def with_cors(app: ASGIApp, origins: tuple[str, ...]) -> ASGIApp:
    """`app` answering browser callers from `origins` (exact `scheme://host[:port]`
    strings) and their preflight requests; without origins, `app` as it is, so no
    browser on another origin may read an answer."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=600,
    )
