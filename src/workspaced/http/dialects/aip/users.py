from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from workspaced.http.context import run_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response
from workspaced.membership import service as memberships
from workspaced.membership.service import MemberView

router = APIRouter()
BASE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}/users"


@router.get(
    BASE,
    response_model=schemas.WorkspaceUserList,
    openapi_extra=permission("members:list"),
    summary="List workspace users",
)
async def list_users(
    organization_id: str,
    workspace_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Annotated[
        str,
        Query(
            max_length=4096,
            description='AIP-160: role="Workspace '
            'Viewer", role_scope=workspace|organization, search:"john"',
        ),
    ] = "",
    order_by: Annotated[
        str,
        Query(
            max_length=1000,
            description="display_name, email, created_time, updated_time; optionally desc",
        ),
    ] = "",
) -> Response:
    def read() -> tuple[list[MemberView], str]:
        with context.database.read() as session:
            return memberships.list_users(
                session,
                caller,
                organization_id,
                workspace_id,
                page=page,
                codec=context.page_tokens,
                filter_text=filter,
                order_by=order_by,
            )

    if filter:
        # A filter may scan the workspace, so it waits for a scan slot; what would be
        # refused anyway (no access, a filter past the budget) is refused first, at once.
        def check() -> None:
            with context.database.read() as session:
                memberships.check_list_users(
                    session,
                    caller,
                    organization_id,
                    workspace_id,
                    filter_text=filter,
                    order_by=order_by,
                )

        await run_read(context.database, check)
    # order_by alone still walks an index.
    items, token = await run_read(context.database, read, bounded=not filter)
    return json_response({"users": [render.member(m) for m in items], "next_page_token": token})


@router.post(
    BASE,
    response_model=schemas.WorkspaceUser,
    openapi_extra=permission("members:add"),
    summary="Add an organization user to the workspace",
)
def add_user(
    organization_id: str,
    workspace_id: str,
    body: schemas.AddUserIn,
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.write() as session:
        member = memberships.add(
            session,
            caller,
            organization_id,
            workspace_id,
            user_ref=body.user,
            role=body.role,
            allow_role_display_name=True,
        )
    return json_response(render.member(member))


@router.patch(
    BASE + "/{user_id}",
    response_model=schemas.WorkspaceUser,
    openapi_extra=permission("members:update"),
    summary="Change a member's role",
)
def change_role(
    organization_id: str,
    workspace_id: str,
    user_id: str,
    body: schemas.ChangeRoleIn,
    caller: Caller,
    context: Context,
) -> Response:
    with context.database.write() as session:
        member = memberships.change_role(
            session,
            caller,
            organization_id,
            workspace_id,
            user_ref=user_id,
            role=body.role,
            allow_role_display_name=True,
        )
    return json_response(render.member(member))


@router.delete(
    BASE + "/{user_id}",
    response_model=schemas.Empty,
    openapi_extra=permission("members:remove"),
    summary="Remove a member",
)
def remove_user(
    organization_id: str, workspace_id: str, user_id: str, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        memberships.remove(session, caller, organization_id, workspace_id, user_ref=user_id)
    return json_response({})
