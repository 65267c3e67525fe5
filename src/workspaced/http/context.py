"""Per-process state the dialects share: the database, the page-token codec, the mail
settings and the rate limits."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import anyio
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from workspaced.auth import identities, token_format
from workspaced.auth import service as auth
from workspaced.auth.oidc import Claims, ConsoleClient, TokenVerifier
from workspaced.authz.access import Principal
from workspaced.console.identity_provider import ConsoleSignIn
from workspaced.event.delivery import WebhookSettings
from workspaced.http.rate_limits import RateLimits
from workspaced.kit.db import RETRY_AFTER_S, Database
from workspaced.kit.errors import Unauthenticated, Unavailable
from workspaced.kit.page_tokens import PageTokenCodec
from workspaced.mail import MailSettings
from workspaced.models import ServerSecret
from workspaced.organization.lifecycle import OrganizationCreation

T = TypeVar("T")


@dataclass
class AppContext:
    database: Database
    page_tokens: PageTokenCodec
    mail: MailSettings
    rate_limits: RateLimits | None = None  # None: no limits (tests, benchmarks)
    organization_creation: OrganizationCreation = OrganizationCreation.users
    identity: TokenVerifier | None = None  # None: no identity provider's JWTs accepted
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    # None: the console signs in with personal access tokens only.
    console_sign_in: ConsoleSignIn | None = None

    @classmethod
    def load(
        cls,
        database: Database,
        mail: MailSettings,
        rate_limits: RateLimits | None = None,
        organization_creation: OrganizationCreation = OrganizationCreation.users,
        identity: TokenVerifier | None = None,
        webhooks: WebhookSettings | None = None,
        console_oidc: ConsoleClient | None = None,
    ) -> AppContext:
        with database.read() as session:
            key = session.scalar(
                select(ServerSecret.value).where(ServerSecret.name == "page_token_key")
            )
        if key is None:
            raise RuntimeError("the database is not migrated: run `workspaced migrate`")
        if console_oidc is not None and identity is None:
            raise ValueError("the console's identity provider client needs an issuer")
        console_sign_in = (
            ConsoleSignIn(console_oidc, identity, key)
            if console_oidc is not None and identity is not None
            else None
        )
        return cls(
            database,
            PageTokenCodec(key),
            mail,
            rate_limits,
            organization_creation,
            identity,
            webhooks or WebhookSettings(),
            console_sign_in,
        )


async def app_context(request: Request) -> AppContext:
    # async (it does not block): FastAPI hands every sync dependency to a worker thread,
    # and the hop costs more than the whole lookup.
    context: AppContext = request.app.state.workspaced
    return context


# An OFFSET up to this many rows still reads as a short index walk (about a millisecond).
INLINE_OFFSET_MAX = 10_000


async def run_read(database: Database, read: Callable[[], T], *, bounded: bool = True) -> T:
    """Run a read transaction; `bounded` says an index bounds its work (a token lookup, a
    keyed row, an unfiltered keyset page).

    A bounded read on SQLite in WAL mode runs inline on the event loop: it is a call into
    a local file that takes tens of microseconds, while handing it to a worker thread and
    back costs hundreds, and WAL readers never wait for writers. On PostgreSQL a read
    waits on the network, so it goes to the thread pool and the loop keeps serving; so
    does anything that may scan (filters, deep offsets, unpaged lists) or wait on a lock
    (every write, and every read of a SQLite database left in rollback-journal mode).
    """
    if bounded and database.reads_never_wait:
        return read()
    if bounded:
        return await run_in_threadpool(read)
    return await _run_scan(read)


# SPEC §6: reads that may scan run at most this many at a time, whoever sends them, so a
# burst of expensive requests queues among itself while token lookups and keyed reads
# keep the rest of the thread pool; a scan that cannot start within SCAN_QUEUE_S is
# refused (503, Retry-After) rather than left waiting without end.
SCAN_CONCURRENCY = 4
SCAN_QUEUE_S = 10.0
_scan_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def run_list_read(read: Callable[[], T], *, filtered: bool) -> T:
    """A page of a list that a filter may make a scan (a `:` match, a non-indexed field):
    filtered, it takes a scan slot; unfiltered, the thread pool as any read does."""
    if filtered:
        return await _run_scan(read)
    return await run_in_threadpool(read)


async def _run_scan(read: Callable[[], T]) -> T:
    loop = asyncio.get_running_loop()
    slots = _scan_slots.get(loop)
    if slots is None:
        slots = _scan_slots[loop] = anyio.CapacityLimiter(SCAN_CONCURRENCY)
    try:
        with anyio.fail_after(SCAN_QUEUE_S):
            await slots.acquire()
    except TimeoutError:
        raise Unavailable(
            "too many expensive requests are running; retry, or narrow the request",
            retry_after=RETRY_AFTER_S,
        ) from None
    try:
        return await run_in_threadpool(read)
    finally:
        slots.release()


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def authenticate(request: Request, authorization: str | None) -> Principal:
    """Resolve the bearer credential or raise Unauthenticated (each dialect renders it).
    Counts the request against its credential's rate limit, or, when the credential is
    missing or not valid, against its client address's (ResourceExhausted past either)."""
    context: AppContext = request.app.state.workspaced
    database, limits = context.database, context.rate_limits
    address = _client_address(request)

    def refused() -> None:
        if limits is not None:
            limits.address(address)

    try:
        token = auth.parse_authorization_header(authorization)
    except Unauthenticated:
        await run_read(database, refused)
        raise
    if not token_format.is_well_formed(token):
        principal = await _authenticate_jwt(context, token, refused)
    else:

        def lookup() -> tuple[Principal, datetime | None]:
            try:
                with database.read_connection() as connection:
                    found = auth.authenticate(connection, token)
            except Unauthenticated:
                refused()
                raise
            if limits is not None:
                limits.credential(str(found[0].api_key_id or found[0].token_id))
            return found

        principal, last_used = await run_read(database, lookup)
        if auth.needs_last_used_update(last_used):
            await run_in_threadpool(_touch_last_used, database, principal)
    request.state.principal = principal
    return principal


