"""`Client` and `AsyncClient`: one credential, one base URL, every aip route."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from workspaced.client import _routes as routes
from workspaced.client import async_resources as a
from workspaced.client import resources as r
from workspaced.client._http import AsyncHTTP, SyncHTTP
from workspaced.client.models import Me

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_RETRY_DELAY = 30.0


class Client:
    """A synchronous client of workspaced's native API (`/api/v1`), over `httpx.Client`.

    `token` is any credential workspaced accepts, sent as `Authorization: Bearer`: a
    personal access token (`wsd_...`), an organization API key (`wsk_...`) or a JWT of the
    configured identity provider. None sends no credential (only for accepting an
    invitation without an account).

    Idempotent requests (GET, PUT, DELETE and the read-only POSTs `:testPermissions`,
    `:checkAccess`, `:countUsers`) answered 429 or 503, or that got no response, are
    retried up to `max_retries` times, waiting `Retry-After` (or exponential backoff) but
    never more than `max_retry_delay` seconds per try. Other requests are never retried.

    Pass `transport` (an `httpx.BaseTransport`, e.g. `httpx.MockTransport`) or a
    ready `http_client` (not closed by `close()`) to control the HTTP layer.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._http = SyncHTTP(
            base_url,
            token,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            headers=headers,
            transport=transport,
            http_client=http_client,
        )
        self.organizations = r.Organizations(self._http)
        self.workspaces = r.Workspaces(self._http)
        self.members = r.Members(self._http)
        self.organization_users = r.OrganizationUsers(self._http)
        self.roles = r.Roles(self._http)
        self.preferences = r.PreferencesResource(self._http)
        self.invites = r.Invites(self._http)
        self.tokens = r.Tokens(self._http)
        self.api_keys = r.ApiKeys(self._http)
        self.webhooks = r.Webhooks(self._http)
        self.events = r.Events(self._http)
        self.audit_events = r.AuditEvents(self._http)
        self.permissions = r.Permissions(self._http)

    @property
    def base_url(self) -> str:
        return self._http.core.base_url

    def me(self) -> Me:
        """The signed-in person and all their organizations (not for API keys)."""
        return self._http.call(routes.me())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"


class AsyncClient:
    """The asynchronous twin of `Client`, over `httpx.AsyncClient`: the same resource
    groups and methods, awaited (`async for` over `list` methods)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = AsyncHTTP(
            base_url,
            token,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            headers=headers,
            transport=transport,
            http_client=http_client,
        )
        self.organizations = a.AsyncOrganizations(self._http)
        self.workspaces = a.AsyncWorkspaces(self._http)
        self.members = a.AsyncMembers(self._http)
        self.organization_users = a.AsyncOrganizationUsers(self._http)
        self.roles = a.AsyncRoles(self._http)
        self.preferences = a.AsyncPreferencesResource(self._http)
        self.invites = a.AsyncInvites(self._http)
        self.tokens = a.AsyncTokens(self._http)
        self.api_keys = a.AsyncApiKeys(self._http)
        self.webhooks = a.AsyncWebhooks(self._http)
        self.events = a.AsyncEvents(self._http)
        self.audit_events = a.AsyncAuditEvents(self._http)
        self.permissions = a.AsyncPermissions(self._http)

    @property
    def base_url(self) -> str:
        return self._http.core.base_url

    async def me(self) -> Me:
        return await self._http.call(routes.me())

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.base_url!r})"
