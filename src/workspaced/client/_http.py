"""Sending requests: credentials, retries with backoff, error mapping and pagination.

Resources describe what to send as a `Call` (one request and how to parse its answer) or
a `ListCall` (a paged list); `SyncHTTP` and `AsyncHTTP` send them over `httpx`.

Retries: a request is sent again only when it is idempotent (GET, HEAD, PUT, DELETE, or a
POST that only reads, marked `idempotent=True`) and the server answered 429 or 503, or no
response arrived (connection refused or reset, timeout). The wait is the `Retry-After`
the server sent, else exponential backoff with jitter; never more than `max_delay`
seconds per try, and at most `max_retries` tries after the first.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import anyio
import httpx

from workspaced import __version__
from workspaced.client.errors import ConnectionFailed, WorkspacedError, error_from_response
from workspaced.client.models import Page

T = TypeVar("T")
log = logging.getLogger("workspaced.client")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({429, 503})
# Errors that mean no (complete) response arrived; others (a bad URL, a local protocol
# error) would fail the same way again.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
)
USER_AGENT = f"workspaced-python/{__version__} httpx/{httpx.__version__}"

Params = Mapping[str, str | int | bool | None]


def path(template: str, *segments: str) -> str:
    """`template` with each `{}` replaced by a segment, percent-encoded (an email as a
    user id becomes `a%40b.com`; a `/` can never escape its segment)."""
    return template.format(*(quote(str(s), safe="") for s in segments))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: Params = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    idempotent: bool | None = None  # None: from the method

    @property
    def retryable(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in IDEMPOTENT_METHODS


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and how to turn its JSON answer into the result."""

    request: Request
    parse: Callable[[Any], T]


@dataclass(frozen=True)
class ListCall(Generic[T]):
    """A paged list: `{<key>: [...], next_page_token}` (AIP-158)."""

    request: Request
    key: str
    item: Callable[[Any], T]

    def at(self, page_size: int | None, page_token: str | None) -> Request:
        params = {**self.request.params, "page_size": page_size, "page_token": page_token or None}
        return replace(self.request, params=params)

    def parse(self, body: Any) -> Page[T]:
        items = tuple(self.item(i) for i in body.get(self.key) or [])
        return Page(items=items, next_page_token=str(body.get("next_page_token") or ""))


@dataclass(frozen=True)
class RetryPolicy:
    """How `SyncHTTP`/`AsyncHTTP` retry: `max_retries` tries after the first; each wait
    is the server's `Retry-After` or `backoff * 2**n` seconds (up to `backoff_max`, with
    jitter), never more than `max_delay`."""

    max_retries: int = 3
    max_delay: float = 30.0
    backoff: float = 0.5
    backoff_max: float = 8.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        if retry_after is not None:
            wait = retry_after + random.uniform(0, 0.1)  # noqa: S311 (jitter, not crypto)
        else:
            ceiling = min(self.backoff_max, self.backoff * 2**retry)
            wait = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311
        return max(0.0, min(wait, self.max_delay))


def _dropping_none(params: Params) -> dict[str, str | int | bool]:
    return {k: v for k, v in params.items() if v is not None}


