from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response
from workspaced.organization import service as organizations

router = APIRouter()


@router.get(
    "/api/v1/organizations",
    response_model=schemas.OrganizationList,
    openapi_extra=permission("authenticated"),
    summary="List my organizations",
)
def list_organizations(caller: Caller, context: Context, page: Page) -> Response:
    with context.database.read() as session:
        items, token = organizations.list_for_user(session, caller, page, context.page_tokens)
    return json_response(
        {
            "organizations": [render.organization(i.organization) for i in items],
            "next_page_token": token,
        }
    )


@router.get(
    "/api/v1/organizations/{organization_id}",
    response_model=schemas.Organization,
    openapi_extra=permission("authenticated"),
    summary="Get an organization",
)
def get_organization(organization_id: str, caller: Caller, context: Context) -> Response:
    with context.database.read() as session:
        access = organizations.resolve(session, caller, organization_id)
    return json_response(render.organization(access.organization))
