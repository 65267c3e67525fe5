"""Workspace roles and preferences."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response
from workspaced.preference import service as preferences
from workspaced.role import custom as custom_roles

router = APIRouter()
BASE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}"


@router.get(
    BASE + "/roles",
    response_model=schemas.RoleList,
    openapi_extra=permission("roles:list"),
    summary="List assignable roles",
)
def list_roles(
    organization_id: str, workspace_id: str, caller: Caller, context: Context, page: Page
) -> Response:
    with context.database.read() as session:
        org_slug, items = custom_roles.list_for_workspace(
            session, caller, organization_id, workspace_id
        )
    # Roles are few (built-in plus an organization's custom ones) and come in a fixed
    # order: a page token is the position of the next one.
    fingerprint = f"workspace-roles:{organization_id}:{workspace_id}"
    start = 0
    if page.page_token:
        values = context.page_tokens.decode(page.page_token, fingerprint)  # signed by us
        start = values[0] if len(values) == 1 and isinstance(values[0], int) else 0
    end = start + page.page_size
    body = [render.role(org_slug, r) for r in items[start:end]]
    token = context.page_tokens.encode(fingerprint, [end]) if end < len(items) else ""
    return json_response({"roles": body, "next_page_token": token})


@router.get(
    BASE + "/preferences",
    response_model=schemas.Preferences,
    openapi_extra=permission("preferences:get"),
    summary="Get workspace preferences",
)
def get_preferences(
    organization_id: str, workspace_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.read() as session:
        view = preferences.get(session, caller, organization_id, workspace_id)
    return json_response(render.preferences(view))


@router.patch(
    BASE + "/preferences",
    response_model=schemas.Preferences,
    openapi_extra=permission("preferences:update"),
    summary="Update workspace preferences",
)
def update_preferences(
    organization_id: str,
    workspace_id: str,
    body: schemas.PreferencesPatch,
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.write() as session:
        view = preferences.update(
            session,
            caller,
            organization_id,
            workspace_id,
            support_team_access=body.support_team_access,
        )
    return json_response(render.preferences(view))