def _json_of(response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError as exc:
        raise WorkspacedError(
            f"the server answered {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
        ) from exc


class _Core:
    """What the sync and async senders share: building requests and deciding retries."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        max_retries: int,
        max_retry_delay: float,
        headers: Mapping[str, str] | None,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required, e.g. http://127.0.0.1:8000")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.retry = RetryPolicy(max_retries=max_retries, max_delay=max_retry_delay)
        self.headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.headers.update(headers or {})
        if token is not None:
            token = token.strip()
            if not token:
                raise ValueError("token is empty")
            self.headers["Authorization"] = f"Bearer {token}"

    def build(self, http: httpx.Client | httpx.AsyncClient, request: Request) -> httpx.Request:
        return http.build_request(
            request.method,
            self.base_url + request.path,
            params=_dropping_none(request.params),
            json=request.json,
            headers={**self.headers, **request.headers},
        )

    def wait_after_response(
        self, request: Request, retry: int, response: httpx.Response
    ) -> tuple[float | None, WorkspacedError]:
        """The error `response` stands for, and how long to wait before sending again
        (None: raise it)."""
        error = error_from_response(response)
        if (
            response.status_code in RETRYABLE_STATUSES
            and request.retryable
            and retry < self.retry.max_retries
        ):
            return self.retry.delay(retry, error.retry_after), error
        return None, error

    def wait_after_exception(self, request: Request, retry: int, exc: Exception) -> float | None:
        if (
            isinstance(exc, RETRYABLE_EXCEPTIONS)
            and request.retryable
            and retry < self.retry.max_retries
        ):
            return self.retry.delay(retry, None)
        return None


def _connection_failed(request: Request, exc: httpx.HTTPError) -> ConnectionFailed:
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ConnectionFailed(f"{request.method} {request.path}: no response ({what})")


class SyncHTTP:
    """Sends `Request`s over an `httpx.Client`, retrying and raising `WorkspacedError`s."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_delay: float,
        headers: Mapping[str, str] | None,
        transport: httpx.BaseTransport | None,
        http_client: httpx.Client | None,
    ) -> None:
        if transport is not None and http_client is not None:
            raise ValueError("pass transport or http_client, not both")
        self.core = _Core(
            base_url,
            token,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            headers=headers,
        )
        self._owns_client = http_client is None
        self.client = http_client or httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def send(self, request: Request) -> httpx.Response:
        retry = 0
        while True:
            try:
                response = self.client.send(self.core.build(self.client, request))
            except httpx.HTTPError as exc:
                wait = self.core.wait_after_exception(request, retry, exc)
                if wait is None:
                    raise _connection_failed(request, exc) from exc
                log.info("%s %s: %r; retrying in %.2f s", request.method, request.path, exc, wait)
            else:
                if response.status_code < 400:
                    return response
                wait, error = self.core.wait_after_response(request, retry, response)
                if wait is None:
                    raise error
                log.info("%s %s: %s; retrying in %.2f s", request.method, request.path, error, wait)
            time.sleep(wait)
            retry += 1

    def call(self, call: Call[T]) -> T:
        return call.parse(_json_of(self.send(call.request)))

    def page(self, call: ListCall[T], page_size: int | None, page_token: str | None) -> Page[T]:
        return call.parse(_json_of(self.send(call.at(page_size, page_token))))

    def iterate(self, call: ListCall[T], page_size: int | None) -> Iterator[T]:
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = self.page(call, page_size, token)
            yield from page.items
            if not page.next_page_token or page.next_page_token in seen:
                return
            token = page.next_page_token
            seen.add(token)


class AsyncHTTP:
    """Sends `Request`s over an `httpx.AsyncClient`, retrying and raising `WorkspacedError`s."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_delay: float,
        headers: Mapping[str, str] | None,
        transport: httpx.AsyncBaseTransport | None,
        http_client: httpx.AsyncClient | None,
    ) -> None:
        if transport is not None and http_client is not None:
            raise ValueError("pass transport or http_client, not both")
        self.core = _Core(
            base_url,
            token,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            headers=headers,
        )
        self._owns_client = http_client is None
        self.client = http_client or httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def send(self, request: Request) -> httpx.Response:
        retry = 0
        while True:
            try:
                response = await self.client.send(self.core.build(self.client, request))
            except httpx.HTTPError as exc:
                wait = self.core.wait_after_exception(request, retry, exc)
                if wait is None:
                    raise _connection_failed(request, exc) from exc
                log.info("%s %s: %r; retrying in %.2f s", request.method, request.path, exc, wait)
            else:
                if response.status_code < 400:
                    return response
                wait, error = self.core.wait_after_response(request, retry, response)
                if wait is None:
                    raise error
                log.info("%s %s: %s; retrying in %.2f s", request.method, request.path, error, wait)
            await anyio.sleep(wait)
            retry += 1

    async def call(self, call: Call[T]) -> T:
        return call.parse(_json_of(await self.send(call.request)))

    async def page(
        self, call: ListCall[T], page_size: int | None, page_token: str | None
    ) -> Page[T]:
        return call.parse(_json_of(await self.send(call.at(page_size, page_token))))

    async def iterate(self, call: ListCall[T], page_size: int | None) -> AsyncIterator[T]:
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.page(call, page_size, token)
            for item in page.items:
                yield item
            if not page.next_page_token or page.next_page_token in seen:
                return
            token = page.next_page_token
            seen.add(token)
