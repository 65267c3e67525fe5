"""Dependencies of activeloop routes: the caller, their home organization, the context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from workspaced.authz.access import Principal
from workspaced.http.context import AppContext, app_context, authenticate
from workspaced.kit.errors import NotFound
from workspaced.kit.ids import WORKSPACE_SLUG_MAX, is_valid_slug, parse_uuid

# Declared for the OpenAPI document (the seed's `Bearer` scheme); the token itself is
# checked by `authenticate`, so a missing header is rendered in this dialect's format.
_bearer = HTTPBearer(
    scheme_name="Bearer",
    bearerFormat="JWT",
    description="Enter your bearer token in the format 'your-token' "
    "(without quotes or 'Bearer' prefix)",
    auto_error=False,
)


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await authenticate(request, request.headers.get("authorization"))


Caller = Annotated[Principal, Depends(caller)]
Context = Annotated[AppContext, Depends(app_context)]


def home_org(principal: Principal) -> str:
    """The API has no organization in its paths: every call acts in the token's home
    organization."""
    return str(principal.home_org_id)


def workspace_ref(value: str) -> str:
    """A path's workspace id. One that is neither a slug nor a UUID names nothing, so it
    is answered 404 without a query (PostgreSQL refuses NUL bytes in text)."""
    if parse_uuid(value) is None and not is_valid_slug(value, WORKSPACE_SLUG_MAX):
        raise NotFound("workspace", value)
    return value


def user_ref(value: str) -> str:
    """A user id or email; with a NUL byte it matches nobody, so look up one that cannot
    match rather than let PostgreSQL reject the query."""
    return "" if "\x00" in value else value
