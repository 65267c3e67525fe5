"""Dependencies of members routes: the caller, the shared context and the workspace path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from workspaced.authz.access import Principal
from workspaced.http.context import AppContext, app_context, authenticate
from workspaced.kit.errors import NotFound
from workspaced.kit.ids import (
    ORGANIZATION_SLUG_MAX,
    WORKSPACE_SLUG_MAX,
    is_valid_slug,
    parse_uuid,
)


async def caller(
    request: Request,
    # An optional header parameter (as the seed documents it), so a missing header reaches
    # authentication and answers 401 rather than a 422 for a missing parameter.
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>` with a personal access token (`wsd_...`)")
    ] = None,
) -> Principal:
    return await authenticate(request, authorization)


@dataclass(frozen=True)
class WorkspacePath:
    org: str
    workspace: str


def _names_something(ref: str, slug_max: int) -> bool:
    return parse_uuid(ref) is not None or is_valid_slug(ref, slug_max)


async def workspace_path(
    org_id: Annotated[str, Path(description="Organization ID")],
    workspace_id: Annotated[str, Path(description="Workspace ID")],
) -> WorkspacePath:
    """Both segments take a UUID or a slug. A segment that is neither cannot name anything:
    it is answered 404 here, before it reaches SQL (where, e.g., a NUL byte is an error)."""
    if not _names_something(org_id, ORGANIZATION_SLUG_MAX):
        raise NotFound("organization", org_id)
    if not _names_something(workspace_id, WORKSPACE_SLUG_MAX):
        raise NotFound("workspace", workspace_id)
    return WorkspacePath(org_id, workspace_id)


Caller = Annotated[Principal, Depends(caller)]
Context = Annotated[AppContext, Depends(app_context)]
Target = Annotated[WorkspacePath, Depends(workspace_path)]