async def _authenticate_jwt(
    context: AppContext, token: str, refused: Callable[[], None]
) -> Principal:
    """An identity provider's JWT: verified (inline when its key is cached: no I/O),
    then its user found, or created just in time on a first sign-in (a write)."""
    database, limits, verifier = context.database, context.rate_limits, context.identity
    try:
        if verifier is None:
            raise Unauthenticated("malformed token")  # no identity provider configured
        if verifier.needs_fetch(token):
            claims = await run_in_threadpool(verifier.verify, token)
        else:
            claims = verifier.verify(token)
    except Unauthenticated:
        await run_read(database, refused)
        raise

    def lookup() -> Principal | None:
        with database.read_connection() as connection:
            found = identities.find(connection, claims)
        if found is not None and limits is not None:
            limits.credential(str(found.user_id))
        return found

    principal = await run_read(database, lookup)
    if principal is None:
        principal = await run_in_threadpool(_first_sign_in, database, claims)
        if limits is not None:
            await run_read(database, lambda: limits.credential(str(principal.user_id)))
    return principal


def _first_sign_in(database: Database, claims: Claims) -> Principal:
    with database.write() as session:
        return identities.sign_in(session, claims)


async def count_anonymous(request: Request) -> None:
    """Count a request that carries no credential against its client address's limit."""
    context: AppContext = request.app.state.workspaced
    limits = context.rate_limits
    if limits is None:
        return
    address = _client_address(request)
    # A bounded read's placement: inline where counting waits on nothing, else a thread.
    await run_read(context.database, lambda: limits.address(address))


def _touch_last_used(database: Database, principal: Principal) -> None:
    with database.write() as session:
        auth.touch_last_used(session, principal)
