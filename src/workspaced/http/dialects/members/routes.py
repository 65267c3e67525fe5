"""The four member operations. Each is one service call in one transaction."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from workspaced.http.context import INLINE_OFFSET_MAX, run_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.members import render
from workspaced.http.dialects.members.deps import Caller, Context, Target
from workspaced.http.dialects.members.errors import body_field_errors
from workspaced.http.dialects.members.schemas import (
    DEFAULT_ROLE,
    AddMemberRequest,
    ErrorResponse,
    Member,
    MemberList,
    UpdateMemberRoleRequest,
)
from workspaced.http.responses import json_response
from workspaced.membership import service as memberships
from workspaced.membership.service import MemberView

router = APIRouter(tags=["Workspace Members"])
BASE = "/v1/orgs/{org_id}/workspaces/{workspace_id}/members"
# OFFSET is a signed 64-bit integer in both databases; beyond it the query would fail.
MAX_OFFSET = 2**63 - 1

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "Conflict: already a member, or the workspace would lose its last owner",
        "content": {
            "application/json": {
                "example": {
                    "error": "CONFLICT",
                    "message": "a workspace must keep at least one owner",
                    "details": {"reason": "LAST_OWNER"},
                    "timestamp": "2025-01-01T00:00:00.000000",
                    "status_code": 409,
                }
            }
        },
    }
}


@router.get(
    BASE,
    response_model=MemberList,
    summary="List Workspace Members",
    openapi_extra=permission("members:list"),
)
async def list_workspace_members(
    caller: Caller,
    where: Target,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many members")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Members to skip")] = 0,
) -> Response:
    """Explicit members of the workspace, oldest first; `total` counts them all."""

    def read() -> tuple[list[MemberView], int]:
        with context.database.read() as session:
            return memberships.list_all_explicit(
                session, caller, where.org, where.workspace, limit=limit, offset=offset
            )

    bounded = offset <= INLINE_OFFSET_MAX
    members, total = await run_read(context.database, read, bounded=bounded)
    return json_response({"members": [render.member(m) for m in members], "total": total})


@router.post(
    BASE,
    response_model=Member,
    status_code=201,
    summary="Add Workspace Member",
    openapi_extra=permission("members:add"),
    responses=_CONFLICT,
)
def add_workspace_member(
    caller: Caller, where: Target, body: AddMemberRequest, context: Context
) -> Response:
    """Make an organization member a member of the workspace (role `viewer` by default)."""
    role = body.role if body.role is not None else DEFAULT_ROLE
    # The transaction (inner) rolls back before the error is translated (outer).
    with (
        body_field_errors(role=body.role, user_id=str(body.user_id)),
        context.database.write() as session,
    ):
        member = memberships.add(
            session, caller, where.org, where.workspace, user_ref=str(body.user_id), role=role
        )
    return json_response(render.member(member), status_code=201)


@router.patch(
    BASE + "/{member_user_id}",
    response_model=Member,
    summary="Update Workspace Member Role",
    openapi_extra=permission("members:update"),
    responses=_CONFLICT,
)
def update_workspace_member_role(
    caller: Caller,
    where: Target,
    member_user_id: Annotated[uuid.UUID, Path(description="User ID of the member to update")],
    body: UpdateMemberRoleRequest,
    context: Context,
) -> Response:
    with body_field_errors(role=body.role), context.database.write() as session:
        member = memberships.change_role(
            session,
            caller,
            where.org,
            where.workspace,
            user_ref=str(member_user_id),
            role=body.role,
        )
    return json_response(render.member(member))


@router.delete(
    BASE + "/{member_user_id}",
    status_code=204,
    response_class=Response,
    summary="Remove Workspace Member",
    openapi_extra=permission("members:remove"),
    responses=_CONFLICT,
)
def remove_workspace_member(
    caller: Caller,
    where: Target,
    member_user_id: Annotated[uuid.UUID, Path(description="User ID of the member to remove")],
    context: Context,
) -> Response:
    with context.database.write() as session:
        memberships.remove(
            session, caller, where.org, where.workspace, user_ref=str(member_user_id)
        )
    return Response(status_code=204)
