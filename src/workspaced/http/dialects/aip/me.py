from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.dialects.aip.workspaces import workspace_page
from workspaced.http.responses import json_response
from workspaced.models import User
from workspaced.organization import service as organizations

router = APIRouter()


@router.get(
    "/api/v1/me",
    response_model=schemas.Me,
    openapi_extra=permission("authenticated"),
    summary="Who am I",
)
def me(caller: Caller, context: Context) -> Response:
    caller.require_person("users/me")
    with context.database.read() as session:
        user = session.scalars(select(User).where(User.id == caller.user_id)).one()
        orgs = organizations.memberships_of(session, caller.user_id)
    return json_response(
        {
            "user_id": str(user.id),
            "email": user.email,
            "username": user.username,
            "display_name": user.display_name,
            "organizations": [
                {
                    "organization_id": str(o.organization.id),
                    "name": f"organizations/{o.organization.slug}",
                    "display_name": o.organization.display_name,
                    "org_role": o.org_role,
                }
                for o in orgs
            ],
        }
    )


@router.get(
    "/api/v1/me/organizations/{organization_id}/workspaces",
    response_model=schemas.WorkspaceList,
    openapi_extra=permission("authenticated"),
    summary="The workspaces I am a member of in an organization",
)
async def my_workspaces(
    organization_id: str,
    caller: Caller,
    context: Context,
    page: Page,
    filter: Annotated[str, Query(max_length=4096)] = "",
    order_by: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    caller.require_person("users/me")  # before any lookup: the same for any key
    return await workspace_page(
        context, caller, organization_id, page, filter, order_by, only_member_of=True
    )
