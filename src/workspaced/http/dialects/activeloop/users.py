"""Workspace members: POST/PUT /workspaces/{id}/user, DELETE /workspaces/{id}/user/{user_id},
GET /workspaces/{id}/users."""

from __future__ import annotations

import itertools
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.activeloop import render, schemas
from workspaced.http.dialects.activeloop.deps import (
    Caller,
    Context,
    home_org,
    user_ref,
    workspace_ref,
)
from workspaced.http.responses import json_response, streamed_list
from workspaced.membership import listing
from workspaced.membership import service as memberships
from workspaced.role import service as roles

router = APIRouter()


@router.post("/workspaces/{workspace_id}/user", openapi_extra=permission("members:add"))
def add_user_to_workspace(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to add user to.")],
    body: schemas.WorkspaceAddUserRequest,
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.write() as session:
        member = memberships.add(
            session,
            caller,
            home_org(caller),
            workspace_ref(workspace_id),
            user_ref=user_ref(body.user),
            role=render.ROLE_OF_ACCESS[body.access],
        )
    return json_response(render.member(member))


@router.put("/workspaces/{workspace_id}/user", openapi_extra=permission("members:update"))
def update_user_in_workspace(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to update user info.")],
    body: schemas.WorkspaceUpdateUserRequest,
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.write() as session:
        member = memberships.change_role(
            session,
            caller,
            home_org(caller),
            workspace_ref(workspace_id),
            user_ref=user_ref(body.user),
            role=render.ROLE_OF_ACCESS[body.access],
        )
    return json_response(render.member(member))


@router.delete(
    "/workspaces/{workspace_id}/user/{user_id}", openapi_extra=permission("members:remove")
)
def remove_user_from_workspace(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to remove user from.")],
    user_id: Annotated[str, Path(description="The ID of the user.")],
    caller: Caller,
    context: Context,
) -> Response:
    # The vendor answers a removal with the membership as it was.
    with context.database.write() as session:
        removed = memberships.remove(
            session,
            caller,
            home_org(caller),
            workspace_ref(workspace_id),
            user_ref=user_ref(user_id),
        )
        nearest = roles.nearest_built_in(session, removed.org_id)
    return json_response(render.member(removed, nearest))


@router.get(
    "/workspaces/{workspace_id}/users",
    response_model=schemas.WorkspaceUserList,
    openapi_extra=permission("members:list"),
)
def list_workspace_users(
    workspace_id: Annotated[str, Path(description="The ID of the workspace to list users from.")],
    caller: Caller,
    context: Context,
) -> Response:
    # Explicit members only, oldest first: organization admins' implicit access is not a
    # membership in the vendor's model. The seed's list has no paging: it is streamed.
    batches = listing.stream_all_explicit(
        context.database.read, caller, home_org(caller), workspace_ref(workspace_id)
    )
    first = next(batches)  # authorizes the caller: a refusal is answered before any body
    nearest: dict[str, str] = {}
    if first:
        with context.database.read() as session:
            nearest = roles.nearest_built_in(session, first[0].org_id)
    return streamed_list(
        "data", itertools.chain([first], batches), lambda m: render.member(m, nearest)
    )
