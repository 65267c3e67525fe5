from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from workspaced.http.dialect import permission
from workspaced.http.dialects.aip import render, schemas
from workspaced.http.dialects.aip.deps import Caller, Context, Page
from workspaced.http.responses import json_response, secret_response
from workspaced.kit.errors import InvalidArgument
from workspaced.organization import lifecycle
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


@router.post(
    "/api/v1/organizations",
    response_model=schemas.CreatedOrganization,
    openapi_extra=permission("authenticated"),
    summary="Create an organization (the caller becomes its owner)",
)
def create_organization(
    body: schemas.OrganizationIn,
    caller: Caller,
    context: Context,
    organization_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    with context.database.write() as session:
        created = lifecycle.create(
            session,
            caller,
            display_name=body.display_name,
            slug=organization_id,
            creation=context.organization_creation,
        )
    body_out = render.organization(created.access.organization)
    if created.token is None:
        return json_response(body_out)
    return secret_response({**body_out, "token": created.token})


@router.patch(
    "/api/v1/organizations/{organization_id}",
    response_model=schemas.Organization,
    openapi_extra=permission(organizations.ADMINISTER),
    summary="Rename an organization (owners and admins)",
)
def update_organization(
    organization_id: str,
    body: schemas.OrganizationPatch,
    caller: Caller,
    context: Context,
    update_mask: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    paths = _mask_paths(update_mask, body.model_fields_set)
    with context.database.write() as session:
        if "display_name" in paths:
            if body.display_name is None:
                raise InvalidArgument("display_name", "is required")
            access = lifecycle.update(
                session, caller, organization_id, display_name=body.display_name
            )
        else:  # nothing to change: still only for those who could change it
            access = organizations.resolve_admin(
                session, caller, organization_id, permission="organization:update"
            )
    return json_response(render.organization(access.organization))


def _mask_paths(update_mask: str | None, given: set[str]) -> set[str]:
    """AIP-134: the fields named by `update_mask` (`*`: all), else the fields given."""
    if update_mask is None or not update_mask.strip():
        return given & MASKABLE
    if update_mask.strip() == "*":
        return set(MASKABLE)
    paths = {p.strip() for p in update_mask.split(",") if p.strip()}
    unknown = paths - MASKABLE
    if unknown:
        raise InvalidArgument(
            "update_mask",
            f"{sorted(unknown)[0]!r} is not an updatable field (updatable: display_name)",
        )
    return paths


MASKABLE = {"display_name"}


@router.post(
    "/api/v1/organizations/{organization_id}:transferOwnership",
    response_model=schemas.Organization,
    openapi_extra=permission(lifecycle.TRANSFER),
    summary="Make another member an owner; the caller becomes an admin",
)
def transfer_ownership(
    organization_id: str, body: schemas.TransferOwnershipIn, caller: Caller, context: Context
) -> Response:
    with context.database.write() as session:
        access = lifecycle.transfer_ownership(session, caller, organization_id, user_ref=body.user)
    return json_response(render.organization(access.organization))
