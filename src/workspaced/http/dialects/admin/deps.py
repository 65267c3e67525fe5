"""Dependencies of admin routes: the caller and the shared per-process context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from workspaced.authz.access import Principal
from workspaced.http.context import AppContext, app_context, authenticate

# auto_error=False: a missing token must reach our own 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="Personal access token (`wsd_...`)")


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return await authenticate(request, request.headers.get("authorization"))


Caller = Annotated[Principal, Depends(caller)]
Context = Annotated[AppContext, Depends(app_context)]
