"""Dependencies of aip routes: the caller, the shared context, page and etag parsing."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from workspaced.authz.access import Principal
from workspaced.http.context import AppContext, app_context, authenticate
from workspaced.kit.pagination import PageRequest

_bearer = HTTPBearer(auto_error=False, description="Personal access token (`wsd_...`)")


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await authenticate(request, request.headers.get("authorization"))


async def page_request(
    page_size: Annotated[
        int | None,
        Query(
            description="At most this many items (default 50, max 1000; larger values are coerced)"
        ),
    ] = None,
    page_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> PageRequest:
    return PageRequest.of(page_size, page_token)


Caller = Annotated[Principal, Depends(caller)]
Context = Annotated[AppContext, Depends(app_context)]
Page = Annotated[PageRequest, Depends(page_request)]
OrgId = Annotated[str, "organization slug or uid"]


def bare_etag(value: str | None) -> str | None:
    """`If-Match` may carry `"abc"`, `W/"abc"` or `abc`; `*` means any version."""
    if value is None:
        return None
    value = value.strip()
    if value == "*" or not value:
        return None
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def quoted(etag: str) -> str:
    return f'"{etag}"'
