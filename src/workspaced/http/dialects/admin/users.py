"""GET .../orgs/{org_id}/workspaces/{workspace_id}/users: explicit members, keyset pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from workspaced.http.context import run_read
from workspaced.http.dialect import permission
from workspaced.http.dialects.admin.deps import Caller, Context
from workspaced.http.dialects.admin.problems import Problem
from workspaced.http.dialects.admin.schemas import WorkspaceUserList
from workspaced.http.responses import json_response
from workspaced.kit.page_tokens import MAX_TOKEN_LENGTH
from workspaced.kit.pagination import PageRequest
from workspaced.membership import service as memberships
from workspaced.membership.service import MemberView

PREFIX = "/workspace/admin"
USERS = PREFIX + "/orgs/{org_id}/workspaces/{workspace_id}/users"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

DESCRIPTION = (
    "List all users and their roles within a workspace. Admin endpoints allow organization "
    "admin users to access any workspace, regardless of their role or lack thereof within "
    "the workspace."
)

# The seed's descriptions, word for word; app.py serves their schema as problem+json.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in [
        (401, "No permission -- see authorization schemes"),
        (403, "Request forbidden -- authorization will not help"),
        (404, "Resource not found or user lacks access"),
        (405, "Specified method is invalid for this resource"),
        (410, "Resource is gone"),
        (422, "Unprocessable Content"),
    ]
}

router = APIRouter()


def _user(member: MemberView) -> dict[str, Any]:
    return {
        "email": member.email or None,
        "full_name": member.display_name or None,
        "role": member.role_id,
        "user_id": str(member.user_id),
    }


def _next_link(request: Request, limit: int, user_id: uuid.UUID | None, cursor: str) -> str:
    """Path and query of the next page: the same filter and limit, the new cursor."""
    query: list[tuple[str, str]] = [("limit", str(limit))]
    if user_id is not None:
        query.append(("user_id", str(user_id)))
    query.append(("cursor", cursor))
    return f"{request.url.path}?{urlencode(query)}"


@router.get(
    USERS,
    response_model=WorkspaceUserList,
    responses=PROBLEM_RESPONSES,
    summary="List users",
    description=DESCRIPTION,
    operation_id="list_users",
    response_description="Successful Response",
    openapi_extra=permission("organization:administer"),
)
async def list_users(
    request: Request,
    org_id: Annotated[uuid.UUID, Path(description="The organization's id.")],
    workspace_id: Annotated[uuid.UUID, Path(description="The workspace's id.")],
    caller: Caller,
    context: Context,
    user_id: Annotated[
        uuid.UUID | None, Query(description="Filter to see the role of a specific user ID.")
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=(f"At most this many results (default {DEFAULT_LIMIT}, 1 to {MAX_LIMIT})."),
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_TOKEN_LENGTH,
            description=(
                "Opaque position from a previous page's `links.next`; omit for the first page."
            ),
        ),
    ] = None,
) -> Response:
    def read() -> tuple[list[MemberView], str]:
        with context.database.read() as session:
            return memberships.list_for_org_admin(
                session,
                caller,
                str(org_id),
                str(workspace_id),
                page=PageRequest(limit, cursor or ""),
                codec=context.page_tokens,
                user_id=user_id,
            )

    members, token = await run_read(context.database, read)
    links = {"next": _next_link(request, limit, user_id, token)} if token else {}
    return json_response({"links": links, "results": [_user(m) for m in members]})
